import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/server/app.js";
import { HttpError } from "../../../src/server/http-error.js";
import { bodyLimit, type TooLargeInfo } from "../../../src/server/middleware/body-limit.js";

function chunks(...parts: number[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const size of parts) controller.enqueue(new Uint8Array(size).fill(120));
      controller.close();
    },
  });
}

describe("bodyLimit", () => {
  const echoLength = createApp({
    middleware: [bodyLimit({ maxBytes: 10 })],
    handler: async (_request, context) => new Response(String((await context.body()).length)),
  });

  it("passes bodies up to the limit, streamed or not", async () => {
    expect(
      await (await echoLength.request("/", { method: "POST", body: "0123456789" })).text(),
    ).toBe("10");
    const streamed = await echoLength.request("/", { method: "POST", body: chunks(4, 6) });
    expect(await streamed.text()).toBe("10");
  });

  it("answers 413 beyond it: declared length, or counted on a stream without one", async () => {
    const declared = await echoLength.request("/", { method: "POST", body: "01234567890" });
    expect(declared.status).toBe(413);
    expect(declared.headers.get("connection")).toBeNull(); // drained: the connection can stay
    const counted = await echoLength.request("/", { method: "POST", body: chunks(6, 6) });
    expect(counted.status).toBe(413);
  });

  it("drains up to drainBytes, then gives up and closes the connection", async () => {
    const infos: TooLargeInfo[] = [];
    const app = createApp({
      middleware: [
        bodyLimit({
          maxBytes: 10,
          drainBytes: 20,
          onTooLarge: (_context, info) => {
            infos.push(info);
            return Response.json({ too: "large" }, { status: 413 });
          },
        }),
      ],
      handler: async (_request, context) => new Response(new Uint8Array(await context.body())),
    });
    const drained = await app.request("/", { method: "POST", body: chunks(8, 8) });
    expect(drained.status).toBe(413);
    expect(await drained.json()).toEqual({ too: "large" });
    const abandoned = await app.request("/", { method: "POST", body: chunks(8, 8, 8, 8) });
    expect(abandoned.status).toBe(413);
    expect(infos).toEqual([
      { maxBytes: 10, drained: true },
      { maxBytes: 10, drained: false },
    ]);
    const plain = createApp({
      middleware: [bodyLimit({ maxBytes: 1, drainBytes: 1 })],
      handler: async (_request, context) => new Response(new Uint8Array(await context.body())),
    });
    const closing = await plain.request("/", { method: "POST", body: chunks(4) });
    expect(closing.status).toBe(413);
    expect(closing.headers.get("connection")).toBe("close");
  });

  it("answers 400 when the body fails to arrive", async () => {
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error("socket hang up"));
      },
    });
    const response = await echoLength.request("/", { method: "POST", body: broken });
    expect(response.status).toBe(400);
    // The HttpError keeps why the body did not arrive.
    let caught: unknown;
    const app = createApp({
      middleware: [bodyLimit({ maxBytes: 10 })],
      handler: async (_request, context) => {
        try {
          return new Response(String((await context.body()).length));
        } catch (error) {
          caught = error;
          throw error;
        }
      },
    });
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error("socket hang up"));
      },
    });
    expect((await app.request("/", { method: "POST", body: failing })).status).toBe(400);
    expect(caught).toBeInstanceOf(HttpError);
    expect(((caught as HttpError).cause as Error).message).toBe("socket hang up");
  });

  it("leaves requests alone that nobody reads the body of", async () => {
    const app = createApp({
      middleware: [bodyLimit({ maxBytes: 1 })],
      handler: () => new Response("not reading"),
    });
    expect((await app.request("/", { method: "POST", body: chunks(100) })).status).toBe(200);
  });
});
