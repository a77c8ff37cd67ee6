// A twin's API key: the key requests must carry (none when it is absent or empty), and the
// redactor that keeps it out of answers, logs and recorded requests.
import { createRedactor, type Redactor } from "../../server/middleware/redact.js";

/** What the key becomes wherever it would otherwise be echoed, logged or recorded. */
export const REDACTED = "[redacted]";

export interface TwinSecrets {
  /** The key requests must carry; undefined when none was given (or it was empty). */
  readonly requiredKey: string | undefined;
  /** Replaces the key with REDACTED in text and values. */
  readonly redactor: Redactor;
}

/** The twin's key, normalised ("" means none), with its redactor. */
export function twinSecrets(requiredKey: string | undefined): TwinSecrets {
  const key = requiredKey && requiredKey.length > 0 ? requiredKey : undefined;
  return { requiredKey: key, redactor: createRedactor([key], { replacement: REDACTED }) };
}
