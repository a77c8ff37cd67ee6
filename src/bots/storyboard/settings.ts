// The storyboard's `settings` client-message: which image settings a client may change, how a
// message becomes a FalImageGenSettings delta, and the one-line answer naming the field, the value
// and what is allowed when it cannot.
import { FalImageGenSettings } from "../../services/fal/settings.js";
import { validateSettingsForModel } from "../../services/fal/models.js";
import { parseImageSize, resolveImageSize, type ImageSize } from "../../services/image-size.js";
import { isGiven } from "../../services/settings.js";
import { SettingsValidationError, describeValue } from "../../utils/errors.js";
import type { StoryboardSettingsSummary } from "../messages.js";

/** The settings a client may change. */
export const STORYBOARD_SETTINGS = ["model", "imageSize", "seed", "numInferenceSteps"] as const;

/**
 * A client's settings message: `{ model?, imageSize?, seed?, numInferenceSteps? }`. `imageSize` is
 * a preset name, "WIDTHxHEIGHT" or `{ width, height }`; `seed` null or "" means a random seed, and
 * a seed given as text is refused as written (Number("abc") would read "NaN"). Any other key
 * (`__proto__` included) is refused, naming it.
 *
 * @throws SettingsValidationError naming the field (`imageSize.width`...), the value and what is allowed
 */
export function settingsFromMessage(input: unknown): FalImageGenSettings {
  if (input === undefined || input === null) return new FalImageGenSettings();
  if (typeof input !== "object" || Array.isArray(input))
    throw new SettingsValidationError(
      "settings",
      input,
      `an object with any of ${STORYBOARD_SETTINGS.join(", ")}`,
    );
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw))
    if (!(STORYBOARD_SETTINGS as readonly string[]).includes(key))
      throw new SettingsValidationError(
        key.slice(0, 40),
        raw[key],
        `a key among ${STORYBOARD_SETTINGS.join(", ")}`,
      );
  const init: Record<string, unknown> = {};
  if (raw.model !== undefined) {
    if (typeof raw.model !== "string" || raw.model.trim() === "")
      throw new SettingsValidationError(
        "model",
        raw.model,
        'a fal model id like "fal-ai/fast-sdxl"',
      );
    init.model = raw.model.trim();
  }
  if (raw.imageSize !== undefined && raw.imageSize !== "") {
    init.imageSize =
      typeof raw.imageSize === "string"
        ? parseImageSize(raw.imageSize, "imageSize")
        : (raw.imageSize as ImageSize);
  }
  if (raw.seed !== undefined) {
    if (raw.seed === null || raw.seed === "") init.seed = null;
    else if (typeof raw.seed === "string") {
      const text = raw.seed.trim();
      if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text)))
        throw new SettingsValidationError(
          "seed",
          raw.seed,
          `an integer 0..${Number.MAX_SAFE_INTEGER}, or null for a random seed`,
        );
      init.seed = Number(text);
    } else init.seed = raw.seed;
  }
  if (raw.numInferenceSteps !== undefined) init.numInferenceSteps = raw.numInferenceSteps;
  return new FalImageGenSettings(init);
}

/**
 * Applies `delta` to a copy of `current` and checks the result against the model's schema.
 *
 * @throws SettingsValidationError when the merged settings are not valid for the model
 */
export function mergeSettings(
  current: FalImageGenSettings,
  delta: FalImageGenSettings,
): FalImageGenSettings {
  const merged = current.copy() as FalImageGenSettings;
  merged.applyUpdate(delta);
  validateSettingsForModel(merged);
  return merged;
}

/** `settings.imageSize "huge" is not valid: expected …`: the field as the client wrote it. */
export function settingsErrorText(error: SettingsValidationError): string {
  const allowed = error.allowed.replace(/\.$/, "");
  return `settings.${error.field} ${describeValue(error.value)} is not valid: expected ${allowed}.`;
}

/** What a client shows of the settings in force. */
export function summarizeSettings(settings: FalImageGenSettings): StoryboardSettingsSummary {
  const size = isGiven(settings.imageSize) ? resolveImageSize(settings.imageSize) : undefined;
  return {
    model: String(settings.model),
    imageSize: isGiven(settings.imageSize) ? settings.imageSize : null,
    width: size?.width ?? null,
    height: size?.height ?? null,
    seed: isGiven(settings.seed) ? settings.seed : null,
    numInferenceSteps: isGiven(settings.numInferenceSteps) ? settings.numInferenceSteps : null,
  };
}
