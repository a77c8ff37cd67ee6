// Cuts a stream of audio bytes, arriving in pieces of any size (HTTP body chunks, a child process's
// stdout), into chunks of bounded size made of whole frames, so no chunk splits a sample and none
// is larger than a TTS frame should be (Pipecat's output transport cuts 40 ms chunks).
import { PCM16_BYTES_PER_SAMPLE } from "../frames/audio.js";
import { SettingsValidationError } from "../utils/errors.js";

export interface AudioChunkerOptions {
  /** Largest chunk, in bytes; rounded down to whole frames. */
  maxBytes: number;
  /**
   * Smallest chunk handed out before the end of the stream; default maxBytes (every chunk but the
   * last is exactly maxBytes). Lower it to pass audio on sooner, in smaller pieces.
   */
  minBytes?: number;
  /** Bytes per frame (channels × 2 for s16le); chunks are multiples of it. Default 2 (mono). */
  frameBytes?: number;
}

export class AudioChunker {
  readonly maxBytes: number;
  readonly minBytes: number;
  readonly frameBytes: number;
  #pieces: Uint8Array[] = [];
  /** Index of the first piece not yet used up (pieces before it are spent). */
  #head = 0;
  #pendingBytes = 0;
  #discardedBytes = 0;

  constructor(options: AudioChunkerOptions) {
    const frameBytes = options.frameBytes ?? PCM16_BYTES_PER_SAMPLE;
    if (!Number.isInteger(frameBytes) || frameBytes < 1)
      throw new SettingsValidationError("frameBytes", options.frameBytes, "a positive integer");
    if (!Number.isInteger(options.maxBytes) || options.maxBytes < frameBytes)
      throw new SettingsValidationError(
        "maxBytes",
        options.maxBytes,
        `an integer of at least frameBytes (${frameBytes})`,
      );
    const maxBytes = options.maxBytes - (options.maxBytes % frameBytes);
    const minBytes = options.minBytes ?? maxBytes;
    if (!Number.isInteger(minBytes) || minBytes < 1 || minBytes > maxBytes)
      throw new SettingsValidationError(
        "minBytes",
        options.minBytes,
        `an integer from 1 to ${maxBytes}`,
      );
    this.frameBytes = frameBytes;
    this.maxBytes = maxBytes;
    this.minBytes = minBytes;
  }

  /** Bytes held, not yet handed out. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Bytes of incomplete frames thrown away by flush() (a stream that ended inside a sample). */
  get discardedBytes(): number {
    return this.#discardedBytes;
  }

  /** Adds bytes; returns the chunks now ready, in order (copies, never views of the input). */
  push(bytes: Uint8Array): Uint8Array[] {
    if (bytes.byteLength > 0) {
      this.#pieces.push(bytes);
      this.#pendingBytes += bytes.byteLength;
    }
    const out: Uint8Array[] = [];
    while (this.#pendingBytes >= this.maxBytes) out.push(this.#take(this.maxBytes));
    const whole = this.#pendingBytes - (this.#pendingBytes % this.frameBytes);
    if (whole > 0 && whole >= this.minBytes) out.push(this.#take(whole));
    return out;
  }

  /** The end of the stream: the whole frames still held, as one last chunk (or none). */
  flush(): Uint8Array[] {
    const whole = this.#pendingBytes - (this.#pendingBytes % this.frameBytes);
    const out = whole > 0 ? [this.#take(whole)] : [];
    this.#discardedBytes += this.#pendingBytes;
    this.#drop();
    return out;
  }

  /** Drops what is held (an interruption: it will not be played); returns how many bytes. */
  reset(): number {
    const dropped = this.#pendingBytes;
    this.#drop();
    return dropped;
  }

  #drop(): void {
    this.#pieces = [];
    this.#head = 0;
    this.#pendingBytes = 0;
  }

  #take(count: number): Uint8Array {
    const out = new Uint8Array(count);
    let filled = 0;
    while (filled < count) {
      const piece = this.#pieces[this.#head] as Uint8Array;
      const used = Math.min(piece.byteLength, count - filled);
      out.set(piece.subarray(0, used), filled);
      filled += used;
      if (used === piece.byteLength) this.#head += 1;
      else this.#pieces[this.#head] = piece.subarray(used);
    }
    // Forget spent pieces now and then, not on every take (no quadratic shifting).
    if (this.#head >= 64) {
      this.#pieces = this.#pieces.slice(this.#head);
      this.#head = 0;
    }
    this.#pendingBytes -= count;
    return out;
  }
}

/** Re-cuts an async stream of audio bytes into bounded chunks of whole frames. */
export async function* chunkAudio(
  source: AsyncIterable<Uint8Array>,
  options: AudioChunkerOptions,
): AsyncGenerator<Uint8Array> {
  const chunker = new AudioChunker(options);
  for await (const bytes of source) yield* chunker.push(bytes);
  yield* chunker.flush();
}
