// resampleLinear: lengths, interpolation, channels kept apart, identity.
import { describe, expect, it } from "vitest";
import { resampleLinear } from "../../src/transports/audio/resample.js";

function pcm(samples: number[]): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (const [i, s] of samples.entries()) view.setInt16(i * 2, s, true);
  return out;
}

function samplesOf(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.byteLength / 2 }, (_, i) => view.getInt16(i * 2, true));
}

describe("resampleLinear", () => {
  it("returns the input when the rates match", () => {
    const input = pcm([1, 2, 3]);
    expect(resampleLinear(input, 24000, 24000)).toBe(input);
  });

  it("gives round(frames × to / from) frames, an even number of bytes", () => {
    expect(resampleLinear(pcm(Array(1600).fill(0)), 16000, 24000).byteLength).toBe(4800);
    expect(resampleLinear(pcm(Array(4410).fill(0)), 44100, 24000).byteLength).toBe(4800);
    expect(resampleLinear(pcm(Array(7).fill(0)), 16000, 24000).byteLength % 2).toBe(0);
  });

  it("interpolates linearly between samples", () => {
    // 2× upsampling of a ramp puts the midpoints between the samples.
    expect(samplesOf(resampleLinear(pcm([0, 100, 200, 300]), 8000, 16000))).toEqual([
      0, 50, 100, 150, 200, 250, 300, 300,
    ]);
    // 2× downsampling keeps every other sample.
    expect(samplesOf(resampleLinear(pcm([0, 10, 20, 30, 40, 50]), 48000, 24000))).toEqual([
      0, 20, 40,
    ]);
  });

  it("keeps the channels of interleaved stereo apart", () => {
    const stereo = pcm([0, 1000, 100, 1000, 200, 1000]);
    const out = samplesOf(resampleLinear(stereo, 8000, 16000, 2));
    expect(out.filter((_, i) => i % 2 === 1)).toEqual(Array(6).fill(1000));
    expect(out.filter((_, i) => i % 2 === 0)).toEqual([0, 50, 100, 150, 200, 200]);
  });

  it("stays within the 16-bit range at full scale", () => {
    const out = samplesOf(resampleLinear(pcm([32767, -32768, 32767]), 16000, 24000));
    for (const s of out) expect(s >= -32768 && s <= 32767).toBe(true);
  });

  it("refuses a rate of zero", () => {
    expect(() => resampleLinear(pcm([1]), 0, 24000)).toThrow(RangeError);
  });
});
