// The audio encodings of Cartesia's raw and wav containers, made from the synthesizer's s16le
// samples: pcm_s16le as it is, pcm_f32le (float samples in [-1, 1]), and G.711 pcm_mulaw and
// pcm_alaw (8 bits per sample). Every conversion works chunk by chunk, so the raw container
// streams; the WAV header names the encoding's format tag (1 PCM, 3 IEEE float, 6 A-law, 7 µ-law).
import { pcm16ToSamples } from "../../audio/pcm.js";

export type CartesiaEncoding = "pcm_s16le" | "pcm_f32le" | "pcm_mulaw" | "pcm_alaw";
export const CARTESIA_ENCODINGS: readonly CartesiaEncoding[] = [
  "pcm_s16le",
  "pcm_f32le",
  "pcm_mulaw",
  "pcm_alaw",
];

/** Bytes per sample of each encoding. */
export const BYTES_PER_SAMPLE: Readonly<Record<CartesiaEncoding, number>> = {
  pcm_s16le: 2,
  pcm_f32le: 4,
  pcm_mulaw: 1,
  pcm_alaw: 1,
};

/** WAVE format tags. */
const WAVE_FORMAT: Readonly<Record<CartesiaEncoding, number>> = {
  pcm_s16le: 1,
  pcm_f32le: 3,
  pcm_alaw: 6,
  pcm_mulaw: 7,
};

const INT16_FULL_SCALE = 32_768;
// G.711 as in the public-domain Sun reference (g711.c): 8 segments of 16 steps each.
const SIGN_BIT = 0x80;
const QUANT_MASK = 0x0f;
const SEG_SHIFT = 4;
const SEG_MASK = 0x70;
const MULAW_BIAS = 0x84;
/** µ-law's largest magnitude, on the 14-bit scale it works on. */
const MULAW_CLIP = 8159;
const MULAW_SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segment(value: number, ends: readonly number[]): number {
  for (let i = 0; i < ends.length; i += 1) if (value <= (ends[i] as number)) return i;
  return ends.length;
}

/** One s16 sample as a µ-law byte. */
export function linearToMulaw(sample: number): number {
  let value = sample >> 2;
  let mask = 0xff;
  if (value < 0) {
    value = -value;
    mask = 0x7f;
  }
  value = Math.min(value, MULAW_CLIP) + (MULAW_BIAS >> 2);
  const seg = segment(value, MULAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << SEG_SHIFT) | ((value >> (seg + 1)) & QUANT_MASK)) ^ mask;
}

/** One µ-law byte back to an s16 sample (for tests and players). */
export function mulawToLinear(byte: number): number {
  const value = ~byte & 0xff;
  let t = ((value & QUANT_MASK) << 3) + MULAW_BIAS;
  t <<= (value & SEG_MASK) >> SEG_SHIFT;
  return value & SIGN_BIT ? MULAW_BIAS - t : t - MULAW_BIAS;
}

/** One s16 sample as an A-law byte. */
export function linearToAlaw(sample: number): number {
  let value = sample >> 3;
  let mask = 0xd5;
  if (value < 0) {
    mask = 0x55;
    value = -value - 1;
  }
  const seg = segment(value, ALAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  const step = seg < 2 ? (value >> 1) & QUANT_MASK : (value >> seg) & QUANT_MASK;
  return ((seg << SEG_SHIFT) | step) ^ mask;
}

/** One A-law byte back to an s16 sample (for tests and players). */
export function alawToLinear(byte: number): number {
  const value = byte ^ 0x55;
  let t = (value & QUANT_MASK) << 4;
  const seg = (value & SEG_MASK) >> SEG_SHIFT;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return value & SIGN_BIT ? t : -t;
}

/** s16le bytes (whole samples) in the asked encoding. */
export function encodePcm16(pcm: Uint8Array, encoding: CartesiaEncoding): Uint8Array {
  if (encoding === "pcm_s16le") return pcm;
  const samples = pcm16ToSamples(pcm);
  if (encoding === "pcm_f32le") {
    const out = new Uint8Array(samples.length * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < samples.length; i += 1)
      view.setFloat32(i * 4, (samples[i] as number) / INT16_FULL_SCALE, true);
    return out;
  }
  const encode = encoding === "pcm_mulaw" ? linearToMulaw : linearToAlaw;
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i += 1) out[i] = encode(samples[i] as number);
  return out;
}

/** The header of a mono WAV file of `dataBytes` bytes in `encoding` at `sampleRate`. */
export function wavHeaderFor(
  encoding: CartesiaEncoding,
  sampleRate: number,
  dataBytes: number,
): Uint8Array {
  const bytesPerSample = BYTES_PER_SAMPLE[encoding];
  // Non-PCM formats carry a `cbSize` field (and a fact chunk) by the book; PCM keeps the 44 bytes.
  const extended = encoding !== "pcm_s16le";
  const fmtBytes = extended ? 18 : 16;
  const factBytes = extended ? 12 : 0;
  const headerBytes = 12 + 8 + fmtBytes + factBytes + 8;
  const header = new Uint8Array(headerBytes);
  const view = new DataView(header.buffer);
  const ascii = (offset: number, text: string): void => {
    for (let i = 0; i < text.length; i += 1) header[offset + i] = text.charCodeAt(i);
  };
  ascii(0, "RIFF");
  view.setUint32(4, headerBytes - 8 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, fmtBytes, true);
  view.setUint16(20, WAVE_FORMAT[encoding], true);
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * bytesPerSample, true);
  view.setUint16(32, bytesPerSample, true);
  view.setUint16(34, bytesPerSample * 8, true);
  let offset = 36;
  if (extended) {
    view.setUint16(offset, 0, true); // cbSize
    offset += 2;
    ascii(offset, "fact");
    view.setUint32(offset + 4, 4, true);
    view.setUint32(offset + 8, dataBytes / bytesPerSample, true);
    offset += 12;
  }
  ascii(offset, "data");
  view.setUint32(offset + 4, dataBytes, true);
  return header;
}
