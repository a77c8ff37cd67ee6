// Images held by the demo server for the page: addressed by an unguessable id, never by a fal URL
// (which could carry a token), evicted oldest first beyond a count and byte cap.
import { randomBytes } from "node:crypto";

export interface HeldImage {
  bytes: Uint8Array;
  mimeType: string;
}

export class ImageStore {
  readonly #images = new Map<string, HeldImage>();
  #bytes = 0;

  constructor(
    private readonly maxImages = 500,
    private readonly maxBytes = 256 * 1024 * 1024,
  ) {}

  /** Stores the image and returns its path, e.g. `/images/3f9c...e1.png`. */
  put(image: HeldImage): string {
    const ext =
      image.mimeType === "image/jpeg"
        ? "jpg"
        : image.mimeType === "image/png"
          ? "png"
          : image.mimeType === "image/webp"
            ? "webp"
            : "bin";
    const name = `${randomBytes(16).toString("hex")}.${ext}`;
    this.#images.set(name, { bytes: image.bytes, mimeType: image.mimeType });
    this.#bytes += image.bytes.byteLength;
    while (
      this.#images.size > this.maxImages ||
      (this.#bytes > this.maxBytes && this.#images.size > 1)
    ) {
      const oldest = this.#images.keys().next().value as string;
      this.#bytes -= this.#images.get(oldest)?.bytes.byteLength ?? 0;
      this.#images.delete(oldest);
    }
    return `/images/${name}`;
  }

  get(name: string): HeldImage | undefined {
    return this.#images.get(name);
  }

  get size(): number {
    return this.#images.size;
  }

  clear(): void {
    this.#images.clear();
    this.#bytes = 0;
  }
}
