// The built-in formant synthesizer: its length follows the text, it is not silent, it is
// deterministic, voices differ, and it streams, stops on abort and checks its input.
import { describe, expect, it } from "vitest";
import { concatBytes, pcm16Rms } from "../../../src/audio/pcm.js";
import { FormantSynthesizer } from "../../../src/audio/synth/formant.js";
import type { SynthesisRequest } from "../../../src/audio/synth/speech-synthesizer.js";
import { SPEECH_VOICES } from "../../../src/audio/synth/voices.js";
import { SettingsValidationError } from "../../../src/utils/errors.js";

const SENTENCE =
  "A misty forest path covered in orange and golden leaves, with soft morning light between the trees.";

async function speak(request: SynthesisRequest): Promise<{ pcm: Uint8Array; chunks: number[] }> {
  const parts: Uint8Array[] = [];
  for await (const part of new FormantSynthesizer().synthesize(request)) parts.push(part);
  return { pcm: concatBytes(parts), chunks: parts.map((p) => p.byteLength) };
}

/** Byte equality without vitest's element-by-element diff (slow on half a megabyte). */
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

const seconds = (pcm: Uint8Array, rate: number): number => pcm.byteLength / 2 / rate;

describe("FormantSynthesizer", () => {
  it("says what it is and why", () => {
    expect(new FormantSynthesizer().describe()).toBe(
      "speech: built-in formant synthesizer (espeak-ng not found)",
    );
    expect(new FormantSynthesizer({ reason: "chosen" }).describe()).toMatch(/\(chosen\)$/);
  });

  it("speaks at about 150 words per minute", async () => {
    const { pcm } = await speak({ text: SENTENCE, sampleRate: 24_000 });
    const words = SENTENCE.split(/\s+/).length;
    const wpm = (words / seconds(pcm, 24_000)) * 60;
    expect(wpm).toBeGreaterThan(120);
    expect(wpm).toBeLessThan(180);
  });

  it("takes longer for longer text, and roughly in proportion", async () => {
    const one = seconds((await speak({ text: "Snow falls.", sampleRate: 16_000 })).pcm, 16_000);
    const three = seconds(
      (await speak({ text: "Snow falls. Snow falls. Snow falls.", sampleRate: 16_000 })).pcm,
      16_000,
    );
    expect(three).toBeGreaterThan(one * 2.5);
    expect(three).toBeLessThan(one * 3.5);
  });

  it("is not silent", async () => {
    const { pcm } = await speak({ text: SENTENCE, sampleRate: 24_000 });
    expect(pcm16Rms(pcm)).toBeGreaterThan(0.05);
  });

  it("pauses at punctuation", async () => {
    const plain = seconds((await speak({ text: "one two three", sampleRate: 8_000 })).pcm, 8_000);
    const paused = seconds(
      (await speak({ text: "one, two. three", sampleRate: 8_000 })).pcm,
      8_000,
    );
    expect(paused - plain).toBeGreaterThan(0.4);
  });

  it("is deterministic: the same request gives the same bytes", async () => {
    const a = await speak({ text: SENTENCE, sampleRate: 22_050 });
    const b = await speak({ text: SENTENCE, sampleRate: 22_050 });
    expect(sameBytes(a.pcm, b.pcm)).toBe(true);
  });

  it("sounds different for different voices", async () => {
    const [first, second] = SPEECH_VOICES;
    const a = await speak({ text: SENTENCE, sampleRate: 16_000, voice: first?.id });
    const b = await speak({ text: SENTENCE, sampleRate: 16_000, voice: second?.id });
    expect(a.pcm.byteLength).toBe(b.pcm.byteLength); // same rhythm
    expect(sameBytes(a.pcm, b.pcm)).toBe(false);
  });

  it("keeps the same duration at every sample rate, and follows speed", async () => {
    const durations = await Promise.all(
      [8_000, 16_000, 24_000, 44_100, 48_000].map(async (rate) =>
        seconds((await speak({ text: SENTENCE, sampleRate: rate })).pcm, rate),
      ),
    );
    for (const d of durations) expect(Math.abs(d - (durations[0] as number))).toBeLessThan(0.05);
    const fast = seconds(
      (await speak({ text: SENTENCE, sampleRate: 8_000, speed: 1.5 })).pcm,
      8_000,
    );
    expect(fast).toBeLessThan((durations[0] as number) / 1.4);
  });

  it("streams in chunks of whole samples, about 100 ms each", async () => {
    const { chunks } = await speak({ text: SENTENCE, sampleRate: 24_000 });
    expect(chunks.length).toBeGreaterThan(10);
    for (const size of chunks) expect(size % 2).toBe(0);
    for (const size of chunks.slice(0, -1)) expect(size).toBeGreaterThanOrEqual(4_800);
  });

  it("speaks digits, accented letters and other scripts", async () => {
    for (const text of ["Call 411", "Café crème", "你好世界", "Привет"]) {
      const { pcm } = await speak({ text, sampleRate: 16_000 });
      expect(seconds(pcm, 16_000), text).toBeGreaterThan(0.2);
      expect(pcm16Rms(pcm), text).toBeGreaterThan(0.02);
    }
  });

  it("makes no audio for empty or punctuation-only text", async () => {
    expect((await speak({ text: "", sampleRate: 16_000 })).pcm.byteLength).toBe(0);
    expect((await speak({ text: " ... ", sampleRate: 16_000 })).pcm.byteLength).toBe(0);
  });

  it("stops with the signal's reason when aborted", async () => {
    const controller = new AbortController();
    const reason = new Error("interrupted");
    const parts: Uint8Array[] = [];
    await expect(
      (async () => {
        for await (const part of new FormantSynthesizer().synthesize({
          text: SENTENCE.repeat(10),
          sampleRate: 16_000,
          signal: controller.signal,
        })) {
          parts.push(part);
          controller.abort(reason);
        }
      })(),
    ).rejects.toBe(reason);
    expect(parts.length).toBe(1);
  });

  it("checks the request, naming the field", async () => {
    const bad: Array<[Partial<SynthesisRequest>, RegExp]> = [
      [{ sampleRate: 7_999 }, /sampleRate.*7999.*8000 to 48000/],
      [{ sampleRate: 48_001 }, /sampleRate/],
      [{ sampleRate: 16_000.5 }, /sampleRate/],
      [{ speed: 3 }, /speed/],
      [{ volume: -1 }, /volume/],
      [{ voice: "nope" }, /"voice".*"nope".*71a7ad14/],
    ];
    for (const [patch, message] of bad) {
      const request = { text: "hi", sampleRate: 16_000, ...patch };
      await expect(speak(request)).rejects.toThrow(SettingsValidationError);
      await expect(speak(request)).rejects.toThrow(message);
    }
    await expect(speak({ text: "x".repeat(10_001), sampleRate: 16_000 })).rejects.toThrow(
      /"text".*10001 characters.*at most 10000/,
    );
  });
});
