import { describe, expect, it } from "vitest";
import { ImageCache, type CachedGeneration } from "../../../src/services/images/cache.js";

const generation = (bytes: number): CachedGeneration => ({
  images: [{ bytes: new Uint8Array(bytes), mimeType: "image/png", url: "u", width: 1, height: 1 }],
  requestId: "r",
  seed: 1,
  timings: undefined,
});

describe("ImageCache", () => {
  it("evicts the least recently used entry past maxEntries", () => {
    const cache = new ImageCache({ maxEntries: 2 });
    cache.set("a", generation(1));
    cache.set("b", generation(1));
    expect(cache.get("a")).toBeDefined(); // a is now the most recent
    cache.set("c", generation(1));
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBeDefined();
    expect(cache.get("c")).toBeDefined();
  });

  it("keeps total bytes under maxBytes and skips entries that can never fit", () => {
    const cache = new ImageCache({ maxBytes: 100 });
    cache.set("a", generation(60));
    cache.set("b", generation(60));
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(60);
    cache.set("huge", generation(101));
    expect(cache.get("huge")).toBeUndefined();
    expect(cache.get("b")).toBeDefined();
  });

  it("counts hits and misses", () => {
    const cache = new ImageCache();
    cache.get("x");
    cache.set("x", generation(1));
    cache.get("x");
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });
});
