// HTTP client plumbing shared by every service that calls a provider over fetch (fal today; the
// OpenAI and Cartesia services next): what a failed fetch means, reading bodies (capped, or as
// JSON whatever the content-type says), Retry-After, and URLs safe to put in messages. Provider
// protocols (paths, headers, error bodies, typed errors) stay in each provider's folder, which turns
// these generic answers into its own errors. The Vercel AI SDK's provider-utils has the same role.
import { isAbortError } from "./abort.js";
import { SettingsValidationError, errorCodeOf } from "./errors.js";

/**
 * Node/undici codes meaning the connection was never made, so the request certainly did not reach
 * the server: even a call that must not run twice may be sent again.
 */
export const NOT_SENT_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** What a failed fetch (or a failed read of its body) means. */
export type FetchFailure =
  /** The caller's own signal aborted: re-throw `reason` as is (never wrap or retry it). */
  | { kind: "aborted"; reason: unknown }
  /** Another abort: the call's own deadline expired. */
  | { kind: "timeout"; cause: unknown }
  /**
   * The connection failed. `code`: the first code down the cause chain (e.g. "ECONNRESET");
   * `notSent`: the request certainly never reached the server (see NOT_SENT_ERROR_CODES).
   */
  | { kind: "network"; cause: unknown; code: string | undefined; notSent: boolean };

export interface ClassifyFetchErrorOptions {
  /** The caller's own signal, to tell its abort from a deadline's. */
  callerSignal?: AbortSignal | undefined;
  /**
   * True when fetch() itself threw (no response yet). False (the default) for a failure while
   * reading the body, when the server has certainly received the request: `notSent` stays false.
   */
  beforeResponse?: boolean;
}

/** Reads what fetch (or a body read) threw; each caller maps the answer to its own typed errors. */
export function classifyFetchError(
  error: unknown,
  options: ClassifyFetchErrorOptions = {},
): FetchFailure {
  const { callerSignal } = options;
  if (callerSignal?.aborted) return { kind: "aborted", reason: callerSignal.reason ?? error };
  if (isAbortError(error)) return { kind: "timeout", cause: error };
  const code = errorCodeOf(error);
  const notSent =
    options.beforeResponse === true && code !== undefined && NOT_SENT_ERROR_CODES.has(code);
  return { kind: "network", cause: error, code, notSent };
}

/** Drops a response body we will not read, so its connection is released. Never rejects. */
export async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

export interface ReadBodyOptions {
  /** The largest body accepted, in bytes. */
  maxBytes: number;
  /** The error to throw for a body over the cap, given its size (declared, or counted so far). */
  tooLarge: (bytes: number) => Error;
}

/**
 * Reads a whole response body, refusing more than `maxBytes`: a Content-Length over the cap fails
 * before anything is read, and reading stops (the stream is cancelled) as soon as the count passes
 * it. Rejects with what the stream throws otherwise (e.g. the connection dropped mid-body).
 */
export async function readBodyCapped(
  response: Response,
  options: ReadBodyOptions,
): Promise<Uint8Array> {
  const { maxBytes } = options;
  const declaredLength = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes) {
    await discardBody(response);
    throw options.tooLarge(declaredLength);
  }
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw options.tooLarge(total);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** A body read as text and parsed as JSON: the value, or the text that would not parse. */
export type JsonBody =
  | { ok: true; value: unknown; text: string }
  | { ok: false; text: string; error: unknown };

/**
 * Reads a whole body as text and parses it as JSON, whatever its content-type says (servers
 * mislabel JSON, and gateways answer errors with HTML). Rejects only when reading fails (e.g. the
 * connection dropped mid-body); a body that is not JSON is `{ ok: false }`.
 */
export async function readJsonBody(response: Response): Promise<JsonBody> {
  const text = await response.text();
  try {
    return { ok: true, value: JSON.parse(text) as unknown, text };
  } catch (error) {
    return { ok: false, text, error };
  }
}

/** The longest non-JSON error body kept for a message, in characters. */
const ERROR_TEXT_MAX_CHARS = 500;

/**
 * What a failed response says, for an error message: its JSON, else its trimmed text (at most 500
 * characters), else undefined. Never rejects: a body that cannot be read says nothing.
 */
export async function readErrorBody(response: Response): Promise<unknown> {
  const body = await readJsonBody(response).catch(() => undefined);
  if (body?.ok) return body.value;
  return body?.text.trim().slice(0, ERROR_TEXT_MAX_CHARS) || undefined;
}

/** `value` as a JSON object (not an array, not null), or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Parses a Retry-After header (delta-seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * How long a response asks us to wait before retrying, in milliseconds: `retry-after-ms` (OpenAI's
 * precise form) when present and valid, else `Retry-After` (seconds or an HTTP date).
 */
export function retryAfterMsOf(headers: Headers, now = Date.now()): number | undefined {
  const precise = headers.get("retry-after-ms");
  if (precise !== null && /^\d+(\.\d+)?$/.test(precise.trim()))
    return Math.round(Number(precise.trim()));
  return parseRetryAfter(headers.get("retry-after"), now);
}

/**
 * A service's base URL without trailing slashes, once checked to be an http:// or https:// URL;
 * otherwise a SettingsValidationError naming `field` (the option, or the environment variable the
 * value came from) with `allowed` as what is allowed.
 */
export function checkBaseUrl(
  field: string,
  url: string,
  allowed = "an http:// or https:// URL",
): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SettingsValidationError(field, url, allowed);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
    throw new SettingsValidationError(field, url, allowed);
  return url.replace(/\/+$/, "");
}

/** A URL fit for messages and logs: origin and path only (signed URLs carry tokens in the query). */
export function urlForMessages(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "invalid URL";
  }
}
