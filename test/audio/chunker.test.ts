// AudioChunker: bounded chunks of whole frames, nothing lost, nothing split.
import { describe, expect, it } from "vitest";
import { AudioChunker, chunkAudio } from "../../src/audio/chunker.js";
import { concatBytes } from "../../src/audio/pcm.js";
import { SettingsValidationError } from "../../src/utils/errors.js";

const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i % 251);

describe("AudioChunker", () => {
  it("cuts any arrival pattern into maxBytes chunks plus one shorter last chunk", () => {
    const input = bytes(10_001);
    for (const size of [1, 7, 1920, 4096, 10_001]) {
      const chunker = new AudioChunker({ maxBytes: 1920 });
      const out: Uint8Array[] = [];
      for (let i = 0; i < input.byteLength; i += size)
        out.push(...chunker.push(input.subarray(i, i + size)));
      out.push(...chunker.flush());
      for (const chunk of out.slice(0, -1)) expect(chunk.byteLength).toBe(1920);
      const last = out.at(-1) as Uint8Array;
      expect(last.byteLength).toBe(10_000 - 1920 * 5);
      // Everything but the stray last byte, in order.
      expect(concatBytes(out)).toEqual(input.subarray(0, 10_000));
      expect(chunker.discardedBytes).toBe(1);
    }
  });

  it("with minBytes, hands out what has arrived (whole frames, at most maxBytes) at once", () => {
    const chunker = new AudioChunker({ maxBytes: 1000, minBytes: 2 });
    expect(chunker.push(bytes(1)).map((c) => c.byteLength)).toEqual([]);
    expect(chunker.push(bytes(4)).map((c) => c.byteLength)).toEqual([4]);
    expect(chunker.pendingBytes).toBe(1);
    expect(chunker.push(bytes(2500)).map((c) => c.byteLength)).toEqual([1000, 1000, 500]);
    expect(chunker.pendingBytes).toBe(1);
  });

  it("rounds maxBytes down to whole frames, and keeps stereo frames whole", () => {
    const chunker = new AudioChunker({ maxBytes: 1001, frameBytes: 4 });
    expect(chunker.maxBytes).toBe(1000);
    const out = [...chunker.push(bytes(2003)), ...chunker.flush()];
    expect(out.map((c) => c.byteLength)).toEqual([1000, 1000]);
    expect(chunker.discardedBytes).toBe(3);
  });

  it("hands out copies: changing the input later changes nothing", () => {
    const chunker = new AudioChunker({ maxBytes: 4 });
    const input = new Uint8Array([1, 2, 3, 4]);
    const [chunk] = chunker.push(input);
    input.fill(0);
    expect([...(chunk as Uint8Array)]).toEqual([1, 2, 3, 4]);
  });

  it("reset() drops what is held and says how much", () => {
    const chunker = new AudioChunker({ maxBytes: 100 });
    chunker.push(bytes(30));
    expect(chunker.reset()).toBe(30);
    expect(chunker.flush()).toEqual([]);
  });

  it("re-cuts an async stream", async () => {
    async function* source(): AsyncGenerator<Uint8Array> {
      yield bytes(3);
      yield bytes(10);
      yield bytes(5);
    }
    const sizes: number[] = [];
    for await (const chunk of chunkAudio(source(), { maxBytes: 8 })) sizes.push(chunk.byteLength);
    expect(sizes).toEqual([8, 8, 2]);
  });

  it("rejects impossible sizes, naming the field", () => {
    expect(() => new AudioChunker({ maxBytes: 1 })).toThrow(SettingsValidationError);
    expect(() => new AudioChunker({ maxBytes: 100, minBytes: 200 })).toThrow(/minBytes/);
    expect(() => new AudioChunker({ maxBytes: 100, frameBytes: 0 })).toThrow(/frameBytes/);
  });
});
