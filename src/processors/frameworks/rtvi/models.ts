// RTVI messages (Pipecat's processors/frameworks/rtvi/models.py): the envelope, the data of the
// message types pipecat-ts speaks, builders for outgoing messages, and validation of incoming
// ones. Field names are the wire's (snake_case), as the client reads them.
import { describeValue } from "../../../utils/errors.js";

/** The protocol version both Pipecat and @pipecat-ai/client-js 1.13 speak. */
export const RTVI_PROTOCOL_VERSION = "2.1.0";
/** Every RTVI message carries this label; others are not RTVI. */
export const RTVI_MESSAGE_LABEL = "rtvi-ai";
/** Clients of this major version are still served (Pipecat echoes their version in bot-ready). */
export const RTVI_LEGACY_SUPPORTED_MAJOR = 1;

/** The envelope of every RTVI message. */
export interface RTVIMessage<Type extends string = string, Data = unknown> {
  label: typeof RTVI_MESSAGE_LABEL;
  type: Type;
  /** Present on client messages, and on bot-ready / server-response / error-response. */
  id?: string;
  /** Absent on dataless events. */
  data?: Data;
}

/** An incoming message after validation: `id` is always there, `data` is an object or undefined. */
export interface RTVIIncomingMessage {
  label: typeof RTVI_MESSAGE_LABEL;
  type: string;
  id: string;
  data: Record<string, unknown> | undefined;
}

// -------------------------------------------------------------------------------------------------
// Client → server data

export interface RTVIAboutClientData {
  library: string;
  library_version?: string;
  platform?: string;
  platform_version?: string;
  platform_details?: unknown;
}

/** `client-ready`. */
export interface RTVIClientReadyData {
  version: string;
  about?: RTVIAboutClientData;
}

/** `send-text` options; the client sends `{}`, and both default to true (Pipecat's defaults). */
export interface RTVISendTextOptions {
  /** Interrupt the bot and answer at once. Default true. */
  run_immediately?: boolean;
  /** Answer with speech. Default true. */
  audio_response?: boolean;
}

/** `send-text`. */
export interface RTVISendTextData {
  content: string;
  options?: RTVISendTextOptions;
}

/** `client-message`: the app-level type `t` and its payload `d`. */
export interface RTVIClientMessageData {
  t: string;
  d?: unknown;
}

// -------------------------------------------------------------------------------------------------
// Server → client data

export interface RTVIBotReadyData {
  version: string;
  about?: Record<string, unknown>;
}

/** `error`: `fatal: true` makes the client hang up. */
export interface RTVIErrorData {
  error: string;
  fatal: boolean;
}

export interface RTVIErrorResponseData {
  error: string;
}

/** `server-response`: the client's request type and the answer; the client returns `d`. */
export interface RTVIServerResponseData {
  t: string;
  d?: unknown;
}

export interface RTVITextData {
  text: string;
}

export type RTVISpokenStatus = "new" | "in-progress" | "completed";

/** `bot-output` (protocol 2: `will_be_spoken`, `spoken_status`, `spoken_progress`). */
export interface RTVIBotOutputData {
  text: string;
  aggregated_by: string;
  segment_id?: number;
  spoken?: boolean;
  will_be_spoken?: boolean;
  spoken_status?: RTVISpokenStatus;
  spoken_progress?: { accumulated_text: string; remaining_text: string };
}

export interface RTVIUserTranscriptionData {
  text: string;
  user_id: string;
  timestamp: string;
  final: boolean;
}

/** One `ttfb` / `processing` / `characters` entry of a `metrics` message. */
export interface RTVIMetricEntry {
  processor: string;
  model?: string;
  value: number;
}

/** One `tokens` entry of a `metrics` message. */
export interface RTVITokenUsage {
  processor: string;
  model?: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  reasoning_tokens?: number;
}

/** `metrics`: only the kinds present are sent. */
export interface RTVIMetricsData {
  ttfb?: RTVIMetricEntry[];
  processing?: RTVIMetricEntry[];
  characters?: RTVIMetricEntry[];
  tokens?: RTVITokenUsage[];
}

// -------------------------------------------------------------------------------------------------
// Builders

/** An RTVI message; `data` and `id` are left out when undefined (Pipecat's exclude_none). */
export function rtviMessage<Type extends string, Data>(
  type: Type,
  data?: Data,
  id?: string,
): RTVIMessage<Type, Data> {
  const message: RTVIMessage<Type, Data> = { label: RTVI_MESSAGE_LABEL, type };
  if (id !== undefined) message.id = id;
  if (data !== undefined) message.data = data;
  return message;
}

/**
 * A `server-message` carrying `data` (the client's `onServerMessage(data)`). Push it as an
 * `OutputTransportMessageFrame` to send it in step with the audio, or use RTVIServerMessageFrame /
 * `rtvi.sendServerMessage()` to send it at once.
 *
 * @example
 * ```ts
 * await processor.pushFrame(new OutputTransportMessageFrame(rtviServerMessage({ type: "image", url })));
 * ```
 */
export function rtviServerMessage(data: unknown): RTVIMessage<"server-message"> {
  return rtviMessage("server-message", data);
}

export function rtviBotReady(id: string, data: RTVIBotReadyData): RTVIMessage<"bot-ready"> {
  return rtviMessage("bot-ready", data, id);
}

export function rtviServerResponse(
  id: string,
  type: string,
  data: unknown,
): RTVIMessage<"server-response", RTVIServerResponseData> {
  const payload: RTVIServerResponseData = { t: type };
  if (data !== undefined) payload.d = data;
  return rtviMessage("server-response", payload, id);
}

export function rtviErrorResponse(
  id: string,
  error: string,
): RTVIMessage<"error-response", RTVIErrorResponseData> {
  return rtviMessage("error-response", { error }, id);
}

/** An `error` event; non-fatal unless said (a fatal one makes the client disconnect). */
export function rtviError(error: string, fatal = false): RTVIMessage<"error", RTVIErrorData> {
  return rtviMessage("error", { error, fatal });
}

// -------------------------------------------------------------------------------------------------
// Validation

export type RTVIParseResult =
  | { kind: "message"; message: RTVIIncomingMessage }
  /** Not an RTVI message (no or another label): ignored. */
  | { kind: "not-rtvi"; label: unknown }
  /** An RTVI message whose envelope is wrong: answered with a non-fatal `error`. */
  | { kind: "invalid"; error: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks an incoming transport message against the RTVI envelope (Pipecat's `Message`). */
export function parseRTVIMessage(raw: unknown): RTVIParseResult {
  if (!isRecord(raw) || raw.label !== RTVI_MESSAGE_LABEL) {
    return { kind: "not-rtvi", label: isRecord(raw) ? raw.label : undefined };
  }
  if (typeof raw.type !== "string" || raw.type === "") {
    return {
      kind: "invalid",
      error: `"type" must be a non-empty string, got ${describeValue(raw.type)}`,
    };
  }
  if (typeof raw.id !== "string") {
    return { kind: "invalid", error: `"id" must be a string, got ${describeValue(raw.id)}` };
  }
  if (raw.data !== undefined && raw.data !== null && !isRecord(raw.data)) {
    return {
      kind: "invalid",
      error: `"data" must be an object, got ${Array.isArray(raw.data) ? "an array" : describeValue(raw.data)}`,
    };
  }
  return {
    kind: "message",
    message: {
      label: RTVI_MESSAGE_LABEL,
      type: raw.type,
      id: raw.id,
      data: isRecord(raw.data) ? raw.data : undefined,
    },
  };
}

/** A data payload that does not fit its message type. */
export class RTVIDataError extends Error {
  constructor(
    readonly field: string,
    value: unknown,
    allowed: string,
  ) {
    super(`Invalid message: ${field} is ${describeValue(value)}; allowed: ${allowed}`);
    this.name = "RTVIDataError";
  }
}

/** `send-text` data with Pipecat's defaults applied; throws RTVIDataError naming the field. */
export function parseSendTextData(data: Record<string, unknown> | undefined): {
  content: string;
  options: Required<RTVISendTextOptions>;
} {
  const content = data?.content;
  if (typeof content !== "string") throw new RTVIDataError("data.content", content, "a string");
  const options = data?.options;
  if (options !== undefined && options !== null && !isRecord(options))
    throw new RTVIDataError("data.options", options, "an object");
  const flag = (name: keyof RTVISendTextOptions): boolean => {
    const value = isRecord(options) ? options[name] : undefined;
    if (value === undefined || value === null) return true;
    if (typeof value !== "boolean")
      throw new RTVIDataError(`data.options.${name}`, value, "true or false");
    return value;
  };
  return {
    content,
    options: { run_immediately: flag("run_immediately"), audio_response: flag("audio_response") },
  };
}

/** `client-message` data; throws RTVIDataError naming the field. */
export function parseClientMessageData(
  data: Record<string, unknown> | undefined,
): RTVIClientMessageData {
  const t = data?.t;
  if (typeof t !== "string") throw new RTVIDataError("data.t", t, "a string");
  return data !== undefined && "d" in data ? { t, d: data.d } : { t };
}

/** `client-ready` data, or undefined when it has no version string (an unknown client). */
export function parseClientReadyData(
  data: Record<string, unknown> | undefined,
): RTVIClientReadyData | undefined {
  const version = data?.version;
  if (typeof version !== "string") return undefined;
  const about = data?.about;
  if (isRecord(about) && typeof about.library === "string") {
    return { version, about: about as unknown as RTVIAboutClientData };
  }
  return { version, about: { library: "unknown" } };
}

/**
 * What a client version means for this server: undefined when fully compatible (major 2), or the
 * warning sent back as an error-response (the handshake goes on anyway, as in Pipecat).
 */
export function clientVersionProblem(version: string | undefined): string | undefined {
  if (version === undefined) return "Client version unknown. Compatibility issues may occur.";
  const parts = version.split(".");
  const numbers = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : Number.NaN));
  if (numbers.length !== 3 || numbers.some(Number.isNaN)) {
    return `Invalid client version format (${describeValue(version)}). Compatibility issues may occur.`;
  }
  const major = numbers[0] as number;
  const serverMajor = Number(RTVI_PROTOCOL_VERSION.split(".")[0]);
  if (major === serverMajor || major === RTVI_LEGACY_SUPPORTED_MAJOR) return undefined;
  return `RTVI version ${version} is not compatible with server protocol ${RTVI_PROTOCOL_VERSION}. Compatibility issues may occur.`;
}
