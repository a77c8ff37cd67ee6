// WAV (RIFF/WAVE) files of 16-bit PCM: writing one (the 44-byte canonical header), reading one
// whole, and reading one as a stream (espeak-ng's `--stdout`), where the header arrives first and
// the data size may be a placeholder because the writer did not know it yet.
import { PCM16_BYTES_PER_SAMPLE } from "../frames/audio.js";
import { AudioFormatError } from "./errors.js";
import { concatBytes } from "./pcm.js";

/** Size of the canonical header that encodeWav writes. */
export const WAV_HEADER_BYTES = 44;

/** The only bit depth read and written. */
const BITS_PER_SAMPLE = 16;
const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Largest RIFF chunk size (32-bit field). */
const MAX_CHUNK_BYTES = 0xffff_ffff;
/**
 * Data sizes at or above this are placeholders written by streaming writers (espeak-ng writes
 * 0x7ffff000, others 0xffffffff): the data then runs to the end of the stream.
 */
const STREAMING_SIZE_THRESHOLD = 0x7fff_0000;
/** Chunks before "data" (fmt, LIST, fact, ...) larger than this are refused: a header, not audio. */
const MAX_HEADER_CHUNK_BYTES = 1 << 20;

export interface WavFormat {
  sampleRate: number;
  numChannels: number;
}

export interface DecodedWav extends WavFormat {
  /** s16le samples, interleaved. */
  pcm: Uint8Array;
}

function checkFormat(format: WavFormat): void {
  if (
    !Number.isInteger(format.sampleRate) ||
    format.sampleRate < 1 ||
    format.sampleRate > 0xffff_ffff
  )
    throw new AudioFormatError("sampleRate", format.sampleRate, "a positive integer (Hz)");
  if (
    !Number.isInteger(format.numChannels) ||
    format.numChannels < 1 ||
    format.numChannels > 0xffff
  )
    throw new AudioFormatError("numChannels", format.numChannels, "an integer from 1 to 65535");
}

/** The 44-byte header of a 16-bit PCM WAV holding `dataBytes` bytes of samples. */
export function wavHeader(format: WavFormat & { dataBytes: number }): Uint8Array {
  checkFormat(format);
  const blockAlign = format.numChannels * PCM16_BYTES_PER_SAMPLE;
  if (
    !Number.isInteger(format.dataBytes) ||
    format.dataBytes < 0 ||
    format.dataBytes % blockAlign !== 0 ||
    format.dataBytes > MAX_CHUNK_BYTES - (WAV_HEADER_BYTES - 8)
  ) {
    throw new AudioFormatError(
      "dataBytes",
      format.dataBytes,
      `a whole number of ${blockAlign}-byte frames, below 4 GiB`,
    );
  }
  const header = new Uint8Array(WAV_HEADER_BYTES);
  const view = new DataView(header.buffer);
  const ascii = (offset: number, text: string): void => {
    for (let i = 0; i < text.length; i += 1) header[offset + i] = text.charCodeAt(i);
  };
  ascii(0, "RIFF");
  view.setUint32(4, WAV_HEADER_BYTES - 8 + format.dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, WAVE_FORMAT_PCM, true);
  view.setUint16(22, format.numChannels, true);
  view.setUint32(24, format.sampleRate, true);
  view.setUint32(28, format.sampleRate * blockAlign, true); // byte rate
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, BITS_PER_SAMPLE, true);
  ascii(36, "data");
  view.setUint32(40, format.dataBytes, true);
  return header;
}

/** A complete WAV file of s16le samples. */
export function encodeWav(input: {
  pcm: Uint8Array;
  sampleRate: number;
  numChannels?: number;
}): Uint8Array {
  const numChannels = input.numChannels ?? 1;
  return concatBytes([
    wavHeader({ sampleRate: input.sampleRate, numChannels, dataBytes: input.pcm.byteLength }),
    input.pcm,
  ]);
}

/** Reads a whole WAV file. A data size past the end (a streamed or truncated file) is cut to what is there. */
export function decodeWav(bytes: Uint8Array): DecodedWav {
  const decoder = new WavStreamDecoder();
  const pcm = decoder.push(bytes);
  decoder.end();
  const format = decoder.format as WavFormat; // end() threw if there was no header
  return { ...format, pcm };
}

type State = "riff" | "chunk-header" | "skip" | "fmt" | "data" | "done";

/**
 * Reads a WAV file that arrives in pieces. `push()` returns the samples (s16le, whole frames only)
 * that the piece completed; the format is known once the header has been read.
 */
export class WavStreamDecoder {
  #state: State = "riff";
  #pending: Uint8Array = new Uint8Array(0);
  #format: WavFormat | undefined;
  #chunkId = "";
  #chunkBytes = 0;
  /** Bytes of the data chunk not yet read; Infinity when it runs to the end of the stream. */
  #dataLeft = 0;
  #trailingBytes = 0;

  /** Sample rate and channels, once the fmt chunk has been read. */
  get format(): WavFormat | undefined {
    return this.#format;
  }

  /** Bytes of an incomplete last frame that end() discarded. */
  get trailingBytes(): number {
    return this.#trailingBytes;
  }

  push(chunk: Uint8Array): Uint8Array {
    if (this.#state === "done" || chunk.byteLength === 0) return new Uint8Array(0);
    this.#pending = this.#pending.byteLength === 0 ? chunk : concatBytes([this.#pending, chunk]);
    const out: Uint8Array[] = [];
    for (;;) {
      if (this.#state === "data") {
        const samples = this.#takeData();
        if (samples.byteLength > 0) out.push(samples);
        if (this.#state === "data") break; // waiting for more bytes
        continue;
      }
      if (!this.#step()) break;
    }
    return out.length === 1 ? (out[0] as Uint8Array) : concatBytes(out);
  }

  /** The stream ended. Throws if it ended before the header was complete. */
  end(): void {
    if (this.#state === "riff" || this.#state === "chunk-header" || this.#state === "fmt") {
      throw new AudioFormatError(
        "wav",
        `${this.#pending.byteLength} bytes`,
        "a RIFF/WAVE file with a fmt chunk and a data chunk",
      );
    }
    if (this.#state === "skip")
      throw new AudioFormatError("wav", `no data chunk`, "a RIFF/WAVE file with a data chunk");
    this.#trailingBytes = this.#pending.byteLength;
    this.#pending = new Uint8Array(0);
    this.#state = "done";
  }

  /** Advances the header state machine; false when it needs more bytes. */
  #step(): boolean {
    const bytes = this.#pending;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    switch (this.#state) {
      case "riff": {
        if (bytes.byteLength < 12) return false;
        const riff = ascii(bytes, 0, 4);
        const wave = ascii(bytes, 8, 4);
        if (riff !== "RIFF" || wave !== "WAVE")
          throw new AudioFormatError("wav", `${riff}/${wave}`, "a RIFF/WAVE file");
        this.#consume(12);
        this.#state = "chunk-header";
        return true;
      }
      case "chunk-header": {
        if (bytes.byteLength < 8) return false;
        this.#chunkId = ascii(bytes, 0, 4);
        this.#chunkBytes = view.getUint32(4, true);
        this.#consume(8);
        if (this.#chunkId === "data") {
          if (!this.#format)
            throw new AudioFormatError(
              "wav",
              "data before fmt",
              "a fmt chunk before the data chunk",
            );
          this.#dataLeft =
            this.#chunkBytes >= STREAMING_SIZE_THRESHOLD
              ? Number.POSITIVE_INFINITY
              : this.#chunkBytes;
          this.#state = "data";
        } else {
          if (this.#chunkBytes > MAX_HEADER_CHUNK_BYTES)
            throw new AudioFormatError(
              `${this.#chunkId} chunk size`,
              this.#chunkBytes,
              "at most 1 MiB",
            );
          this.#state = this.#chunkId === "fmt " ? "fmt" : "skip";
        }
        return true;
      }
      case "fmt":
      case "skip": {
        // Chunks are padded to an even size.
        const size = this.#chunkBytes + (this.#chunkBytes % 2);
        if (bytes.byteLength < size) return false;
        if (this.#state === "fmt") this.#format = readFmt(bytes.subarray(0, this.#chunkBytes));
        this.#consume(size);
        this.#state = "chunk-header";
        return true;
      }
      default:
        return false;
    }
  }

  /** Samples from the data chunk: whole frames only; a partial frame waits for the next piece. */
  #takeData(): Uint8Array {
    const blockAlign = (this.#format as WavFormat).numChannels * PCM16_BYTES_PER_SAMPLE;
    const available = Math.min(this.#pending.byteLength, this.#dataLeft);
    const whole = available - (available % blockAlign);
    const samples = this.#pending.slice(0, whole);
    this.#consume(whole);
    this.#dataLeft -= whole;
    if (this.#dataLeft < blockAlign) {
      // The declared data is complete (what follows it, e.g. a LIST chunk, is not audio).
      this.#dataLeft = 0;
      this.#state = "done";
      this.#pending = new Uint8Array(0);
    }
    return samples;
  }

  #consume(count: number): void {
    this.#pending = this.#pending.subarray(count);
  }
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

function readFmt(fmt: Uint8Array): WavFormat {
  if (fmt.byteLength < 16)
    throw new AudioFormatError("fmt chunk size", fmt.byteLength, "at least 16 bytes");
  const view = new DataView(fmt.buffer, fmt.byteOffset, fmt.byteLength);
  let formatTag = view.getUint16(0, true);
  if (formatTag === WAVE_FORMAT_EXTENSIBLE && fmt.byteLength >= 26) {
    // The sub-format GUID starts with the real format tag.
    formatTag = view.getUint16(24, true);
  }
  if (formatTag !== WAVE_FORMAT_PCM)
    throw new AudioFormatError("audioFormat", formatTag, "1 (PCM)");
  const bitsPerSample = view.getUint16(14, true);
  if (bitsPerSample !== BITS_PER_SAMPLE)
    throw new AudioFormatError("bitsPerSample", bitsPerSample, String(BITS_PER_SAMPLE));
  const format = { numChannels: view.getUint16(2, true), sampleRate: view.getUint32(4, true) };
  if (format.numChannels < 1)
    throw new AudioFormatError("numChannels", format.numChannels, "1 or more");
  if (format.sampleRate < 1)
    throw new AudioFormatError("sampleRate", format.sampleRate, "1 or more");
  return format;
}
