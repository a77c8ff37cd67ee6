// A linear resampler for 16-bit PCM: the output transport's fallback when a frame's rate differs
// from the rate the client plays. Each frame is resampled on its own (no state carried between
// frames), which is fine for whole TTS sentences; synthesize at the output rate where you can.
import { PCM16_BYTES_PER_SAMPLE } from "../../frames/audio.js";

/**
 * Resamples interleaved signed 16-bit little-endian PCM from `fromRate` to `toRate` by linear
 * interpolation. The output has `round(frames × toRate / fromRate)` frames per channel (an even
 * number of bytes). Returns the input itself when the rates are equal.
 *
 * @example
 * ```ts
 * const at24k = resampleLinear(pcmAt16k, 16000, 24000, 1);
 * ```
 */
export function resampleLinear(
  pcm: Uint8Array,
  fromRate: number,
  toRate: number,
  channels = 1,
): Uint8Array {
  if (!(fromRate > 0) || !(toRate > 0))
    throw new RangeError(`sample rates must be > 0, got ${fromRate} → ${toRate}`);
  if (fromRate === toRate) return pcm;
  const frameBytes = PCM16_BYTES_PER_SAMPLE * channels;
  const inFrames = Math.floor(pcm.byteLength / frameBytes);
  const outFrames = Math.round((inFrames * toRate) / fromRate);
  const out = new Uint8Array(outFrames * frameBytes);
  if (inFrames === 0 || outFrames === 0) return out;
  const src = new DataView(pcm.buffer, pcm.byteOffset, inFrames * frameBytes);
  const dst = new DataView(out.buffer);
  const step = fromRate / toRate;
  const last = inFrames - 1;
  for (let i = 0; i < outFrames; i += 1) {
    const pos = i * step;
    const left = Math.min(Math.floor(pos), last);
    const right = Math.min(left + 1, last);
    const frac = pos - left;
    for (let c = 0; c < channels; c += 1) {
      const a = src.getInt16(left * frameBytes + c * 2, true);
      const b = src.getInt16(right * frameBytes + c * 2, true);
      dst.setInt16(i * frameBytes + c * 2, Math.round(a + (b - a) * frac), true);
    }
  }
  return out;
}
