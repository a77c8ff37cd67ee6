// Typed errors of OpenAI's Chat Completions API. OpenAI answers failures with
// `{"error": {"message", "type", "param", "code"}}`, as an HTTP status or (mid-stream) as a `data:`
// event; both become an OpenAIApiError carrying those fields. Messages never carry the key.
import {
  type ErrorCategory,
  PipecatError,
  brandErrorClass,
  categoryForHttpStatus,
} from "../../utils/errors.js";

export interface OpenAIApiErrorInit {
  /** The HTTP status; undefined for an error the server sent inside a stream. */
  status?: number | undefined;
  /** `error.message`, or what the body said when it was not OpenAI's shape. */
  message?: string | undefined;
  /** `error.type`, e.g. "invalid_request_error", "server_error". */
  type?: string | undefined;
  /** `error.code`, e.g. "invalid_api_key", "model_not_found", "insufficient_quota". */
  code?: string | undefined;
  /** `error.param`: the request field at fault, e.g. "messages" or "temperature". */
  param?: string | undefined;
  /** The `x-request-id` header, for OpenAI's support. */
  requestId?: string | undefined;
  /** From `retry-after-ms` or `Retry-After`, in milliseconds. */
  retryAfterMs?: number | undefined;
  /** The `x-should-retry` header: `false` when the server says a retry cannot help. */
  shouldRetry?: boolean | undefined;
}

/** OpenAI (or an OpenAI-compatible server) answered with an error. */
export class OpenAIApiError extends PipecatError {
  static {
    brandErrorClass(OpenAIApiError, "OpenAIApiError", "OPENAI_API_ERROR");
  }

  readonly status: number | undefined;
  /** OpenAI's `error.code`. (`code` is the error class's stable code, as on every PipecatError.) */
  readonly errorCode: string | undefined;
  readonly type: string | undefined;
  readonly param: string | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly shouldRetry: boolean | undefined;
  /** `error.message` as the server wrote it (the error's own message adds the status and type). */
  readonly serverMessage: string | undefined;

  constructor(init: OpenAIApiErrorInit) {
    super(describeFailure(init), { category: categoryOf(init) });
    this.status = init.status;
    this.errorCode = init.code;
    this.type = init.type;
    this.param = init.param;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.shouldRetry = init.shouldRetry;
    this.serverMessage = init.message;
  }
}

/** The connection failed (refused, reset, DNS...). */
export class OpenAINetworkError extends PipecatError {
  static {
    brandErrorClass(OpenAINetworkError, "OpenAINetworkError", "OPENAI_NETWORK_ERROR");
  }

  /** True when the request certainly never reached the server. */
  readonly notSent: boolean;
  constructor(message: string, init: { cause?: unknown; notSent: boolean }) {
    super(message, { category: "network", cause: init.cause });
    this.notSent = init.notSent;
  }
}

/** Nothing came from the server for `timeoutMs`: before the response started, or between two events of the stream. */
export class OpenAITimeoutError extends PipecatError {
  static {
    brandErrorClass(OpenAITimeoutError, "OpenAITimeoutError", "OPENAI_TIMEOUT_ERROR");
  }

  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number) {
    super(`${what}: nothing received for ${timeoutMs} ms`, { category: "timeout" });
    this.timeoutMs = timeoutMs;
  }
}

/** The server answered 2xx with something that is not a Chat Completions stream. */
export class OpenAIResponseError extends PipecatError {
  static {
    brandErrorClass(OpenAIResponseError, "OpenAIResponseError", "OPENAI_RESPONSE_ERROR");
  }

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { category: "server", ...options });
  }
}

/** What an error without an HTTP status (sent inside a stream) says by its type and code. */
const CATEGORY_BY_TYPE: Readonly<Record<string, ErrorCategory>> = {
  invalid_request_error: "validation",
  authentication_error: "authentication",
  invalid_api_key: "authentication",
  permission_error: "authorization",
  insufficient_quota: "quota",
  rate_limit_error: "rate_limit",
  rate_limit_exceeded: "rate_limit",
  server_error: "server",
  api_error: "server",
};

function categoryOf(init: OpenAIApiErrorInit): ErrorCategory {
  // OpenAI answers an exhausted quota with 429, like a rate limit; waiting does not help it.
  if (init.code === "insufficient_quota" || init.type === "insufficient_quota") return "quota";
  if (init.status !== undefined) return categoryForHttpStatus(init.status);
  return (
    (init.code !== undefined ? CATEGORY_BY_TYPE[init.code] : undefined) ??
    (init.type !== undefined ? CATEGORY_BY_TYPE[init.type] : undefined) ??
    "server"
  );
}

function describeFailure(init: OpenAIApiErrorInit): string {
  const head =
    init.status === undefined
      ? "OpenAI chat completion stream reported an error"
      : `OpenAI chat completion failed with HTTP ${init.status}`;
  const facts = [
    init.type !== undefined ? `type ${init.type}` : undefined,
    init.code !== undefined ? `code ${init.code}` : undefined,
    init.param !== undefined ? `param ${init.param}` : undefined,
    init.requestId !== undefined ? `request ${init.requestId}` : undefined,
  ].filter((f) => f !== undefined);
  const message = init.message ? `: ${truncate(init.message)}` : "";
  return `${head}${message}${facts.length > 0 ? ` (${facts.join(", ")})` : ""}`;
}

/** The most of the server's `error.message` an OpenAIApiError's message quotes, in characters. */
const SERVER_MESSAGE_QUOTED_CHARS = 500;

function truncate(text: string, max = SERVER_MESSAGE_QUOTED_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
