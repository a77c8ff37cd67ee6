import { describe, expect, it } from "vitest";
import {
  ServerSentEventParser,
  ServerSentEventsError,
  readServerSentEvents,
} from "../../src/utils/sse.js";

const encoder = new TextEncoder();

function streamOfBytes(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  return streamOfBytes(chunks.map((c) => encoder.encode(c)));
}

async function collect(
  body: ReadableStream<Uint8Array>,
  options: Parameters<typeof readServerSentEvents>[1] = {},
): Promise<string[]> {
  const out: string[] = [];
  for await (const data of readServerSentEvents(body, options)) out.push(data);
  return out;
}

/** Cuts `bytes` at the given offsets (sorted, within 1..length-1). */
function splitAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let previous = 0;
  for (const offset of offsets) {
    chunks.push(bytes.subarray(previous, offset));
    previous = offset;
  }
  chunks.push(bytes.subarray(previous));
  return chunks;
}

/** A small deterministic PRNG (mulberry32), so a failing split can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A recorded-style OpenAI stream with every edge this reader must survive: LF, CRLF and bare CR
// line endings, comments and keep-alives, multi-line data, a field without a colon, event/id/retry
// fields, no space after the colon, and 2-, 3- and 4-byte UTF-8 sequences (é, 東, 🌲).
const RECORDED = [
  ": keep-alive\n\n",
  'data: {"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n',
  'data: {"id":"c1","choices":[{"index":0,"delta":{"content":" Frosted"}}]}\r\n\r\n',
  'data:{"id":"c1","choices":[{"index":0,"delta":{"content":" pines 🌲 at dawn"}}]}\r\r',
  ": ping\r\n",
  "data: crlf one\r\ndata: crlf two\r\n\r\n",
  "data: cr one\rdata: cr two\r\r",
  "event: note\nid: 7\nretry: 1000\ndata: first line é\ndata: second line 東\n\n",
  "data\n\n",
  'data: {"id":"c1","choices":[{"index":0,"delta":{"content":", café-quiet."}}]}\n\n',
  'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n',
  'data: {"id":"c1","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4}}\n\n',
  "data: [DONE]\n\n",
].join("");
const RECORDED_BYTES = encoder.encode(RECORDED);

describe("ServerSentEventParser", () => {
  it("follows the spec's field rules", () => {
    const parser = new ServerSentEventParser();
    const events = parser.feed(
      "event: update\nid: 42\ndata:  two spaces\ndata\n: comment\nunknown: x\n\ndata: next\n\n",
    );
    expect(events).toEqual([
      { event: "update", data: " two spaces\n", id: "42" },
      { event: "message", data: "next", id: "42" },
    ]);
  });

  it("dispatches nothing for an event without data, and resets the event name", () => {
    const parser = new ServerSentEventParser();
    expect(parser.feed("event: lonely\n\ndata: x\n\n")).toEqual([
      { event: "message", data: "x", id: undefined },
    ]);
  });

  it("treats CR then LF in the next piece as one line ending, even with empty pieces between", () => {
    const parser = new ServerSentEventParser();
    expect(parser.feed("data: a\r")).toEqual([]);
    expect(parser.feed("")).toEqual([]);
    expect(parser.feed("\ndata: b\r")).toEqual([]);
    expect(parser.feed("\n\r")).toEqual([{ event: "message", data: "a\nb", id: undefined }]);
  });

  it("refuses an event longer than the limit, also when it comes as one endless line", () => {
    expect(() =>
      new ServerSentEventParser({ maxEventChars: 10 }).feed("data: 0123456789\n"),
    ).toThrow(ServerSentEventsError);
    const parser = new ServerSentEventParser({ maxEventChars: 10 });
    parser.feed("data: 01");
    expect(() => parser.feed("23456789")).toThrow(/longer than 10 characters/);
  });
});

describe("readServerSentEvents", () => {
  it("yields each event's data and skips comments", async () => {
    expect(
      await collect(streamOf(['data: {"a":1}\n\n', ": keepalive\n\n", 'data: {"b":2}\n\n'])),
    ).toEqual(['{"a":1}', '{"b":2}']);
  });

  it("joins events split across chunks and multi-line data", async () => {
    expect(
      await collect(streamOf(["da", "ta: one\r\nda", "ta: two\r\n", "\r\n", "data:x\n\n"])),
    ).toEqual(["one\ntwo", "x"]);
  });

  it("does not end an event early when \\r\\n is split across chunks", async () => {
    expect(await collect(streamOf(["data: a\r", "\ndata: b\r\n\r", "\n"]))).toEqual(["a\nb"]);
  });

  it("yields a final event without a trailing blank line", async () => {
    expect(await collect(streamOf(["event: status\ndata: last"]))).toEqual(["last"]);
    expect(await collect(streamOf(["data: last\r"]))).toEqual(["last"]);
  });

  it("decodes a UTF-8 sequence cut across chunks whole", async () => {
    const bytes = encoder.encode("data: 🌲é\n\n");
    // Cut inside the 4-byte tree and inside the 2-byte é.
    expect(await collect(streamOfBytes(splitAt(bytes, [7, 8, 9, 11])))).toEqual(["🌲é"]);
  });

  it("gives the same events for every split of a recorded stream (each byte offset, then random multi-splits)", async () => {
    const expected = await collect(streamOfBytes([RECORDED_BYTES]));
    expect(expected).toHaveLength(11);
    expect(expected).toContain("crlf one\ncrlf two");
    expect(expected).toContain("cr one\ncr two");
    expect(expected).toContain("first line é\nsecond line 東");
    expect(expected).toContain("");
    expect(expected.at(-1)).toBe("[DONE]");

    for (let offset = 1; offset < RECORDED_BYTES.length; offset++) {
      const got = await collect(streamOfBytes(splitAt(RECORDED_BYTES, [offset])));
      if (JSON.stringify(got) !== JSON.stringify(expected))
        throw new Error(`split at byte ${offset} changed the events: ${JSON.stringify(got)}`);
    }

    const random = prng(20_260_101);
    for (let round = 0; round < 300; round++) {
      const cuts = 1 + Math.floor(random() * 40);
      const offsets = [
        ...new Set(
          Array.from(
            { length: cuts },
            () => 1 + Math.floor(random() * (RECORDED_BYTES.length - 1)),
          ),
        ),
      ].sort((a, b) => a - b);
      const got = await collect(streamOfBytes(splitAt(RECORDED_BYTES, offsets)));
      if (JSON.stringify(got) !== JSON.stringify(expected))
        throw new Error(`splits at [${offsets.join(", ")}] changed the events`);
    }

    // One byte at a time.
    const bytewise = Array.from(RECORDED_BYTES, (_b, i) => RECORDED_BYTES.subarray(i, i + 1));
    expect(await collect(streamOfBytes(bytewise))).toEqual(expected);
  });

  it("stops at the end marker: nothing after it is yielded, and a body that never ends is cancelled after the grace", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode("data: one\n\ndata: [DONE]\n\ndata: after\n\n"));
        // ...and never closes.
      },
      cancel() {
        cancelled = true;
      },
    });
    expect(await collect(body, { doneData: "[DONE]", doneGraceMs: 20 })).toEqual(["one", "[DONE]"]);
    // The consumer did not wait for the grace; the body is let go of once it has passed.
    await expect.poll(() => cancelled, { timeout: 2000 }).toBe(true);
  });

  it("a consumer that breaks at the end marker gets control back at once", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode("data: [DONE]\n\n"));
      },
      cancel() {
        cancelled = true;
      },
    });
    const seen: string[] = [];
    for await (const data of readServerSentEvents(body, { doneData: "[DONE]", doneGraceMs: 20 })) {
      seen.push(data);
      if (data === "[DONE]") break;
    }
    expect(seen).toEqual(["[DONE]"]);
    await expect.poll(() => cancelled, { timeout: 2000 }).toBe(true);
  });

  it("cancels the body at once when the consumer stops early", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode("data: one\n\ndata: two\n\n"));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const data of readServerSentEvents(body)) {
      expect(data).toBe("one");
      break;
    }
    expect(cancelled).toBe(true);
  });

  it("throws a ServerSentEventsError for an event over the limit and cancels the body", async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(`data: ${"x".repeat(64)}`));
      },
      cancel() {
        cancelled = true;
      },
    });
    await expect(collect(body, { maxEventChars: 32 })).rejects.toThrow(ServerSentEventsError);
    expect(cancelled).toBe(true);
  });
});
