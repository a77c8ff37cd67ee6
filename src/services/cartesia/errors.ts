// Typed errors of the Cartesia HTTP client. Messages carry Cartesia's own explanation (its error
// object's title and message), never the key.
import { PipecatError, brandErrorClass, categoryForHttpStatus } from "../../utils/errors.js";

/** Longest part of an error body quoted in a message, in characters. */
const DETAIL_MAX_CHARS = 300;

export interface CartesiaApiErrorInit {
  status: number;
  /** The parsed error body (Cartesia's `{error_code, title, message, request_id}`), or its text. */
  body?: unknown;
  /** A request id from the body's `request_id` or a response header. */
  requestId?: string;
  /** From a `Retry-After` header, in milliseconds. */
  retryAfterMs?: number;
}

/** Cartesia answered with a non-2xx status. */
export class CartesiaApiError extends PipecatError {
  static {
    brandErrorClass(CartesiaApiError, "CartesiaApiError", "CARTESIA_API_ERROR");
  }

  readonly status: number;
  /** Cartesia's machine-readable `error_code` (e.g. "concurrency_limited"), when given. */
  readonly errorCode: string | undefined;
  /** Cartesia's short summary (`title`), when given. */
  readonly title: string | undefined;
  /** What Cartesia said went wrong: the body's `message` (or the older `error`), or its text. */
  readonly detail: string | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  /** The error body as received (JSON value or text). */
  readonly body: unknown;

  constructor(init: CartesiaApiErrorInit) {
    const fields = readErrorFields(init.body);
    const requestId = fields.requestId ?? init.requestId;
    super(describeFailure(init.status, fields, requestId), {
      category: categoryForHttpStatus(init.status),
    });
    this.status = init.status;
    this.errorCode = fields.errorCode;
    this.title = fields.title;
    this.detail = fields.detail;
    this.requestId = requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.body = init.body;
  }
}

/** Our own deadline for one request expired. */
export class CartesiaTimeoutError extends PipecatError {
  static {
    brandErrorClass(CartesiaTimeoutError, "CartesiaTimeoutError", "CARTESIA_TIMEOUT_ERROR");
  }

  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`Cartesia tts/bytes timed out after ${timeoutMs} ms`, { category: "timeout" });
    this.timeoutMs = timeoutMs;
  }
}

/** The connection failed (refused, reset, dropped mid-body...). */
export class CartesiaNetworkError extends PipecatError {
  static {
    brandErrorClass(CartesiaNetworkError, "CartesiaNetworkError", "CARTESIA_NETWORK_ERROR");
  }

  /** True when the request certainly never reached the server. */
  readonly notSent: boolean;
  /** True when the connection failed after audio had started to arrive. */
  readonly midStream: boolean;
  constructor(message: string, init: { cause?: unknown; notSent: boolean; midStream: boolean }) {
    super(message, { category: "network", cause: init.cause });
    this.notSent = init.notSent;
    this.midStream = init.midStream;
  }
}

interface ErrorFields {
  errorCode?: string;
  title?: string;
  detail?: string;
  requestId?: string;
}

function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

function readErrorFields(body: unknown): ErrorFields {
  if (typeof body === "string") return body.trim() ? { detail: body.trim() } : {};
  if (!body || typeof body !== "object" || Array.isArray(body))
    return body === undefined || body === null ? {} : { detail: JSON.stringify(body) };
  const record = body as Record<string, unknown>;
  return {
    errorCode: stringField(record, "error_code"),
    title: stringField(record, "title"),
    detail: stringField(record, "message") ?? stringField(record, "error"),
    requestId: stringField(record, "request_id"),
  };
}

function describeFailure(
  status: number,
  fields: ErrorFields,
  requestId: string | undefined,
): string {
  const parts = [fields.title, fields.detail].filter((p): p is string => p !== undefined);
  // A title that the message repeats says nothing more.
  const text =
    parts.length === 2 && parts[1]?.startsWith(parts[0] as string) ? parts[1] : parts.join(": ");
  const said = text ? `: ${truncate(text)}` : "";
  const id = requestId ? ` (request ${requestId})` : "";
  return `Cartesia tts/bytes failed with HTTP ${status}${said}${id}`;
}

function truncate(text: string): string {
  return text.length > DETAIL_MAX_CHARS ? `${text.slice(0, DETAIL_MAX_CHARS - 3)}...` : text;
}
