// Typed errors of the fal transport. Messages carry fal's own explanation (`detail`), never the
// key.
import { PipecatError, brandErrorClass, categoryForHttpStatus } from "../../utils/errors.js";

/** One entry of fal's 422 `{"detail": [...]}` body (FastAPI/Pydantic shape). */
export interface FalFieldError {
  loc: (string | number)[];
  msg: string;
  type: string;
  input?: unknown;
}

export interface FalApiErrorInit {
  status: number;
  /** fal's `detail`: a message, or a list of field errors for 422. */
  detail?: unknown;
  requestId?: string;
  /** From a `Retry-After` header, in milliseconds. */
  retryAfterMs?: number;
  /** `x-fal-request-timeout-type: user`: our own start timeout expired (never retried). */
  userTimeout?: boolean;
  /** Which call failed: "run", "submit", "status", "result", "cancel". */
  operation: string;
}

/** fal answered with a non-2xx status. */
export class FalApiError extends PipecatError {
  static {
    brandErrorClass(FalApiError, "FalApiError", "FAL_API_ERROR");
  }

  readonly status: number;
  readonly detail: unknown;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly userTimeout: boolean;
  readonly operation: string;
  /** The fields fal rejected (422), e.g. `[{ loc: ["body","num_images"], msg: "...", type: "..." }]`. */
  readonly fieldErrors: FalFieldError[];

  constructor(init: FalApiErrorInit) {
    const fieldErrors = toFieldErrors(init.detail);
    super(describeFailure(init, fieldErrors), {
      category: init.userTimeout ? "timeout" : categoryForHttpStatus(init.status),
    });
    this.status = init.status;
    this.detail = init.detail;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.userTimeout = init.userTimeout ?? false;
    this.operation = init.operation;
    this.fieldErrors = fieldErrors;
  }
}

/** fal answered 2xx but the body is not what the protocol promises (bad JSON, no images...). */
export class FalResponseError extends PipecatError {
  static {
    brandErrorClass(FalResponseError, "FalResponseError", "FAL_RESPONSE_ERROR");
  }

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { category: "server", ...options });
  }
}

/** Our own deadline expired. */
export class FalTimeoutError extends PipecatError {
  static {
    brandErrorClass(FalTimeoutError, "FalTimeoutError", "FAL_TIMEOUT_ERROR");
  }

  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number) {
    super(`${what} timed out after ${timeoutMs} ms`, { category: "timeout" });
    this.timeoutMs = timeoutMs;
  }
}

/** The connection failed (refused, reset, DNS...). */
export class FalNetworkError extends PipecatError {
  static {
    brandErrorClass(FalNetworkError, "FalNetworkError", "FAL_NETWORK_ERROR");
  }

  /** True when the request certainly never reached the server (safe to re-send even a queue submit). */
  readonly notSent: boolean;
  constructor(message: string, init: { cause?: unknown; notSent: boolean }) {
    super(message, { category: "network", cause: init.cause });
    this.notSent = init.notSent;
  }
}

function toFieldErrors(detail: unknown): FalFieldError[] {
  if (!Array.isArray(detail)) return [];
  return detail
    .filter((d): d is Record<string, unknown> => typeof d === "object" && d !== null)
    .map((d) => ({
      loc: Array.isArray(d.loc)
        ? d.loc.filter((x): x is string | number => typeof x === "string" || typeof x === "number")
        : [],
      msg: typeof d.msg === "string" ? d.msg : "invalid",
      type: typeof d.type === "string" ? d.type : "value_error",
      ...(d.input !== undefined ? { input: d.input } : {}),
    }));
}

function describeFailure(init: FalApiErrorInit, fieldErrors: FalFieldError[]): string {
  const head = `fal ${init.operation} failed with HTTP ${init.status}`;
  if (fieldErrors.length > 0) {
    const fields = fieldErrors.map((e) => {
      const field = e.loc.filter((p) => p !== "body").join(".") || "body";
      return `${field}: ${e.msg}`;
    });
    return `${head}: invalid input (${fields.join("; ")})`;
  }
  if (typeof init.detail === "string" && init.detail.length > 0)
    return `${head}: ${truncate(init.detail)}`;
  if (init.detail !== undefined && init.detail !== null)
    return `${head}: ${truncate(JSON.stringify(init.detail))}`;
  return head;
}

function truncate(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
