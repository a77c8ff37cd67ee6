import { describe, expect, it } from "vitest";
import { createApp } from "../../src/server/app.js";
import { contextKey } from "../../src/server/context.js";
import { jsonResponse } from "../../src/server/response.js";

describe("createApp", () => {
  it("app.request answers without a socket and keeps the path as the raw target", async () => {
    const app = createApp({
      handler: (request, context) =>
        jsonResponse(200, { target: context.target, url: request.url, method: request.method }),
    });
    const response = await app.request("/files/../x?a=1");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({
      target: "/files/../x?a=1",
      url: "http://localhost/x?a=1",
      method: "GET",
    });
    const absolute = await app.fetch(new Request("http://example.test/a%20b?q"));
    expect((await absolute.json()).target).toBe("/a%20b?q");
  });

  it("hands typed values from middleware to the handler", async () => {
    const USER = contextKey<{ name: string }>("user");
    const app = createApp({
      middleware: [
        async function identify(_request, context, next) {
          context.set(USER, { name: "ada" });
          return next();
        },
      ],
      handler: (_request, context) => new Response(context.get(USER)?.name ?? "nobody"),
    });
    expect(await (await app.request("/")).text()).toBe("ada");
  });

  it("reads the body once for everyone, streams included", async () => {
    const app = createApp({
      middleware: [
        async function peek(_request, context, next) {
          const bytes = await context.body();
          const response = await next();
          response.headers.set("x-peeked", String(bytes.byteLength));
          return response;
        },
      ],
      handler: async (_request, context) => new Response(new Uint8Array(await context.body())),
    });
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("hel"));
        controller.enqueue(new TextEncoder().encode("lo"));
        controller.close();
      },
    });
    const response = await app.request("/", { method: "POST", body });
    expect(await response.text()).toBe("hello");
    expect(response.headers.get("x-peeked")).toBe("5");
    const empty = await app.request("/");
    expect(empty.headers.get("x-peeked")).toBe("0");
  });

  it("applies response transforms innermost first, and onFinish after the last byte", async () => {
    const finished: string[] = [];
    const app = createApp({
      middleware: [
        async function outer(_request, context, next) {
          context.transformResponse(async (r) => new Response(`${await r.text()}+outer`, r));
          context.onFinish((r) => finished.push(`finish ${r.status}`));
          return next();
        },
        async function inner(_request, context, next) {
          context.transformResponse(async (r) => new Response(`${await r.text()}+inner`, r));
          return next();
        },
      ],
      handler: () => new Response("body", { status: 201 }),
    });
    const response = await app.request("/");
    expect(finished).toEqual([]); // the body has not been read yet
    expect(await response.text()).toBe("body+inner+outer");
    expect(finished).toEqual(["finish 201"]);
  });

  it("onFinish never fires for a body that fails part-way or a dropped connection", async () => {
    const finished: number[] = [];
    const failing = createApp({
      middleware: [
        async function watch(_request, context, next) {
          context.onFinish((r) => finished.push(r.status));
          return next();
        },
      ],
      handler: () =>
        new Response(
          new ReadableStream({
            pull(controller) {
              controller.error(new Error("broken"));
            },
          }),
        ),
    });
    await expect((await failing.request("/")).text()).rejects.toThrow();
    const dropped = createApp({
      middleware: [
        async function watch(_request, context, next) {
          context.onFinish((r) => finished.push(r.status));
          return next();
        },
      ],
      handler: () => Response.error(),
    });
    expect((await dropped.request("/")).type).toBe("error");
    expect(finished).toEqual([]);
  });

  it("answers with onError when a transform fails", async () => {
    const app = createApp({
      middleware: [
        async function breakIt(_request, context, next) {
          context.transformResponse(() => {
            throw new Error("transform failed");
          });
          return next();
        },
      ],
      handler: () => new Response("ok"),
      onError: (error) => new Response((error as Error).message, { status: 500 }),
    });
    const response = await app.request("/");
    expect(response.status).toBe(500);
    expect(await response.text()).toBe("transform failed");
  });
});
