// 16-bit little-endian PCM (s16le), the one sample format frames carry: conversions between bytes
// and samples, loudness, durations and sizes. Interleaved when there are several channels.
import { PCM16_BYTES_PER_SAMPLE } from "../frames/audio.js";
import { AudioFormatError } from "./errors.js";

export { PCM16_BYTES_PER_SAMPLE };

const INT16_MAX = 32_767;
const INT16_MIN = -32_768;

/** Typed arrays use the host's byte order; s16le needs a byte swap on a big-endian host. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Rounds and clamps a sample value to the 16-bit range. */
export function clampInt16(value: number): number {
  const rounded = Math.round(value);
  return Math.min(INT16_MAX, Math.max(INT16_MIN, rounded));
}

/** The samples of s16le bytes (a view when alignment and byte order allow, else a copy). */
export function pcm16ToSamples(pcm: Uint8Array): Int16Array {
  if (pcm.byteLength % PCM16_BYTES_PER_SAMPLE !== 0) {
    throw new AudioFormatError("audio.byteLength", pcm.byteLength, "an even number of bytes");
  }
  const count = pcm.byteLength / PCM16_BYTES_PER_SAMPLE;
  if (HOST_IS_LITTLE_ENDIAN && pcm.byteOffset % PCM16_BYTES_PER_SAMPLE === 0)
    return new Int16Array(pcm.buffer, pcm.byteOffset, count);
  const out = new Int16Array(count);
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  for (let i = 0; i < count; i += 1) out[i] = view.getInt16(i * PCM16_BYTES_PER_SAMPLE, true);
  return out;
}

/** s16le bytes of samples (a view on a little-endian host, else a copy). */
export function samplesToPcm16(samples: Int16Array): Uint8Array {
  if (HOST_IS_LITTLE_ENDIAN)
    return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = new Uint8Array(samples.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i += 1)
    view.setInt16(i * PCM16_BYTES_PER_SAMPLE, samples[i] as number, true);
  return out;
}

/** s16le bytes of float samples in [-1, 1] (values outside are clipped). */
export function floatToPcm16(samples: Float32Array | readonly number[]): Uint8Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i += 1)
    out[i] = clampInt16((samples[i] as number) * INT16_MAX);
  return samplesToPcm16(out);
}

/** Root-mean-square level of s16le audio, 0 (silence) to 1 (full scale). */
export function pcm16Rms(pcm: Uint8Array): number {
  const samples = pcm16ToSamples(pcm);
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / samples.length) / INT16_MAX;
}

/** Playback length in seconds of `byteLength` bytes of s16le audio. */
export function pcm16DurationSeconds(
  byteLength: number,
  sampleRate: number,
  numChannels = 1,
): number {
  return byteLength / (PCM16_BYTES_PER_SAMPLE * numChannels * sampleRate);
}

/** The byte length of `durationMs` of s16le audio, whole frames only (e.g. 40 ms at 24 kHz = 1920). */
export function pcm16BytesForDuration(
  durationMs: number,
  sampleRate: number,
  numChannels = 1,
): number {
  return Math.floor((durationMs * sampleRate) / 1000) * PCM16_BYTES_PER_SAMPLE * numChannels;
}

/** `durationMs` of silence. */
export function pcm16Silence(durationMs: number, sampleRate: number, numChannels = 1): Uint8Array {
  return new Uint8Array(pcm16BytesForDuration(durationMs, sampleRate, numChannels));
}

/** Mono samples: the mean of each interleaved frame's channels. */
export function downmixToMono(samples: Int16Array, numChannels: number): Int16Array {
  if (numChannels === 1) return samples;
  const frames = Math.floor(samples.length / numChannels);
  const out = new Int16Array(frames);
  for (let f = 0; f < frames; f += 1) {
    let sum = 0;
    for (let c = 0; c < numChannels; c += 1) sum += samples[f * numChannels + c] as number;
    out[f] = Math.round(sum / numChannels);
  }
  return out;
}

/** One Uint8Array holding `parts` in order. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.byteLength;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
