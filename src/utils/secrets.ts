// Keeps secrets (the fal key) out of anything a user might see: errors, logs, frames, file names.
//
// What is scrubbed, and why:
// - Every written form a key takes in practice: as is, in any letter case (a slug or a server may
//   fold it), URL-encoded (query strings, form bodies) and base64/base64url (Basic auth, tokens).
// - A key of 8 characters or more is scrubbed wherever it stands as a whole token: not preceded or
//   followed by a letter or digit. Real keys are long and random, so a token match finds them
//   everywhere they appear, and an ordinary word that contains one ("elephants") is left alone.
// - A shorter key ("test", "image": common with local servers) is scrubbed only where it stands as
//   a key: after "Key ", "Bearer ", "key=", "FAL_KEY=", "authorization:", `"key":"`... Scrubbing
//   it everywhere would blank that word in every prompt and message.
// - Keys under 4 characters are ignored: they cannot be told from text at all.

const REDACTED = "[REDACTED]";

/** The environment variables that hold provider keys: whatever is printed is scrubbed of them all. */
export const SECRET_ENV_VARS: readonly string[] = Object.freeze([
  "FAL_KEY",
  "OPENAI_API_KEY",
  "CARTESIA_API_KEY",
]);

/** The values of SECRET_ENV_VARS in `env` (unset ones as undefined, which redaction skips). */
export function secretsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): (string | undefined)[] {
  return SECRET_ENV_VARS.map((name) => env[name]);
}

/** A key at least this long is scrubbed as a whole token anywhere; shorter ones only as keys. */
export const MIN_TOKEN_SECRET_LENGTH = 8;
/** Shorter secrets are not scrubbed at all. */
const MIN_SECRET_LENGTH = 4;

/** What precedes a short secret where it stands as a key (case-insensitive). */
const KEY_CONTEXT = String.raw`(?:\b(?:fal_key|api[_-]?key|key|token|secret|authorization|bearer)\b["']?\s*[:=]?\s*["']?(?:(?:key|bearer|basic)\s+)?)`;

/** How to redact; the defaults suit messages people read. */
export interface RedactOptions {
  /** What a secret is replaced with; default "[REDACTED]". */
  replacement?: string;
  /**
   * "token" (default): the rules above. "everywhere": every occurrence of every form, in any case,
   * inside words too, for secrets of `minLength` characters or more — for a server that must never
   * echo the key it checks, whatever it is.
   */
  match?: "token" | "everywhere";
  /** Secrets shorter than this are left alone; default 4 (see above). */
  minLength?: number;
}

/** Compiled patterns kept, at most; past it the cache starts over (a process has few keys). */
const MAX_CACHED_PATTERNS = 64;
const patterns = new Map<string, RegExp>();

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The forms a secret takes in text: as is, URL-encoded, base64, base64url (deduplicated). */
export function secretForms(secret: string): string[] {
  const bytes = Buffer.from(secret, "utf8");
  const forms = [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ k: secret }).toString().slice(2), // a query value ("+" for spaces)
    bytes.toString("base64"),
    bytes.toString("base64").replace(/=+$/, ""),
    bytes.toString("base64url"),
  ];
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

function patternFor(secret: string, everywhere: boolean): RegExp {
  const cacheKey = `${everywhere ? "e" : "t"}:${secret}`;
  let pattern = patterns.get(cacheKey);
  if (pattern === undefined) {
    const forms = secretForms(secret).map(escapeRegExp).join("|");
    const source = everywhere
      ? forms
      : secret.length >= MIN_TOKEN_SECRET_LENGTH
        ? `(?<![A-Za-z0-9])(?:${forms})(?![A-Za-z0-9])`
        : `(?<=${KEY_CONTEXT})(?:${forms})(?![A-Za-z0-9])`;
    pattern = new RegExp(source, "gi");
    if (patterns.size >= MAX_CACHED_PATTERNS) patterns.clear();
    patterns.set(cacheKey, pattern);
  }
  pattern.lastIndex = 0;
  return pattern;
}

/**
 * Replaces each secret in `text`, in every form and letter case (see the header for the rule on
 * short secrets). Secrets shorter than 4 characters are ignored.
 */
export function redactText(
  text: string,
  secrets: readonly (string | undefined)[],
  options: RedactOptions = {},
): string {
  const replacement = options.replacement ?? REDACTED;
  const minLength = options.minLength ?? MIN_SECRET_LENGTH;
  const everywhere = options.match === "everywhere";
  let out = text;
  for (const secret of secrets) {
    if (!secret || secret.length < minLength) continue;
    out = out.replace(patternFor(secret, everywhere), () => replacement);
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
      Object.defineProperty(out, redactText(k, secrets, options), {
        value: redactValue(v, secrets, options),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return value;
}
