// A bounded in-memory cache of generated images, for seeded requests (same model, prompt, seed
// and arguments give the same images, so a second fal call would be paid for nothing).

export interface CachedImage {
  bytes: Uint8Array;
  mimeType: string;
  url: string;
  width: number | undefined;
  height: number | undefined;
}

export interface CachedGeneration {
  images: CachedImage[];
  requestId: string | undefined;
  seed: number | undefined;
  timings: Record<string, number> | undefined;
}

export const DEFAULT_CACHE_MAX_ENTRIES = 128;
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;

export interface ImageCacheOptions {
  /** Entries kept at most. Default 128. */
  maxEntries?: number;
  /** Encoded bytes kept at most. Default 64 MiB. */
  maxBytes?: number;
}

/** Least-recently-used, bounded by entry count and by total encoded bytes. */
export class ImageCache {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly #entries = new Map<string, { value: CachedGeneration; bytes: number }>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(options: ImageCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? DEFAULT_CACHE_MAX_ENTRIES;
    this.maxBytes = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(key: string): CachedGeneration | undefined {
    const entry = this.#entries.get(key);
    if (!entry) {
      this.misses += 1;
      return undefined;
    }
    this.hits += 1;
    // Re-insert: Map keeps insertion order, so the first key is always the least recently used.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: CachedGeneration): void {
    const bytes = value.images.reduce((sum, image) => sum + image.bytes.byteLength, 0);
    if (bytes > this.maxBytes) return; // would evict everything and still not fit
    const existing = this.#entries.get(key);
    if (existing) {
      this.#bytes -= existing.bytes;
      this.#entries.delete(key);
    }
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size <= this.maxEntries && this.#bytes <= this.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
