// Reads fal's text-to-image output ({ images: [...], seed, timings, ... }) defensively.
import { FalResponseError } from "./errors.js";

export interface FalImageOutput {
  url: string;
  width: number | undefined;
  height: number | undefined;
  contentType: string | undefined;
}

export interface FalImageGenOutput {
  images: FalImageOutput[];
  seed: number | undefined;
  timings: Record<string, number> | undefined;
  hasNsfwConcepts: boolean[];
}

export function parseImageGenOutput(data: unknown): FalImageGenOutput {
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    throw new FalResponseError("fal returned no output object");
  }
  const record = data as Record<string, unknown>;
  if (!Array.isArray(record.images)) throw new FalResponseError('fal output has no "images" list');
  if (record.images.length === 0) throw new FalResponseError("fal returned no images");
  const images = record.images.map((item, index): FalImageOutput => {
    const image = item && typeof item === "object" ? (item as Record<string, unknown>) : undefined;
    if (!image || typeof image.url !== "string" || image.url.length === 0) {
      throw new FalResponseError(`fal image ${index} has no url`);
    }
    return {
      url: image.url,
      width: positiveInt(image.width),
      height: positiveInt(image.height),
      contentType: typeof image.content_type === "string" ? image.content_type : undefined,
    };
  });
  const timings: Record<string, number> = {};
  if (record.timings && typeof record.timings === "object") {
    for (const [k, v] of Object.entries(record.timings)) if (typeof v === "number") timings[k] = v;
  }
  return {
    images,
    seed: typeof record.seed === "number" ? record.seed : undefined,
    timings: Object.keys(timings).length > 0 ? timings : undefined,
    hasNsfwConcepts: Array.isArray(record.has_nsfw_concepts)
      ? record.has_nsfw_concepts.map(Boolean)
      : [],
  };
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : undefined;
}
