// WAV files: writing, reading whole, reading as a stream (espeak-ng's open-ended data size).
import { describe, expect, it } from "vitest";
import { AudioFormatError } from "../../src/audio/errors.js";
import { concatBytes, samplesToPcm16 } from "../../src/audio/pcm.js";
import {
  WAV_HEADER_BYTES,
  WavStreamDecoder,
  decodeWav,
  encodeWav,
  wavHeader,
} from "../../src/audio/wav.js";

const ramp = (n: number): Uint8Array =>
  samplesToPcm16(Int16Array.from({ length: n }, (_, i) => ((i * 97) % 30_000) - 15_000));

function chunk(id: string, body: Uint8Array): Uint8Array {
  const head = new Uint8Array(8);
  for (let i = 0; i < 4; i += 1) head[i] = id.charCodeAt(i);
  new DataView(head.buffer).setUint32(4, body.byteLength, true);
  const pad = body.byteLength % 2 ? new Uint8Array(1) : new Uint8Array(0);
  return concatBytes([head, body, pad]);
}

describe("WAV", () => {
  it("round-trips mono and stereo at any rate", () => {
    for (const [sampleRate, numChannels] of [
      [8_000, 1],
      [22_050, 1],
      [44_100, 2],
      [48_000, 2],
    ] as const) {
      const pcm = ramp(1000 * numChannels);
      const wav = encodeWav({ pcm, sampleRate, numChannels });
      expect(wav.byteLength).toBe(WAV_HEADER_BYTES + pcm.byteLength);
      const decoded = decodeWav(wav);
      expect(decoded.sampleRate).toBe(sampleRate);
      expect(decoded.numChannels).toBe(numChannels);
      expect(decoded.pcm).toEqual(pcm);
    }
  });

  it("writes the canonical 44-byte header", () => {
    const header = wavHeader({ sampleRate: 24_000, numChannels: 1, dataBytes: 4800 });
    const view = new DataView(header.buffer);
    const text = (o: number): string => String.fromCharCode(...header.subarray(o, o + 4));
    expect([text(0), text(8), text(12), text(36)]).toEqual(["RIFF", "WAVE", "fmt ", "data"]);
    expect(view.getUint32(4, true)).toBe(36 + 4800);
    expect(view.getUint16(20, true)).toBe(1); // PCM
    expect(view.getUint16(22, true)).toBe(1);
    expect(view.getUint32(24, true)).toBe(24_000);
    expect(view.getUint32(28, true)).toBe(48_000); // bytes per second
    expect(view.getUint16(32, true)).toBe(2); // block align
    expect(view.getUint16(34, true)).toBe(16);
    expect(view.getUint32(40, true)).toBe(4800);
  });

  it("rejects a data size that is not whole frames", () => {
    expect(() => wavHeader({ sampleRate: 8000, numChannels: 2, dataBytes: 6 })).toThrow(
      /dataBytes/,
    );
  });

  it("skips chunks before the data (odd sizes padded) and ignores chunks after it", () => {
    const fmt = encodeWav({ pcm: new Uint8Array(0), sampleRate: 16_000 }).subarray(12, 36);
    const pcm = ramp(50);
    const wav = concatBytes([
      new Uint8Array([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x41, 0x56, 0x45]), // RIFF....WAVE
      chunk("LIST", new Uint8Array(5)), // odd size: one pad byte follows
      fmt,
      chunk("fact", new Uint8Array(4)),
      chunk("data", pcm),
      chunk("LIST", new Uint8Array(10).fill(7)),
    ]);
    const decoded = decodeWav(wav);
    expect(decoded.sampleRate).toBe(16_000);
    expect(decoded.pcm).toEqual(pcm);
  });

  it("streams: any split of the bytes gives the same samples, in whole frames", () => {
    const pcm = ramp(1001 * 2);
    const wav = encodeWav({ pcm, sampleRate: 44_100, numChannels: 2 });
    for (const size of [1, 3, 7, 44, 45, 1000]) {
      const decoder = new WavStreamDecoder();
      const parts: Uint8Array[] = [];
      for (let i = 0; i < wav.byteLength; i += size) {
        const part = decoder.push(wav.subarray(i, i + size));
        expect(part.byteLength % 4).toBe(0);
        parts.push(part);
      }
      decoder.end();
      expect(concatBytes(parts)).toEqual(pcm);
      expect(decoder.format).toEqual({ sampleRate: 44_100, numChannels: 2 });
    }
  });

  it("reads an open-ended data size (espeak-ng writes 0x7ffff000) to the end of the stream", () => {
    const pcm = ramp(500);
    const wav = encodeWav({ pcm, sampleRate: 22_050 });
    const view = new DataView(wav.buffer);
    view.setUint32(4, 0x7ffff024, true);
    view.setUint32(40, 0x7ffff000, true);
    expect(decodeWav(wav).pcm).toEqual(pcm);
    view.setUint32(40, 0xffffffff, true);
    expect(decodeWav(wav).pcm).toEqual(pcm);
  });

  it("cuts a truncated file to the whole frames present", () => {
    const pcm = ramp(100);
    const wav = encodeWav({ pcm, sampleRate: 8000 }).subarray(0, WAV_HEADER_BYTES + 51);
    const decoder = new WavStreamDecoder();
    expect(decoder.push(wav)).toEqual(pcm.subarray(0, 50));
    decoder.end();
    expect(decoder.trailingBytes).toBe(1);
  });

  it("refuses what it can't read, naming the field", () => {
    expect(() => decodeWav(new TextEncoder().encode("not a wav file at all"))).toThrow(
      AudioFormatError,
    );
    expect(() => decodeWav(new Uint8Array(10))).toThrow(/wav/);
    const eightBit = encodeWav({ pcm: ramp(10), sampleRate: 8000 });
    new DataView(eightBit.buffer).setUint16(34, 8, true);
    expect(() => decodeWav(eightBit)).toThrow(/bitsPerSample.*8.*16/);
    const float = encodeWav({ pcm: ramp(10), sampleRate: 8000 });
    new DataView(float.buffer).setUint16(20, 3, true);
    expect(() => decodeWav(float)).toThrow(/audioFormat.*3/);
    const headerOnly = encodeWav({ pcm: ramp(10), sampleRate: 8000 }).subarray(0, 36);
    expect(() => decodeWav(headerOnly)).toThrow(AudioFormatError);
  });

  it("accepts WAVE_FORMAT_EXTENSIBLE with a PCM sub-format", () => {
    const pcm = ramp(20);
    const fmtBody = new Uint8Array(40);
    const v = new DataView(fmtBody.buffer);
    v.setUint16(0, 0xfffe, true);
    v.setUint16(2, 1, true);
    v.setUint32(4, 32_000, true);
    v.setUint32(8, 64_000, true);
    v.setUint16(12, 2, true);
    v.setUint16(14, 16, true);
    v.setUint16(16, 22, true);
    v.setUint16(24, 1, true); // sub-format GUID starts with PCM's tag
    const wav = concatBytes([
      new Uint8Array([0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x41, 0x56, 0x45]),
      chunk("fmt ", fmtBody),
      chunk("data", pcm),
    ]);
    expect(decodeWav(wav)).toEqual({ sampleRate: 32_000, numChannels: 1, pcm });
  });
});
