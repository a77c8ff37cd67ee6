// Image sizes shared by fal models: the six presets of fal's toolkit, or explicit {width, height}
// (reference fal-protocol.md §5.1).
import type { PixelSize } from "../frames/image.js";
import { SettingsValidationError } from "../utils/errors.js";

export type ImageSizePreset =
  | "square_hd"
  | "square"
  | "portrait_4_3"
  | "portrait_16_9"
  | "landscape_4_3"
  | "landscape_16_9";

/** Explicit dimensions asked for, in pixels; integers 1..{@link MAX_IMAGE_DIMENSION}. */
export interface CustomImageSize {
  width: number;
  height: number;
}

/**
 * The size setting: a preset name or custom dimensions, as fal's `image_size` field. What an image
 * actually measures is a `PixelSize` (see `resolveImageSize`).
 */
export type ImageSize = ImageSizePreset | CustomImageSize;

/** fal's `ImageSize` bound (`gt=0, le=14142`). */
export const MAX_IMAGE_DIMENSION = 14142;

/** Preset name → dimensions (fal SDK `IMAGE_SIZE_PRESETS`). Frozen. */
export const IMAGE_SIZE_PRESETS: Readonly<Record<ImageSizePreset, Readonly<PixelSize>>> =
  Object.freeze({
    square_hd: Object.freeze({ width: 1024, height: 1024 }),
    square: Object.freeze({ width: 512, height: 512 }),
    portrait_4_3: Object.freeze({ width: 768, height: 1024 }),
    portrait_16_9: Object.freeze({ width: 576, height: 1024 }),
    landscape_4_3: Object.freeze({ width: 1024, height: 768 }),
    landscape_16_9: Object.freeze({ width: 1024, height: 576 }),
  });

/** The preset names, in fal's order. */
export const IMAGE_SIZE_PRESET_NAMES: readonly ImageSizePreset[] = Object.freeze(
  Object.keys(IMAGE_SIZE_PRESETS) as ImageSizePreset[],
);

const ALLOWED_TEXT = `one of ${IMAGE_SIZE_PRESET_NAMES.map((p) => `"${p}"`).join(", ")}, or {width, height} with integers 1..${MAX_IMAGE_DIMENSION}`;

export function isImageSizePreset(value: unknown): value is ImageSizePreset {
  return typeof value === "string" && Object.hasOwn(IMAGE_SIZE_PRESETS, value);
}

/**
 * Throws a SettingsValidationError unless `value` is a preset name or a plain `{width, height}`
 * object with integer dimensions in 1..14142 and no other keys. Errors about one dimension name
 * `<field>.width` / `<field>.height`.
 */
export function validateImageSize(field: string, value: unknown): asserts value is ImageSize {
  if (typeof value === "string") {
    if (isImageSizePreset(value)) return;
    throw new SettingsValidationError(field, value, ALLOWED_TEXT);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SettingsValidationError(field, value, ALLOWED_TEXT);
  }
  const record = value as Record<string, unknown>;
  const unknownKeys = Object.keys(record).filter((k) => k !== "width" && k !== "height");
  if (unknownKeys.length > 0) {
    throw new SettingsValidationError(
      field,
      value,
      `${ALLOWED_TEXT} (no other keys; got ${unknownKeys.join(", ")})`,
    );
  }
  for (const dim of ["width", "height"] as const) {
    const n = record[dim];
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_IMAGE_DIMENSION) {
      throw new SettingsValidationError(
        `${field}.${dim}`,
        n,
        `an integer 1..${MAX_IMAGE_DIMENSION}`,
      );
    }
  }
}

/** The pixel dimensions of a size (validated; always a fresh object). */
export function resolveImageSize(size: ImageSize, field = "imageSize"): PixelSize {
  validateImageSize(field, size);
  if (typeof size === "string") {
    const preset = IMAGE_SIZE_PRESETS[size];
    return { width: preset.width, height: preset.height };
  }
  return { width: size.width, height: size.height };
}

/**
 * Parses CLI text: a preset name (case-insensitive, surrounding spaces ignored) or `WIDTHxHEIGHT`
 * (`x`, `X` or `×`, e.g. `1024x768`). Throws a SettingsValidationError naming `field`.
 */
export function parseImageSize(text: string, field = "imageSize"): ImageSize {
  const trimmed = String(text).trim();
  const lower = trimmed.toLowerCase();
  if (isImageSizePreset(lower)) return lower;
  const match = /^(\d+)\s*[xX×]\s*(\d+)$/.exec(trimmed);
  if (match === null) {
    throw new SettingsValidationError(
      field,
      text,
      `one of ${IMAGE_SIZE_PRESET_NAMES.map((p) => `"${p}"`).join(", ")}, or WIDTHxHEIGHT with integers 1..${MAX_IMAGE_DIMENSION} (e.g. "1024x768")`,
    );
  }
  const size = { width: Number(match[1]), height: Number(match[2]) };
  validateImageSize(field, size);
  return size;
}
