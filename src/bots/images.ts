// The images bot sessions show their clients, served by the bot's own HTTP server at
// /images/<id>: the client never sees fal's URL (which could carry a token) nor the key. Each
// session holds its images in a bounded store (a count and a byte cap, oldest evicted first) that
// is freed when the session ends; the registry finds an image by id for the HTTP server and caps
// the bytes held by every session together (the oldest image anywhere goes first).
import { randomBytes } from "node:crypto";

/** An image as served: its encoded bytes and MIME type. */
export interface HeldImage {
  bytes: Uint8Array;
  mimeType: string;
}

/** Where a session's images are served from; ids are 128 random bits plus an extension. */
export const IMAGE_PATH_PREFIX = "/images/";

/** Images one session may hold at once. */
export const DEFAULT_SESSION_MAX_IMAGES = 64;
/** Bytes one session may hold at once (about 40 of fal's 1024×768 PNGs). */
export const DEFAULT_SESSION_MAX_BYTES = 64 * 1024 * 1024;
/** Bytes every session together may hold. */
export const DEFAULT_TOTAL_MAX_BYTES = 512 * 1024 * 1024;

export interface SessionImageLimits {
  /** Images held at once; the oldest is evicted beyond. Default 64. */
  maxImages?: number;
  /** Bytes held at once; the oldest are evicted beyond (the newest always stays). Default 64 MiB. */
  maxBytes?: number;
}

const EXTENSIONS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
};

interface Entry {
  image: HeldImage;
  owner: SessionImages;
}

/** Every session's images, by id, for the HTTP server. */
export class ImageRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(options: { maxBytes?: number } = {}) {
    this.#maxBytes = options.maxBytes ?? DEFAULT_TOTAL_MAX_BYTES;
  }

  /** A new, empty store for one session. */
  createSession(limits: SessionImageLimits = {}): SessionImages {
    return new SessionImages(this, limits);
  }

  /** The image served at `/images/<name>`, if some open session still holds it. */
  get(name: string): HeldImage | undefined {
    return this.#entries.get(name)?.image;
  }

  /** Images held by every open session. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held by every open session. */
  get bytes(): number {
    return this.#bytes;
  }

  /** @internal Called by SessionImages. */
  add(name: string, entry: Entry): void {
    this.#entries.set(name, entry);
    this.#bytes += entry.image.bytes.byteLength;
    while (this.#bytes > this.#maxBytes && this.#entries.size > 1) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.get(oldest)?.owner.evict(oldest);
    }
  }

  /** @internal Called by SessionImages. */
  remove(name: string): void {
    const entry = this.#entries.get(name);
    if (entry === undefined) return;
    this.#entries.delete(name);
    this.#bytes -= entry.image.bytes.byteLength;
  }
}

/** One session's images. */
export class SessionImages {
  readonly #registry: ImageRegistry;
  readonly #maxImages: number;
  readonly #maxBytes: number;
  /** Names in insertion order, with their sizes. */
  readonly #names = new Map<string, number>();
  #bytes = 0;
  #closed = false;

  constructor(registry: ImageRegistry, limits: SessionImageLimits = {}) {
    this.#registry = registry;
    this.#maxImages = limits.maxImages ?? DEFAULT_SESSION_MAX_IMAGES;
    this.#maxBytes = limits.maxBytes ?? DEFAULT_SESSION_MAX_BYTES;
  }

  /**
   * Holds the image and returns the same-origin path it is served at
   * (`/images/3f9c…e1.png`). After close(), nothing is held and the path answers 404.
   */
  put(image: HeldImage): string {
    const name = `${randomBytes(16).toString("hex")}.${EXTENSIONS[image.mimeType] ?? "bin"}`;
    if (this.#closed) return `${IMAGE_PATH_PREFIX}${name}`;
    const size = image.bytes.byteLength;
    this.#names.set(name, size);
    this.#bytes += size;
    this.#registry.add(name, { image, owner: this });
    while (
      this.#names.size > this.#maxImages ||
      (this.#bytes > this.#maxBytes && this.#names.size > 1)
    ) {
      this.evict(this.#names.keys().next().value as string);
    }
    return `${IMAGE_PATH_PREFIX}${name}`;
  }

  /** Images held. */
  get size(): number {
    return this.#names.size;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** @internal Drops one image (the registry calls it too, for its own cap). */
  evict(name: string): void {
    const size = this.#names.get(name);
    if (size === undefined) return;
    this.#names.delete(name);
    this.#bytes -= size;
    this.#registry.remove(name);
  }

  /** Frees every image; later put() calls hold nothing. */
  close(): void {
    this.#closed = true;
    for (const name of [...this.#names.keys()]) this.evict(name);
  }
}
