// LinearResampler: output length, pitch preserved (zero crossings of a sine), identical output
// whatever the chunking, channels kept apart.
import { describe, expect, it } from "vitest";
import { concatBytes, floatToPcm16, pcm16ToSamples, samplesToPcm16 } from "../../src/audio/pcm.js";
import { LinearResampler, resamplePcm16 } from "../../src/audio/resampler.js";
import { SettingsValidationError } from "../../src/utils/errors.js";

function sine(hz: number, rate: number, seconds: number, amplitude = 0.8): Uint8Array {
  const n = Math.round(rate * seconds);
  return floatToPcm16(
    Float32Array.from({ length: n }, (_, i) => amplitude * Math.sin((2 * Math.PI * hz * i) / rate)),
  );
}

/** Sign changes per second, halved: the frequency of a clean sine. */
function frequencyOf(pcm: Uint8Array, rate: number): number {
  const s = pcm16ToSamples(pcm);
  let crossings = 0;
  for (let i = 1; i < s.length; i += 1) {
    if ((s[i - 1] as number) < 0 !== (s[i] as number) < 0) crossings += 1;
  }
  return crossings / 2 / (s.length / rate);
}

const RATE_PAIRS: Array<[number, number]> = [
  [22_050, 24_000],
  [22_050, 16_000],
  [22_050, 8_000],
  [24_000, 16_000],
  [16_000, 48_000],
  [44_100, 48_000],
  [48_000, 8_000],
  [8_000, 44_100],
];

describe("LinearResampler", () => {
  it("makes ceil(N × to / from) frames", () => {
    for (const [from, to] of RATE_PAIRS) {
      for (const n of [1, 2, 999, 22_050]) {
        const out = resamplePcm16(samplesToPcm16(new Int16Array(n)), from, to);
        expect(out.byteLength / 2, `${n} frames ${from}→${to}`).toBe(Math.ceil((n * to) / from));
      }
    }
  });

  it("keeps a sine's frequency (zero crossings), up and down", () => {
    for (const [from, to] of RATE_PAIRS) {
      const out = resamplePcm16(sine(440, from, 1), from, to);
      expect(out.byteLength / 2).toBe(to);
      expect(Math.abs(frequencyOf(out, to) - 440), `${from}→${to}`).toBeLessThan(2);
    }
  });

  it("gives the same output whatever the chunk boundaries, even inside a sample", () => {
    const input = sine(997, 22_050, 0.1);
    for (const [from, to] of RATE_PAIRS.slice(0, 5)) {
      const whole = resamplePcm16(input, from, to);
      for (const size of [1, 3, 2, 101, 4096]) {
        const resampler = new LinearResampler(from, to);
        const parts: Uint8Array[] = [];
        for (let i = 0; i < input.byteLength; i += size) {
          const out = resampler.process(input.subarray(i, i + size));
          expect(out.byteLength % 2).toBe(0);
          parts.push(out);
        }
        parts.push(resampler.flush());
        expect(concatBytes(parts), `${from}→${to} in ${size}-byte pieces`).toEqual(whole);
      }
    }
  });

  it("is continuous across chunk boundaries (no jump larger than the signal's own slope)", () => {
    const resampler = new LinearResampler(22_050, 24_000);
    const input = sine(200, 22_050, 0.2);
    const out: number[] = [];
    for (let i = 0; i < input.byteLength; i += 882)
      out.push(...pcm16ToSamples(resampler.process(input.subarray(i, i + 882))));
    // Largest step of a 200 Hz sine at 0.8 full scale, sampled at 24 kHz: 2π·200/24000·0.8·32767.
    const maxStep = ((2 * Math.PI * 200) / 24_000) * 0.8 * 32_767 * 1.05;
    for (let i = 1; i < out.length; i += 1)
      expect(Math.abs((out[i] as number) - (out[i - 1] as number))).toBeLessThanOrEqual(maxStep);
  });

  it("passes audio through unchanged at equal rates", () => {
    const input = sine(300, 16_000, 0.1);
    expect(resamplePcm16(input, 16_000, 16_000)).toBe(input);
    const resampler = new LinearResampler(16_000, 16_000);
    expect(concatBytes([resampler.process(input), resampler.flush()])).toEqual(input);
  });

  it("keeps interleaved channels apart", () => {
    const left = pcm16ToSamples(sine(300, 16_000, 0.25));
    const right = pcm16ToSamples(sine(1000, 16_000, 0.25));
    const stereo = new Int16Array(left.length * 2);
    for (let i = 0; i < left.length; i += 1) {
      stereo[2 * i] = left[i] as number;
      stereo[2 * i + 1] = right[i] as number;
    }
    const out = pcm16ToSamples(resamplePcm16(samplesToPcm16(stereo), 16_000, 24_000, 2));
    const l = Int16Array.from({ length: out.length / 2 }, (_, i) => out[2 * i] as number);
    const r = Int16Array.from({ length: out.length / 2 }, (_, i) => out[2 * i + 1] as number);
    expect(Math.abs(frequencyOf(samplesToPcm16(l), 24_000) - 300)).toBeLessThan(6);
    expect(Math.abs(frequencyOf(samplesToPcm16(r), 24_000) - 1000)).toBeLessThan(6);
  });

  it("starts over after flush() and reset()", () => {
    const input = sine(440, 8_000, 0.1);
    const resampler = new LinearResampler(8_000, 24_000);
    const first = concatBytes([resampler.process(input), resampler.flush()]);
    const second = concatBytes([resampler.process(input), resampler.flush()]);
    expect(second).toEqual(first);
    resampler.process(input.subarray(0, 101));
    resampler.reset();
    expect(concatBytes([resampler.process(input), resampler.flush()])).toEqual(first);
  });

  it("rejects bad rates and channel counts, naming the field", () => {
    expect(() => new LinearResampler(0, 16_000)).toThrow(SettingsValidationError);
    expect(() => new LinearResampler(16_000, 22_050.5)).toThrow(/toRate/);
    expect(() => new LinearResampler(16_000, 8_000, { numChannels: 0 })).toThrow(/numChannels/);
  });
});
