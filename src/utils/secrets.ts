// Keeps secrets (the fal key) out of anything a user might see: errors, logs, frames.

const REDACTED = "[REDACTED]";

/** Replaces every occurrence of each secret in `text`. Secrets shorter than 4 characters are ignored. */
export function redactText(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** Deep copy of a JSON-like value with every string (object keys included) redacted. */
export function redactValue(value: unknown, secrets: readonly (string | undefined)[]): unknown {
  if (typeof value === "string") return redactText(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[redactText(k, secrets)] = redactValue(v, secrets);
    return out;
  }
  return value;
}
