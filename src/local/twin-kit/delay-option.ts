// The check of the twins' simulated-latency options (the OpenAI twin's timeToFirstTokenMs and
// tokenDelayMs, the Cartesia twin's latencyMs, the combined server's latencyMs): one rule and one
// error, naming the option, the value and what is allowed.
import { SettingsValidationError } from "../../utils/errors.js";

/** What a delay option allows, as the error states it. */
const ALLOWED_DELAY = "a finite number of ms >= 0";

/** Throws a SettingsValidationError naming `field` unless `value` is absent or a delay in ms. */
export function checkDelayMs(field: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0))
    throw new SettingsValidationError(field, value, ALLOWED_DELAY);
}
