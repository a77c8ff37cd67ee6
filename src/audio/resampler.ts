// Linear-interpolation resampler for s16le audio, any rate to any rate, that works on a stream:
// it keeps the last input frame and the fractional read position between chunks, so cutting the
// input anywhere (even inside a sample) gives the same output as resampling it whole.
//
// Output frame k sits at input position k × from / to, computed with integers (no drift over long
// streams). A position is emitted once the input frame after it has arrived; flush() emits the
// rest, holding the last frame, so N input frames become ceil(N × to / from) output frames.
//
// Linear interpolation has no low-pass filter: downsampling folds content above the new Nyquist
// frequency back (mild for speech, whose energy is mostly below 4 kHz). Good enough for twins and
// previews; use a polyphase filter where fidelity matters.
import { PCM16_BYTES_PER_SAMPLE } from "../frames/audio.js";
import { SettingsValidationError } from "../utils/errors.js";
import { clampInt16, concatBytes, pcm16ToSamples, samplesToPcm16 } from "./pcm.js";

/** Highest rate accepted (Hz): well above any audio rate in use, small enough for exact integer math. */
const MAX_SAMPLE_RATE = 768_000;

function checkRate(field: string, rate: number): void {
  if (!Number.isInteger(rate) || rate < 1 || rate > MAX_SAMPLE_RATE)
    throw new SettingsValidationError(field, rate, `an integer from 1 to ${MAX_SAMPLE_RATE} (Hz)`);
}

export interface LinearResamplerOptions {
  /** Interleaved channels per frame; default 1. */
  numChannels?: number;
}

export class LinearResampler {
  readonly fromRate: number;
  readonly toRate: number;
  readonly numChannels: number;
  readonly #frameBytes: number;
  /** Input frames per output frame, as the reduced fraction step / scale. */
  readonly #step: number;
  readonly #scale: number;
  /** Next output position relative to the current chunk's first frame, times #scale. */
  #position = 0;
  /** The last frame of the previous chunk (index -1 of the current one). */
  #previous: Int16Array | undefined;
  /** Bytes of an incomplete frame, waiting for the rest. */
  #carry: Uint8Array = new Uint8Array(0);

  constructor(fromRate: number, toRate: number, options: LinearResamplerOptions = {}) {
    checkRate("fromRate", fromRate);
    checkRate("toRate", toRate);
    const numChannels = options.numChannels ?? 1;
    if (!Number.isInteger(numChannels) || numChannels < 1 || numChannels > 64)
      throw new SettingsValidationError("numChannels", numChannels, "an integer from 1 to 64");
    // Only the ratio matters: reduce it so the integer positions stay small.
    const divisor = gcd(fromRate, toRate);
    this.fromRate = fromRate;
    this.toRate = toRate;
    this.numChannels = numChannels;
    this.#frameBytes = numChannels * PCM16_BYTES_PER_SAMPLE;
    this.#step = fromRate / divisor;
    this.#scale = toRate / divisor;
  }

  /** Resamples the next piece of s16le bytes (any length; a split frame is completed next time). */
  process(pcm: Uint8Array): Uint8Array {
    let bytes = this.#carry.byteLength > 0 ? concatBytes([this.#carry, pcm]) : pcm;
    const whole = bytes.byteLength - (bytes.byteLength % this.#frameBytes);
    this.#carry = bytes.slice(whole);
    bytes = bytes.subarray(0, whole);
    if (bytes.byteLength === 0) return new Uint8Array(0);
    // A copy when the input is not 2-byte aligned: pcm16ToSamples returns a view when it can.
    return samplesToPcm16(this.processSamples(pcm16ToSamples(bytes)));
  }

  /** Resamples the next frames, given as interleaved samples. */
  processSamples(samples: Int16Array): Int16Array {
    const channels = this.numChannels;
    if (samples.length % channels !== 0)
      throw new SettingsValidationError(
        "samples.length",
        samples.length,
        `a multiple of ${channels}`,
      );
    const frames = samples.length / channels;
    if (frames === 0) return new Int16Array(0);
    if (this.#step === this.#scale) return samples.slice();

    const step = this.#step;
    const scale = this.#scale;
    // At most one output per step over the frames held (this chunk plus the previous frame).
    const capacity = (Math.ceil(((frames + 1) * scale) / step) + 1) * channels;
    const out = new Int16Array(capacity);
    let written = 0;
    const previous = this.#previous;
    let position = this.#position;
    for (;;) {
      const index = Math.floor(position / scale);
      if (index + 1 > frames - 1) break; // the frame after this position hasn't arrived yet
      const fraction = (position - index * scale) / scale;
      for (let c = 0; c < channels; c += 1) {
        const a =
          index < 0
            ? ((previous as Int16Array)[c] as number)
            : (samples[index * channels + c] as number);
        const b = samples[(index + 1) * channels + c] as number;
        out[written] = clampInt16(a + (b - a) * fraction);
        written += 1;
      }
      position += step;
    }
    this.#position = position - frames * scale;
    this.#previous = samples.slice((frames - 1) * channels, frames * channels);
    return out.subarray(0, written);
  }

  /** The end of the stream: the output that was waiting for a next frame, and a fresh state. */
  flush(): Uint8Array {
    const out: number[] = [];
    const previous = this.#previous;
    if (previous) {
      // Positions before the end of the input (position < 0: between the last frame and the end).
      for (let position = this.#position; position < 0; position += this.#step) {
        for (let c = 0; c < this.numChannels; c += 1) out.push(previous[c] as number);
      }
    }
    this.reset();
    return samplesToPcm16(Int16Array.from(out));
  }

  /** Forgets the stream so far (e.g. after an interruption), without output. */
  reset(): void {
    this.#position = 0;
    this.#previous = undefined;
    this.#carry = new Uint8Array(0);
  }
}

/** Resamples a whole s16le buffer. Returns the input itself when the rates are equal. */
export function resamplePcm16(
  pcm: Uint8Array,
  fromRate: number,
  toRate: number,
  numChannels = 1,
): Uint8Array {
  const resampler = new LinearResampler(fromRate, toRate, { numChannels });
  if (fromRate === toRate) return pcm;
  return concatBytes([resampler.process(pcm), resampler.flush()]);
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}
