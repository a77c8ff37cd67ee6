// Secret redaction for twins that check an API key: JSON answers never echo it (a key pasted into
// a URL that a 404 repeats), and the same Redactor cleans log lines and recorded requests. The
// key is also looked for in its URL-encoded forms.
import { redactText, secretForms, type RedactOptions } from "../../utils/secrets.js";
import type { Middleware } from "../compose.js";
import type { RequestContext } from "../context.js";
import { bytesResponse, isJsonResponse } from "../response.js";

/** Replaces secrets (as given and URL-encoded) in text and in JSON-like values. */
export interface Redactor {
  /** False when there is nothing to redact (no secrets): callers may skip the work. */
  readonly active: boolean;
  text(text: string): string;
  value<T>(value: T): T;
}

export interface RedactorOptions {
  /** What a secret is replaced with; default "[REDACTED]". */
  replacement?: string;
}

/**
 * Makes a redactor for these secrets. Every secret counts, however short: a server must never
 * echo the key it checks.
 *
 * @example
 * ```ts
 * const redactor = createRedactor(["a b"], { replacement: "[redacted]" });
 * redactor.text("/files/a%20b?k=a+b"); // "/files/[redacted]?k=[redacted]"
 * ```
 */
export function createRedactor(
  secrets: readonly (string | undefined)[],
  options: RedactorOptions = {},
): Redactor {
  const forms = secrets.filter((s): s is string => !!s).flatMap(secretForms);
  forms.sort((a, b) => b.length - a.length);
  const redactOptions: RedactOptions = { minLength: 1 };
  if (options.replacement !== undefined) redactOptions.replacement = options.replacement;
  const active = forms.length > 0;
  return {
    active,
    text: (text) => (active ? redactText(text, forms, redactOptions) : text),
    value: <T>(value: T): T =>
      active ? (redactDeep(value, (text) => redactText(text, forms, redactOptions)) as T) : value,
  };
}

/**
 * A copy of a JSON-like value with every string (keys included) passed through `text`. Keys are
 * defined, never assigned, so a `__proto__` key from a request body stays a plain key instead of
 * becoming the copy's prototype.
 */
function redactDeep(value: unknown, text: (s: string) => string): unknown {
  if (typeof value === "string") return text(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, text));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    Object.defineProperty(out, text(key), {
      value: redactDeep(item, text),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

export interface RedactSecretsOptions {
  redactor: Redactor;
  /** Answers to leave byte for byte (e.g. stored files); default none. */
  skip?: (context: RequestContext) => boolean;
}

/**
 * Redacts secrets from JSON answers (`application/json` and `+json`); other answers pass as they
 * are. A redacted answer gets its new Content-Length.
 *
 * @example
 * ```ts
 * const redactor = createRedactor(["sk-secret"]);
 * const app = createApp({
 *   middleware: [redactSecrets({ redactor })],
 *   handler: (request, context) => jsonResponse(404, { detail: `${context.target} not found` }),
 * });
 * await (await app.request("/sk-secret")).json(); // { detail: "/[REDACTED] not found" }
 * ```
 */
export function redactSecrets(options: RedactSecretsOptions): Middleware {
  const { redactor, skip } = options;
  return async function redactSecrets(_request, context, next) {
    const response = await next();
    if (!redactor.active || response.type === "error" || !response.body) return response;
    if (!isJsonResponse(response) || skip?.(context)) return response;
    const text = redactor.text(await response.text());
    return bytesResponse(
      response.status,
      new TextEncoder().encode(text),
      "application/json",
      response.headers,
    );
  };
}
