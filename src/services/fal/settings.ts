// FalImageGenService settings (Pipecat's FalImageGenSettings, reference pipecat-core.md §5.2) and
// the deprecated FalInputParams.
import { SettingsValidationError } from "../../utils/errors.js";
import { type ImageSize, validateImageSize } from "../image-size.js";
import {
  type Given,
  ImageGenSettings,
  MAX_SETTINGS_DEPTH,
  type SettingsInit,
  isGiven,
  isPlainObject,
} from "../settings.js";

export type FalImageFormat = "png" | "jpeg";
export const FAL_IMAGE_FORMATS: readonly FalImageFormat[] = Object.freeze(["png", "jpeg"]);

/** Upper bound of `numImages` across the supported models (fast-sdxl / fast-lightning-sdxl: 8). */
export const FAL_MAX_NUM_IMAGES = 8;
/** Upper bound of `numInferenceSteps` (fal's schemas top out at 50). Per-model limits live in models.ts. */
export const FAL_MAX_INFERENCE_STEPS = 50;

/** Every FalImageGenSettings field with a real value: the shape of a complete store. */
export interface FalImageGenValues {
  model: string;
  seed: number | null;
  numInferenceSteps: number;
  numImages: number;
  imageSize: ImageSize;
  expandPrompt: boolean;
  enableSafetyChecker: boolean;
  format: FalImageFormat;
}

/** Pipecat's store defaults for FalImageGenService. `numInferenceSteps: 8` is valid for all four known models. */
export const FAL_DEFAULTS: Readonly<FalImageGenValues> = Object.freeze({
  model: "fal-ai/fast-sdxl",
  seed: null,
  numInferenceSteps: 8,
  numImages: 1,
  imageSize: "square_hd",
  expandPrompt: false,
  enableSafetyChecker: true,
  format: "png",
});

function checkInteger(field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new SettingsValidationError(field, value, `an integer ${min}..${max}`);
  }
}

/** Throws unless `value` is plain JSON data: string, finite number, boolean, null, array, plain object. */
function checkJsonValue(field: string, value: unknown, depth = 0): void {
  const allowed =
    "JSON data: a string, a finite number, true/false, null, an array or a plain object";
  if (depth > MAX_SETTINGS_DEPTH)
    throw new SettingsValidationError(
      field,
      "…",
      `at most ${MAX_SETTINGS_DEPTH} levels of nesting`,
    );
  // undefined and NOT_GIVEN are left out of the request, as everywhere in settings.
  if (value === undefined || !isGiven(value)) return;
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new SettingsValidationError(field, value, allowed);
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) checkJsonValue(`${field}[${i}]`, item, depth + 1);
    return;
  }
  if (typeof value === "object" && isPlainObject(value)) {
    for (const [key, item] of Object.entries(value))
      checkJsonValue(`${field}.${key}`, item, depth + 1);
    return;
  }
  throw new SettingsValidationError(
    field,
    typeof value === "bigint" ? `${value}n` : typeof value === "function" ? "a function" : value,
    allowed,
  );
}

function checkBoolean(field: string, value: unknown): void {
  if (typeof value !== "boolean") throw new SettingsValidationError(field, value, "true or false");
}

/**
 * Settings of FalImageGenService (`FalImageGenService.Settings`). camelCase fields; `fromMapping`
 * also accepts the snake_case names (`num_inference_steps`, `image_size`, ...). Every field
 * defaults to NOT_GIVEN; `FalImageGenSettings.defaults()` is a complete store.
 *
 * Values are validated on construction and whenever a delta is applied (the store is left
 * unchanged if the merged result is invalid). Model-specific limits (flux's 4 images, lightning's
 * step set, ...) are checked by `validateSettingsForModel` in models.ts.
 */
export class FalImageGenSettings extends ImageGenSettings {
  static override readonly fields: readonly string[] = [
    ...ImageGenSettings.fields,
    "seed",
    "numInferenceSteps",
    "numImages",
    "imageSize",
    "expandPrompt",
    "enableSafetyChecker",
    "format",
  ];

  /** fal model id, e.g. "fal-ai/fast-sdxl". `null` is not accepted for fal. */
  declare model: Given<string>;
  /** Random seed for reproducible generation; `null` = random (not sent). */
  declare seed: Given<number | null>;
  declare numInferenceSteps: Given<number>;
  declare numImages: Given<number>;
  /** A preset name or `{ width, height }`. */
  declare imageSize: Given<ImageSize>;
  declare expandPrompt: Given<boolean>;
  declare enableSafetyChecker: Given<boolean>;
  declare format: Given<FalImageFormat>;

  constructor(init: SettingsInit<FalImageGenSettings> = {}) {
    super(init);
    this.validate();
  }

  /** A complete store holding {@link FAL_DEFAULTS}. */
  static defaults(): FalImageGenSettings {
    return new FalImageGenSettings({ ...FAL_DEFAULTS });
  }

  /** Throws a SettingsValidationError naming the field, the value and what is allowed. NOT_GIVEN fields pass. */
  override validate(): void {
    super.validate();
    const model: unknown = this.model;
    if (isGiven(model) && (typeof model !== "string" || model.trim() === "")) {
      throw new SettingsValidationError(
        "model",
        model,
        'a non-empty fal model id string (e.g. "fal-ai/fast-sdxl")',
      );
    }
    const seed: unknown = this.seed;
    if (isGiven(seed) && seed !== null) {
      if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) {
        throw new SettingsValidationError(
          "seed",
          seed,
          `an integer 0..${Number.MAX_SAFE_INTEGER}, or null for a random seed`,
        );
      }
    }
    if (isGiven(this.numInferenceSteps))
      checkInteger("numInferenceSteps", this.numInferenceSteps, 1, FAL_MAX_INFERENCE_STEPS);
    if (isGiven(this.numImages)) checkInteger("numImages", this.numImages, 1, FAL_MAX_NUM_IMAGES);
    if (isGiven(this.imageSize)) validateImageSize("imageSize", this.imageSize);
    if (isGiven(this.expandPrompt)) checkBoolean("expandPrompt", this.expandPrompt);
    if (isGiven(this.enableSafetyChecker))
      checkBoolean("enableSafetyChecker", this.enableSafetyChecker);
    // fal receives JSON: an extra value JSON cannot carry (BigInt, a function, NaN, a Date that
    // would silently become a string) is refused here, not at request time.
    for (const [key, value] of Object.entries(this.extra)) checkJsonValue(`extra.${key}`, value);
    const format: unknown = this.format;
    if (isGiven(format) && !FAL_IMAGE_FORMATS.includes(format as FalImageFormat)) {
      throw new SettingsValidationError(
        "format",
        format,
        FAL_IMAGE_FORMATS.map((f) => `"${f}"`).join(" or "),
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Deprecated FalInputParams
// ---------------------------------------------------------------------------------------------

export interface FalInputParamsInit {
  seed?: number | null;
  numInferenceSteps?: number;
  numImages?: number;
  imageSize?: ImageSize;
  expandPrompt?: boolean;
  enableSafetyChecker?: boolean;
  format?: FalImageFormat;
}

export const FAL_INPUT_PARAMS_DEPRECATION_CODE = "PIPECAT_FAL_INPUT_PARAMS";
export const FAL_INPUT_PARAMS_DEPRECATION_MESSAGE =
  "FalInputParams is deprecated (Pipecat 0.0.105). Use `settings: new FalImageGenService.Settings({...})` " +
  "instead (same fields, e.g. new FalImageGenService.Settings({ numInferenceSteps: 4 })).";

let inputParamsWarned = false;

/** Test hook: make the next `new FalInputParams()` warn again. */
export function resetFalInputParamsWarning(): void {
  inputParamsWarned = false;
}

/**
 * Pipecat's `FalImageGenService.InputParams`, with its defaults (steps 8, 1 image, "square_hd",
 * no prompt expansion, safety checker on, "png", random seed). Values are validated.
 *
 * @deprecated Use `new FalImageGenService.Settings({...})` (FalImageGenSettings). The first
 * construction in a process emits a `DeprecationWarning` with code `PIPECAT_FAL_INPUT_PARAMS`.
 */
export class FalInputParams {
  readonly seed: number | null;
  readonly numInferenceSteps: number;
  readonly numImages: number;
  readonly imageSize: ImageSize;
  readonly expandPrompt: boolean;
  readonly enableSafetyChecker: boolean;
  readonly format: FalImageFormat;

  constructor(init: FalInputParamsInit = {}) {
    if (!inputParamsWarned) {
      inputParamsWarned = true;
      process.emitWarning(FAL_INPUT_PARAMS_DEPRECATION_MESSAGE, {
        type: "DeprecationWarning",
        code: FAL_INPUT_PARAMS_DEPRECATION_CODE,
      });
    }
    this.seed = init.seed === undefined ? FAL_DEFAULTS.seed : init.seed;
    this.numInferenceSteps = init.numInferenceSteps ?? FAL_DEFAULTS.numInferenceSteps;
    this.numImages = init.numImages ?? FAL_DEFAULTS.numImages;
    const size = init.imageSize ?? FAL_DEFAULTS.imageSize;
    this.imageSize = typeof size === "string" ? size : { ...size };
    this.expandPrompt = init.expandPrompt ?? FAL_DEFAULTS.expandPrompt;
    this.enableSafetyChecker = init.enableSafetyChecker ?? FAL_DEFAULTS.enableSafetyChecker;
    this.format = init.format ?? FAL_DEFAULTS.format;
    this.toSettings(); // validates
  }

  /** The equivalent settings delta (every field except `model`, which InputParams never had). */
  toSettings(): FalImageGenSettings {
    return new FalImageGenSettings({
      seed: this.seed,
      numInferenceSteps: this.numInferenceSteps,
      numImages: this.numImages,
      imageSize: this.imageSize,
      expandPrompt: this.expandPrompt,
      enableSafetyChecker: this.enableSafetyChecker,
      format: this.format,
    });
  }
}
