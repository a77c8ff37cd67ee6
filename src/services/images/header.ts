// Reads an image's size and pixel layout from its first bytes, in JavaScript, for the files whose
// header says it all (PNG without transparency chunks, 8-bit-per-sample baseline and progressive
// JPEG in grey or colour). Asking sharp for the same costs a libvips image and a trip through the
// thread pool per image, which a bot drawing hundreds of scenes at once pays on its event loop;
// anything this does not recognise is left to sharp (decode.ts), so the answers never differ.
import type { PixelSize } from "../../frames/image.js";

export interface ParsedImageHeader {
  size: PixelSize;
  /** Samples per pixel as sharp reports them: 1 grey, 2 grey + alpha, 3 colour, 4 colour + alpha. */
  channels: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** PNG colour type → channels; palette images (3) and transparency chunks are sharp's to judge. */
const PNG_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 4: 2, 6: 4 };
/** Chunks after IHDR are looked at up to this many bytes in, for a tRNS before the pixels. */
const PNG_SCAN_LIMIT_BYTES = 64 * 1024;

/** Size and channels from the header, or undefined when only a real decoder can tell. */
export function parseImageHeader(bytes: Uint8Array): ParsedImageHeader | undefined {
  if (isPng(bytes)) return parsePng(bytes);
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return parseJpeg(bytes);
  return undefined;
}

function isPng(bytes: Uint8Array): boolean {
  if (bytes.length < PNG_SIGNATURE.length) return false;
  return PNG_SIGNATURE.every((byte, i) => bytes[i] === byte);
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function chunkType(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(
    bytes[at] as number,
    bytes[at + 1] as number,
    bytes[at + 2] as number,
    bytes[at + 3] as number,
  );
}

function parsePng(bytes: Uint8Array): ParsedImageHeader | undefined {
  // Signature (8), then IHDR: length (4) "IHDR" (4) width (4) height (4) depth (1) colour type (1)...
  if (bytes.length < 33 || chunkType(bytes, 12) !== "IHDR") return undefined;
  const data = view(bytes);
  const width = data.getUint32(16);
  const height = data.getUint32(20);
  const channels = PNG_CHANNELS[bytes[25] as number];
  if (width === 0 || height === 0 || channels === undefined) return undefined;
  // A tRNS chunk (before the first IDAT) adds an alpha channel: sharp's call, not ours.
  let at = 33;
  const limit = Math.min(bytes.length, PNG_SCAN_LIMIT_BYTES);
  for (;;) {
    if (at + 8 > limit) return undefined;
    const type = chunkType(bytes, at + 4);
    if (type === "IDAT") return { size: { width, height }, channels };
    if (type === "tRNS" || type === "IEND") return undefined;
    at += 12 + data.getUint32(at);
  }
}

function parseJpeg(bytes: Uint8Array): ParsedImageHeader | undefined {
  const data = view(bytes);
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1] as number;
    // Fill bytes, and markers without a length (TEM, RSTn).
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end, or pixels before a frame
    const length = data.getUint16(at + 2);
    if (length < 2) return undefined;
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 10 > bytes.length) return undefined;
      const precision = bytes[at + 4];
      const height = data.getUint16(at + 5);
      const width = data.getUint16(at + 7);
      const components = bytes[at + 9];
      // 8-bit grey or YCbCr only: CMYK, 12-bit and the rest are sharp's to describe.
      if (precision !== 8 || width === 0 || height === 0) return undefined;
      if (components !== 1 && components !== 3) return undefined;
      return { size: { width, height }, channels: components };
    }
    at += 2 + length;
  }
  return undefined;
}
