// Keeps secrets (the fal key) out of anything a user might see: errors, logs, frames.

const REDACTED = "[REDACTED]";

/** How to redact; the defaults suit client-side messages. */
export interface RedactOptions {
  /** What a secret is replaced with; default "[REDACTED]". */
  replacement?: string;
  /**
   * Secrets shorter than this are left alone; default 4, so that a stray one-letter "secret" does
   * not shred every message. A server that must never echo the key it checks passes 1.
   */
  minLength?: number;
}

/** Replaces every occurrence of each secret in `text`. Secrets shorter than 4 characters are ignored. */
export function redactText(
  text: string,
  secrets: readonly (string | undefined)[],
  options: RedactOptions = {},
): string {
  const replacement = options.replacement ?? REDACTED;
  const minLength = options.minLength ?? 4;
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < minLength) continue;
    out = out.split(secret).join(replacement);
  }
  return out;
}

/** Deep copy of a JSON-like value with every string (object keys included) redacted. */
export function redactValue(
  value: unknown,
  secrets: readonly (string | undefined)[],
  options: RedactOptions = {},
): unknown {
  if (typeof value === "string") return redactText(value, secrets, options);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets, options));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[redactText(k, secrets, options)] = redactValue(v, secrets, options);
    return out;
  }
  return value;
}

/**
 * A secret and the forms it takes inside a URL (percent-encoded as a path segment and as a query
 * value), longest first so that no form is half-replaced by a shorter one.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ k: secret }).toString().slice(2),
  ]);
  return [...forms].sort((a, b) => b.length - a.length);
}
