// The JSON body of a request to the local fal server, parsed once per request (the recorder and
// the handlers both want it), and what a model call asks for.
import { contextKey, type RequestContext } from "../../server/context.js";
import { describeError } from "../../utils/errors.js";
import { getModel, jsonDecodeError } from "./models.js";
import { falJson, modelNotFound } from "./replies.js";

export type ParsedJson = { ok: true; value: unknown } | { ok: false; message: string };

const PARSED_JSON = contextKey<ParsedJson>("fal.json");

/** Bytes as Node's Buffer: decoding as Buffer#toString does (a BOM stays and is invalid JSON). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Parses the body (an empty body is `undefined`) and keeps the result for the request. */
export function parseJsonBody(context: RequestContext, bytes: Uint8Array): ParsedJson {
  let parsed = context.get(PARSED_JSON);
  if (!parsed) {
    parsed = parseJson(bytes);
    context.set(PARSED_JSON, parsed);
  }
  return parsed;
}

/** Reads and parses the request body (see parseJsonBody). */
export async function readJsonBody(context: RequestContext): Promise<ParsedJson> {
  return parseJsonBody(context, await context.body());
}

/**
 * How deeply a JSON body may nest. fal's inputs need a handful of levels; a body of a few MB
 * of `[[[[…` would otherwise exhaust the stack of whatever walks it next (recording, redaction).
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/** Whether JSON text nests deeper than `max` (strings are skipped; validity is JSON.parse's job). */
export function jsonNestsDeeperThan(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      depth += 1;
      if (depth > max) return true;
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) depth -= 1;
  }
  return false;
}

function parseJson(bytes: Uint8Array): ParsedJson {
  if (bytes.byteLength === 0) return { ok: true, value: undefined };
  if (jsonNestsDeeperThan(bytes, MAX_JSON_DEPTH))
    return { ok: false, message: `JSON is nested deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return { ok: true, value: JSON.parse(asBuffer(bytes).toString("utf8")) };
  } catch (error) {
    return { ok: false, message: describeError(error) };
  }
}

/** What a model call (run or submit) asks for. */
export interface ModelCall {
  model: string;
  /** The parsed JSON body (undefined for an empty body). */
  body: unknown;
  /** From `x-fal-request-timeout`: how long the request may wait for a worker. */
  startTimeoutSeconds?: number;
}

/**
 * Reads a model call: 404 for an unknown model, FastAPI's 422 json_invalid for a body that is not
 * JSON, else the call.
 */
export async function readModelCall(
  request: Request,
  context: RequestContext,
  model: string,
): Promise<ModelCall | Response> {
  if (!getModel(model)) return modelNotFound(model);
  const parsed = await readJsonBody(context);
  if (!parsed.ok) return falJson(422, { detail: jsonDecodeError(parsed.message) });
  const call: ModelCall = { model, body: parsed.value };
  const timeout = startTimeoutSeconds(request.headers);
  if (timeout !== undefined) call.startTimeoutSeconds = timeout;
  return call;
}

function startTimeoutSeconds(headers: Headers): number | undefined {
  const value = headers.get("x-fal-request-timeout");
  if (value === null) return undefined;
  const n = Number.parseFloat(value);
  // Timers take at most 2^31−1 ms (longer ones fire at once, with a warning): a longer timeout
  // is no timeout at all.
  return Number.isFinite(n) && n > 0 && n * 1000 <= MAX_TIMER_MS ? n : undefined;
}

/** The longest delay setTimeout honours, in ms (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;
