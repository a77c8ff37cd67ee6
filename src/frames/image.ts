// Image frames. `image` holds decoded pixels (as in Pipecat); the encoded file is kept beside it.
import { DataFrame } from "./base.js";

/**
 * The width and height of an image, in pixels: what an image frame holds. Not the size setting a
 * service is asked for (`ImageSize`: a preset name or custom dimensions).
 */
export interface PixelSize {
  width: number;
  height: number;
}

/** Raw pixels plus how to read them. `format` is the pixel layout ("RGB", "RGBA", "L", "LA"), not a file format. */
export interface DecodedImage {
  pixels: Uint8Array;
  size: PixelSize;
  format: string;
}

export interface ImageRawFrameInit {
  /** Raw pixels, row-major, `format` channels per pixel. Empty when decoding was deferred. */
  image: Uint8Array;
  size: PixelSize;
  /** Pixel layout ("RGB", "RGBA"...); undefined until known. */
  format: string | undefined;
}

/** An image on its way out of the pipeline. */
export class OutputImageRawFrame extends DataFrame {
  image: Uint8Array;
  size: PixelSize;
  format: string | undefined;
  /** When true, a transport shows the image only after the audio queued before it. */
  syncWithAudio = false;

  constructor(init: ImageRawFrameInit) {
    super();
    this.image = init.image;
    this.size = { ...init.size };
    this.format = init.format;
  }

  override toString(): string {
    return `${this.name}(size: ${this.size.width}x${this.size.height}, format: ${this.format ?? "?"})`;
  }
}

export interface URLImageRawFrameInit extends Partial<ImageRawFrameInit> {
  size: PixelSize;
  url: string | undefined;
  /** The original encoded file (PNG/JPEG...), as downloaded. */
  encoded?: Uint8Array;
  /** MIME type of `encoded`, e.g. "image/png". */
  mimeType?: string;
  /** Decodes `encoded` on demand when the service deferred decoding. */
  decode?: () => Promise<DecodedImage>;
  /** The prompt that produced this image. */
  prompt?: string;
  /** Position of this image in its response (0-based). */
  imageIndex?: number;
}

/** An image that came from a URL (or a data URI): pixels, the encoded original, and where it came from. */
export class URLImageRawFrame extends OutputImageRawFrame {
  readonly url: string | undefined;
  readonly encoded: Uint8Array | undefined;
  readonly mimeType: string | undefined;
  readonly prompt: string | undefined;
  readonly imageIndex: number;
  #decode: (() => Promise<DecodedImage>) | undefined;
  #decoded: boolean;

  constructor(init: URLImageRawFrameInit) {
    super({ image: init.image ?? new Uint8Array(0), size: init.size, format: init.format });
    this.url = init.url;
    this.encoded = init.encoded;
    this.mimeType = init.mimeType;
    this.prompt = init.prompt;
    this.imageIndex = init.imageIndex ?? 0;
    this.#decode = init.decode;
    this.#decoded = init.image !== undefined && init.image.length > 0;
  }

  /** True when `image` holds the raw pixels. */
  get isDecoded(): boolean {
    return this.#decoded;
  }

  /** The raw pixels, decoding the encoded file first if decoding was deferred. */
  async pixels(): Promise<Uint8Array> {
    if (this.#decoded) return this.image;
    if (!this.#decode) throw new Error(`${this.name} has no pixels and no decoder`);
    const decoded = await this.#decode();
    this.image = decoded.pixels;
    this.size = { ...decoded.size };
    this.format = decoded.format;
    this.#decoded = true;
    this.#decode = undefined;
    return this.image;
  }

  override toString(): string {
    const where =
      this.url === undefined
        ? ""
        : this.url.startsWith("data:")
          ? ", url: data URI"
          : `, url: ${this.url}`;
    return `${this.name}(size: ${this.size.width}x${this.size.height}, format: ${this.format ?? "?"}${where})`;
  }
}
