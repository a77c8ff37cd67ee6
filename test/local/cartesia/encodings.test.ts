// The twin's encodings: G.711 against its known values and round-trip error bounds, float samples,
// and WAV headers that name each encoding's format tag and sizes.
import { describe, expect, it } from "vitest";
import {
  alawToLinear,
  encodePcm16,
  linearToAlaw,
  linearToMulaw,
  mulawToLinear,
  wavHeaderFor,
} from "../../../src/local/cartesia/encodings.js";
import { samplesToPcm16 } from "../../../src/audio/pcm.js";

describe("G.711", () => {
  it("encodes silence and full scale to the reference bytes", () => {
    expect(linearToMulaw(0)).toBe(0xff);
    expect(linearToMulaw(32767)).toBe(0x80);
    expect(linearToMulaw(-32768)).toBe(0x00);
    expect(linearToAlaw(0)).toBe(0xd5);
    expect(linearToAlaw(32767)).toBe(0xaa);
    expect(linearToAlaw(-32768)).toBe(0x2a);
  });

  it("decodes back within G.711's quantisation error over the whole 16-bit range", () => {
    for (let s = -32768; s <= 32767; s += 7) {
      const u = mulawToLinear(linearToMulaw(s));
      const a = alawToLinear(linearToAlaw(s));
      const bound = Math.max(40, Math.abs(s) * 0.07);
      expect(Math.abs(u - s), `mu-law ${s}`).toBeLessThanOrEqual(bound);
      expect(Math.abs(a - s), `A-law ${s}`).toBeLessThanOrEqual(bound);
      expect(Math.sign(u) * Math.sign(s)).not.toBe(-1);
    }
  });
});

describe("encodePcm16", () => {
  const pcm = samplesToPcm16(new Int16Array([0, 16384, -16384, 32767, -32768]));

  it("keeps s16le, and makes 4-byte floats in [-1, 1) and 1-byte G.711 samples", () => {
    expect(encodePcm16(pcm, "pcm_s16le")).toBe(pcm);
    const f32 = encodePcm16(pcm, "pcm_f32le");
    expect(f32.byteLength).toBe(20);
    const view = new DataView(f32.buffer, f32.byteOffset, f32.byteLength);
    expect([0, 1, 2, 3, 4].map((i) => view.getFloat32(i * 4, true))).toEqual([
      0,
      0.5,
      -0.5,
      32767 / 32768,
      -1,
    ]);
    expect(encodePcm16(pcm, "pcm_mulaw").byteLength).toBe(5);
    expect(encodePcm16(pcm, "pcm_alaw").byteLength).toBe(5);
  });
});

describe("wavHeaderFor", () => {
  const read = (header: Uint8Array) => {
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const text = (at: number) => String.fromCharCode(...header.subarray(at, at + 4));
    return { view, text };
  };

  it("writes the canonical 44-byte PCM header", () => {
    const header = wavHeaderFor("pcm_s16le", 24000, 4800);
    const { view, text } = read(header);
    expect(header.byteLength).toBe(44);
    expect([text(0), text(8), text(12), text(36)]).toEqual(["RIFF", "WAVE", "fmt ", "data"]);
    expect(view.getUint32(4, true)).toBe(36 + 4800);
    expect(view.getUint16(20, true)).toBe(1);
    expect(view.getUint32(24, true)).toBe(24000);
    expect(view.getUint32(28, true)).toBe(48000);
    expect(view.getUint16(34, true)).toBe(16);
    expect(view.getUint32(40, true)).toBe(4800);
  });

  it("names float, A-law and mu-law with their tags, sample sizes and a fact chunk", () => {
    for (const [encoding, tag, bits] of [
      ["pcm_f32le", 3, 32],
      ["pcm_alaw", 6, 8],
      ["pcm_mulaw", 7, 8],
    ] as const) {
      const header = wavHeaderFor(encoding, 8000, 800);
      const { view, text } = read(header);
      expect(view.getUint16(20, true)).toBe(tag);
      expect(view.getUint16(34, true)).toBe(bits);
      expect(text(38)).toBe("fact");
      expect(view.getUint32(46, true)).toBe(800 / (bits / 8));
      expect(text(50)).toBe("data");
      expect(view.getUint32(54, true)).toBe(800);
      expect(view.getUint32(4, true)).toBe(header.byteLength - 8 + 800);
    }
  });
});
