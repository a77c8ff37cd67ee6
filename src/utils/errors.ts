// Typed errors and the error categories carried by ErrorFrame.

/** Why something failed, as far as the pipeline can tell. Drives retries and usability. */
export type ErrorCategory =
  | "authentication" // 401: the key is missing or wrong
  | "authorization" // 403: the key may not do this
  | "validation" // 400/404/422: the request itself is wrong
  | "quota" // 402
  | "rate_limit" // 429
  | "server" // 5xx
  | "network" // connection refused/reset, DNS, TLS
  | "timeout" // our own deadline expired
  | "cancelled" // aborted on purpose (interruption, CancelFrame)
  | "unknown";

export const ERROR_CATEGORIES: readonly ErrorCategory[] = [
  "authentication",
  "authorization",
  "validation",
  "quota",
  "rate_limit",
  "server",
  "network",
  "timeout",
  "cancelled",
  "unknown",
];

/** Permanent failures: retrying the same request cannot succeed. */
export function isPermanentCategory(category: ErrorCategory): boolean {
  return category === "authentication" || category === "authorization" || category === "validation";
}

/** Pipecat's classify_http_exception status table. */
export function categoryForHttpStatus(status: number): ErrorCategory {
  if (status === 401) return "authentication";
  if (status === 403) return "authorization";
  if (status === 402) return "quota";
  if (status === 429) return "rate_limit";
  if (status === 400 || status === 404 || status === 409 || status === 413 || status === 422)
    return "validation";
  if (status === 408) return "timeout";
  if (status >= 500) return "server";
  if (status >= 400) return "validation";
  return "unknown";
}

/** Base class of every error this package throws on purpose. */
export class PipecatError extends Error {
  readonly category: ErrorCategory;
  constructor(message: string, options: { category?: ErrorCategory; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.category = options.category ?? "unknown";
  }
}

/** A setting or argument has a value that is not allowed. Names the field, the value and what is allowed. */
export class SettingsValidationError extends PipecatError {
  readonly field: string;
  readonly value: unknown;
  readonly allowed: string;
  constructor(field: string, value: unknown, allowed: string) {
    super(`Invalid value for "${field}": ${describeValue(value)}. Allowed: ${allowed}.`, {
      category: "validation",
    });
    this.field = field;
    this.value = value;
    this.allowed = allowed;
  }
}

/** A short, safe rendering of a value for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (
    typeof value === "number" ||
    typeof value === "boolean" ||
    value === null ||
    value === undefined
  ) {
    return String(value);
  }
  try {
    const json = JSON.stringify(value);
    return json.length > 120 ? `${json.slice(0, 117)}...` : json;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
