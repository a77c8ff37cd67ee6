import sharp from "sharp";
import { describe, expect, it } from "vitest";
import {
  ImageDecodeError,
  pixelFormatForChannels,
  readImageHeader,
} from "../../../src/services/images/decode.js";
import { parseImageHeader } from "../../../src/services/images/header.js";

/** What sharp says of the file: the answer readImageHeader gave before it read headers itself. */
async function sharpHeader(bytes: Uint8Array) {
  const meta = await sharp(bytes).metadata();
  return {
    size: { width: meta.width, height: meta.height },
    format: pixelFormatForChannels(meta.channels ?? 3),
  };
}

function pixels(width: number, height: number, channels: 1 | 2 | 3 | 4): Buffer {
  const out = Buffer.alloc(width * height * channels);
  for (let i = 0; i < out.length; i += 1) out[i] = (i * 37) % 251;
  return out;
}

const raw = (width: number, height: number, channels: 1 | 2 | 3 | 4) =>
  sharp(pixels(width, height, channels), { raw: { width, height, channels } });

/** Files of every kind the parser reads, or leaves to sharp. */
const FILES: Array<[string, () => Promise<Buffer>, "parsed" | "sharp"]> = [
  ["PNG, RGB", () => raw(33, 17, 3).png().toBuffer(), "parsed"],
  ["PNG, RGBA", () => raw(20, 40, 4).png().toBuffer(), "parsed"],
  ["PNG, grey", () => raw(9, 7, 1).png().toBuffer(), "parsed"],
  ["PNG, grey + alpha", () => raw(9, 7, 2).png().toBuffer(), "parsed"],
  ["PNG, 16 bits", () => raw(12, 5, 3).toColourspace("rgb16").png().toBuffer(), "parsed"],
  ["PNG, palette", () => raw(16, 16, 3).png({ palette: true }).toBuffer(), "sharp"],
  ["PNG, palette + transparency", () => raw(16, 16, 4).png({ palette: true }).toBuffer(), "sharp"],
  ["JPEG, colour", () => raw(31, 29, 3).jpeg().toBuffer(), "parsed"],
  ["JPEG, grey", () => raw(31, 29, 1).jpeg().toBuffer(), "parsed"],
  ["JPEG, progressive", () => raw(64, 48, 3).jpeg({ progressive: true }).toBuffer(), "parsed"],
  [
    "JPEG with EXIF",
    () => raw(40, 20, 3).withMetadata({ orientation: 6 }).jpeg().toBuffer(),
    "parsed",
  ],
  ["JPEG, CMYK", () => raw(10, 10, 3).toColourspace("cmyk").jpeg().toBuffer(), "sharp"],
  ["WebP", () => raw(10, 12, 3).webp().toBuffer(), "sharp"],
  ["WebP with alpha", () => raw(10, 12, 4).webp().toBuffer(), "sharp"],
];

describe("readImageHeader", () => {
  for (const [name, make, reader] of FILES) {
    it(`answers as sharp does: ${name} (read by ${reader === "parsed" ? "the header parser" : "sharp"})`, async () => {
      const bytes = new Uint8Array(await make());
      expect(await readImageHeader(bytes)).toEqual(await sharpHeader(bytes));
      expect(parseImageHeader(bytes) === undefined).toBe(reader === "sharp");
    });
  }

  it("reads a PNG whose pixels have not arrived (a header is enough)", async () => {
    const bytes = new Uint8Array(await raw(300, 200, 3).png().toBuffer());
    const idat = Buffer.from(bytes).indexOf("IDAT");
    expect(parseImageHeader(bytes.subarray(0, idat + 4))).toEqual({
      size: { width: 300, height: 200 },
      channels: 3,
    });
  });

  it("reads a JPEG inside a larger buffer (a view with an offset)", async () => {
    const jpeg = await raw(31, 29, 3).jpeg().toBuffer();
    const padded = new Uint8Array(jpeg.length + 10);
    padded.set(jpeg, 7);
    expect(parseImageHeader(padded.subarray(7, 7 + jpeg.length))).toEqual({
      size: { width: 31, height: 29 },
      channels: 3,
    });
  });

  it("leaves a truncated or broken header to sharp, which names the failure", async () => {
    const png = new Uint8Array(await raw(8, 8, 3).png().toBuffer());
    for (const broken of [
      png.subarray(0, 20),
      png.subarray(0, 36),
      new Uint8Array([0xff, 0xd8, 0xff, 0x00]),
    ]) {
      expect(parseImageHeader(broken)).toBeUndefined();
      await expect(readImageHeader(broken)).rejects.toThrow(ImageDecodeError);
    }
  });

  it("does not take a zero-sized PNG header at its word", () => {
    const header = new Uint8Array(45);
    header.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], 0);
    header.set(Buffer.from("IHDR"), 12);
    header[25] = 2;
    header.set(Buffer.from("IDAT"), 37);
    expect(parseImageHeader(header)).toBeUndefined();
  });
});
