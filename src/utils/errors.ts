// The error vocabulary (Pipecat's utils/errors.py): categories carried by ErrorFrame, the
// classification of any thrown value into one, the base error class, and how errors are described
// in messages.

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

/** An error class's identity in every copy of the package: its brand and its stable code. */
interface ErrorClassIdentity {
  readonly brand: symbol;
  readonly code: string;
}

const errorIdentities = new WeakMap<abstract new (...args: never[]) => Error, ErrorClassIdentity>();

/**
 * Gives an error class of this package an identity that holds across copies of the package (an
 * app may end up with two, e.g. nested in node_modules): a `Symbol.for("pipecat-ts.error.<name>")`
 * brand on its prototype, which `instanceof` checks (see PipecatError's Symbol.hasInstance), and the
 * stable `code` its instances carry. Call it once per class, from a static block, with the class's
 * own name; subclasses inherit their ancestors' brands through the prototype chain. As undici
 * (`Symbol.for("undici.error.UND_ERR_...")`) and the Vercel AI SDK (`AISDKError.isInstance`) do.
 */
export function brandErrorClass(
  errorClass: abstract new (...args: never[]) => PipecatError,
  name: string,
  code: string,
): void {
  const brand = Symbol.for(`pipecat-ts.error.${name}`);
  Object.defineProperty(errorClass.prototype, brand, { value: true });
  errorIdentities.set(errorClass, { brand, code });
}

/** The code of the nearest branded class in `errorClass`'s chain. */
function codeOf(errorClass: unknown): string {
  for (let c = errorClass; typeof c === "function"; c = Object.getPrototypeOf(c)) {
    const identity = errorIdentities.get(c as abstract new () => Error);
    if (identity !== undefined) return identity.code;
  }
  return "PIPECAT_ERROR";
}

/** PipecatError's instanceof: the brand of `errorClass`, or its prototype when it has no brand. */
function hasBrandOf(errorClass: abstract new (...args: never[]) => Error, value: unknown): boolean {
  const identity = errorIdentities.get(errorClass);
  if (identity === undefined) return Function.prototype[Symbol.hasInstance].call(errorClass, value);
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[identity.brand] === true
  );
}

/**
 * Base class of every error this package throws on purpose. `instanceof` works across copies of
 * the package (see brandErrorClass), and `code` names the class in a way that never changes.
 */
export class PipecatError extends Error {
  static {
    brandErrorClass(PipecatError, "PipecatError", "PIPECAT_ERROR");
  }

  /**
   * `value instanceof SomeError`: true when `value` carries that class's brand, whichever copy of
   * the package made it. A class without a brand of its own (an app's subclass) falls back to the
   * ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: the class right of instanceof (subclasses inherit this method)
    return hasBrandOf(this, value);
  }

  readonly category: ErrorCategory;
  /** Stable identifier of the error's class, e.g. "FAL_API_ERROR" (see the README's "Errors"). */
  readonly code: string;

  constructor(message: string, options: { category?: ErrorCategory; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.category = options.category ?? "unknown";
    this.code = codeOf(new.target);
  }
}

/** A setting or argument has a value that is not allowed. Names the field, the value and what is allowed. */
export class SettingsValidationError extends PipecatError {
  static {
    brandErrorClass(
      SettingsValidationError,
      "SettingsValidationError",
      "SETTINGS_VALIDATION_ERROR",
    );
  }

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

/** Node and undici error codes that mean the connection failed (not the server's answer). */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EPIPE",
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The HTTP status an error carries, if any (`status`, `statusCode`, `response.status|statusCode`). */
export function httpStatusOf(error: object): number | undefined {
  const e = error as {
    status?: unknown;
    statusCode?: unknown;
    response?: { status?: unknown; statusCode?: unknown };
  };
  for (const candidate of [e.status, e.statusCode, e.response?.status, e.response?.statusCode]) {
    if (
      typeof candidate === "number" &&
      Number.isInteger(candidate) &&
      candidate >= 100 &&
      candidate <= 599
    )
      return candidate;
  }
  return undefined;
}

/** How far down a `cause` chain the helpers below look (chains can be cyclic). */
const MAX_CAUSE_DEPTH = 5;

/**
 * The objects of an error's `cause` chain, outermost first: `error`, `error.cause`, its cause...,
 * stopping at the first value that is not an object, or after `maxDepth` of them.
 */
export function* causeChain(error: unknown, maxDepth = MAX_CAUSE_DEPTH): Generator<object> {
  let current = error;
  for (let depth = 0; depth < maxDepth; depth++) {
    if (current === null || typeof current !== "object") return;
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/**
 * The first string `code` down the `cause` chain: what Node and undici put on the errors behind
 * `TypeError("fetch failed")` ("ECONNREFUSED", "UND_ERR_CONNECT_TIMEOUT"...), or a PipecatError's
 * own code. Undefined when there is none.
 */
export function errorCodeOf(error: unknown): string | undefined {
  for (const level of causeChain(error)) {
    const code = (level as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** The category one error says of itself, without looking at its cause. */
function ownCategory(error: object): ErrorCategory {
  if (error instanceof PipecatError && error.category !== "unknown") return error.category;
  const status = httpStatusOf(error);
  if (status !== undefined && status >= 400) return categoryForHttpStatus(status);
  const { name, code } = error as { name?: unknown; code?: unknown };
  if (name === "AbortError") return "cancelled";
  if (name === "TimeoutError") return "timeout";
  if (typeof code === "string" && NETWORK_ERROR_CODES.has(code)) return "network";
  return "unknown";
}

/**
 * Pipecat's classify_http_exception, extended: a PipecatError's own category; else an HTTP status
 * (`status`, `statusCode`, `response.status`, `response.statusCode`); else AbortError →
 * "cancelled", TimeoutError → "timeout"; else connection errors (Node/undici codes, "fetch failed")
 * → "network"; else "unknown". Looks through `cause` chains: the outermost error that says
 * something wins, and "fetch failed" anywhere counts only when nothing else does. `depth`: how far
 * down a chain `cause` already is (it is looked at `MAX_CAUSE_DEPTH - depth` levels deep).
 */
export function classifyCause(cause: unknown, depth = 0): ErrorCategory {
  let fetchFailed = false;
  for (const level of causeChain(cause, MAX_CAUSE_DEPTH - depth)) {
    const category = ownCategory(level);
    if (category !== "unknown") return category;
    if (level instanceof TypeError && level.message === "fetch failed") fetchFailed = true;
  }
  return fetchFailed ? "network" : "unknown";
}

/** The message of an Error (its name when the message is empty), or the thrown value as text. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
