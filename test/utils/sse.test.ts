import { describe, expect, it } from "vitest";
import { readServerSentEvents } from "../../src/utils/sse.js";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(chunks: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const data of readServerSentEvents(streamOf(chunks))) out.push(data);
  return out;
}

describe("readServerSentEvents", () => {
  it("yields each event's data and skips comments", async () => {
    expect(await collect(['data: {"a":1}\n\n', ": keepalive\n\n", 'data: {"b":2}\n\n'])).toEqual([
      '{"a":1}',
      '{"b":2}',
    ]);
  });

  it("joins events split across chunks and multi-line data", async () => {
    expect(await collect(["da", "ta: one\r\nda", "ta: two\r\n", "\r\n", "data:x\n\n"])).toEqual([
      "one\ntwo",
      "x",
    ]);
  });

  it("does not end an event early when \\r\\n is split across chunks", async () => {
    expect(await collect(["data: a\r", "\ndata: b\r\n\r", "\n"])).toEqual(["a\nb"]);
  });

  it("yields a final event without a trailing blank line", async () => {
    expect(await collect(["event: status\ndata: last"])).toEqual(["last"]);
  });
});
