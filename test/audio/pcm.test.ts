// s16le helpers: conversions (aligned or not), loudness, durations, sizes.
import { describe, expect, it } from "vitest";
import { AudioFormatError } from "../../src/audio/errors.js";
import {
  clampInt16,
  concatBytes,
  downmixToMono,
  floatToPcm16,
  pcm16BytesForDuration,
  pcm16DurationSeconds,
  pcm16Rms,
  pcm16Silence,
  pcm16ToSamples,
  samplesToPcm16,
} from "../../src/audio/pcm.js";

describe("pcm16", () => {
  it("reads little-endian samples, from aligned and unaligned bytes alike", () => {
    const bytes = new Uint8Array([0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f]);
    expect([...pcm16ToSamples(bytes)]).toEqual([1, -1, -32768, 32767]);
    const unaligned = new Uint8Array(9);
    unaligned.set(bytes, 1);
    expect([...pcm16ToSamples(unaligned.subarray(1))]).toEqual([1, -1, -32768, 32767]);
  });

  it("writes samples back to the same bytes", () => {
    const samples = Int16Array.from([1, -1, -32768, 32767]);
    expect([...samplesToPcm16(samples)]).toEqual([0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f]);
  });

  it("rejects an odd byte count, naming the field", () => {
    expect(() => pcm16ToSamples(new Uint8Array(3))).toThrow(AudioFormatError);
    expect(() => pcm16ToSamples(new Uint8Array(3))).toThrow(/audio\.byteLength.*3.*even/);
  });

  it("clips and rounds", () => {
    expect(clampInt16(40_000)).toBe(32_767);
    expect(clampInt16(-40_000)).toBe(-32_768);
    expect(clampInt16(1.6)).toBe(2);
    expect([...pcm16ToSamples(floatToPcm16([0, 1, -1, 2, 0.5]))]).toEqual([
      0, 32767, -32767, 32767, 16384,
    ]);
  });

  it("measures loudness: silence is 0, a full-scale square wave is 1, a sine ≈ 0.707", () => {
    expect(pcm16Rms(pcm16Silence(100, 16_000))).toBe(0);
    expect(pcm16Rms(samplesToPcm16(Int16Array.from([32767, -32767, 32767, -32767])))).toBeCloseTo(
      1,
      3,
    );
    const sine = Float32Array.from({ length: 16_000 }, (_, i) =>
      Math.sin((2 * Math.PI * 440 * i) / 16_000),
    );
    expect(pcm16Rms(floatToPcm16(sine))).toBeCloseTo(Math.SQRT1_2, 2);
    expect(pcm16Rms(new Uint8Array(0))).toBe(0);
  });

  it("converts between durations and byte lengths", () => {
    expect(pcm16BytesForDuration(40, 24_000)).toBe(1920);
    expect(pcm16BytesForDuration(10, 44_100, 2)).toBe(441 * 4);
    expect(pcm16DurationSeconds(48_000, 24_000)).toBe(1);
    expect(pcm16DurationSeconds(48_000, 24_000, 2)).toBe(0.5);
    expect(pcm16Silence(20, 8_000).byteLength).toBe(320);
  });

  it("downmixes interleaved frames to mono and concatenates", () => {
    expect([...downmixToMono(Int16Array.from([100, 200, -50, 50]), 2)]).toEqual([150, 0]);
    expect([...concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])])]).toEqual([1, 2, 3]);
  });
});
