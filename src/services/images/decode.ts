// Decodes encoded images to raw pixels with sharp. sharp works on libuv's thread pool,
// so decoding never blocks the event loop.
import type { Sharp } from "sharp";
import type { DecodedImage, PixelSize } from "../../frames/image.js";
import { PipecatError, brandErrorClass, describeError } from "../../utils/errors.js";
import { parseImageHeader } from "./header.js";

/** The bytes would not decode to pixels. */
export class ImageDecodeError extends PipecatError {
  static {
    brandErrorClass(ImageDecodeError, "ImageDecodeError", "IMAGE_DECODE_ERROR");
  }

  constructor(message: string, cause: unknown) {
    super(message, { category: "server", cause });
  }
}

const LAYOUTS: Record<number, string> = { 1: "L", 2: "LA", 3: "RGB", 4: "RGBA" };

// sharp (and libvips behind it) is loaded on first use, not when "pipecat-ts" is imported: a
// pipeline that never decodes an image does not pay for it (~60 MB of RSS).
let loadingSharp: Promise<(input: Uint8Array) => Sharp> | undefined;
function sharpFor(input: Uint8Array): Promise<Sharp> {
  loadingSharp ??= import("sharp").then((module) => module.default);
  return loadingSharp.then((sharp) => sharp(input));
}

/** Pixel layout name for a channel count, as Pipecat's `format` ("RGB", "RGBA"...). */
export function pixelFormatForChannels(channels: number): string {
  return LAYOUTS[channels] ?? `${channels}ch`;
}

/** Channel count of a pixel layout name ("RGB" → 3, "LA" → 2; "5ch" → 5), the inverse of the above. */
export function channelsForPixelFormat(format: string | undefined): number | undefined {
  for (const [channels, name] of Object.entries(LAYOUTS))
    if (name === format) return Number(channels);
  const counted = format === undefined ? undefined : /^(\d+)ch$/.exec(format);
  return counted ? Number(counted[1]) : undefined;
}

export async function decodeToPixels(bytes: Uint8Array): Promise<DecodedImage> {
  try {
    const { data, info } = await (await sharpFor(bytes))
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      size: { width: info.width, height: info.height },
      format: pixelFormatForChannels(info.channels),
    };
  } catch (cause) {
    throw new ImageDecodeError(`Could not decode image: ${describeError(cause)}`, cause);
  }
}

export interface ImageHeader {
  size: PixelSize;
  format: string;
}

/**
 * Reads only the header: size and pixel layout, without decoding pixels. Common PNG and JPEG
 * headers are read here; sharp reads the rest.
 */
export async function readImageHeader(bytes: Uint8Array): Promise<ImageHeader> {
  const parsed = parseImageHeader(bytes);
  if (parsed !== undefined)
    return { size: parsed.size, format: pixelFormatForChannels(parsed.channels) };
  try {
    const meta = await (await sharpFor(bytes)).metadata();
    if (!meta.width || !meta.height) throw new Error("no dimensions in image header");
    return {
      size: { width: meta.width, height: meta.height },
      format: pixelFormatForChannels(meta.channels ?? 3),
    };
  } catch (cause) {
    throw new ImageDecodeError(`Could not read image header: ${describeError(cause)}`, cause);
  }
}
