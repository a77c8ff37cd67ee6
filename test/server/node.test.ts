// The node:http adapter over real sockets on 127.0.0.1.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { connect } from "node:net";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { createApp, type App } from "../../src/server/app.js";
import type { Handler } from "../../src/server/compose.js";
import { bodyLimit } from "../../src/server/middleware/body-limit.js";
import { failingBody } from "../../src/server/middleware/faults.js";
import { createNodeServer, type NodeServer } from "../../src/server/node.js";
import { jsonResponse } from "../../src/server/response.js";

const servers: NodeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: Handler | App): Promise<{ server: NodeServer; base: string }> {
  const app = typeof handler === "function" ? createApp({ handler }) : handler;
  const server = createNodeServer(app, {
    badRequest: { contentType: "application/json", body: '{"detail":"Bad Request"}' },
  });
  servers.push(server);
  const { port } = await server.listen(0, "127.0.0.1");
  return { server, base: `http://127.0.0.1:${port}` };
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A request with an exact request-target; resolves with the response, not yet read. */
function rawGet(base: string, path: string, method = "GET"): Promise<IncomingMessage> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path }, resolve);
    req.on("error", reject);
    req.end();
  });
}

async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

describe("node:http adapter", () => {
  it("hands the app a Request with method, headers, body and the raw request-target", async () => {
    const { base } = await serve(async (request, context) =>
      jsonResponse(200, {
        method: request.method,
        target: context.target,
        pathname: new URL(request.url).pathname,
        header: request.headers.get("x-test"),
        body: await request.text(),
      }),
    );
    const res = await fetch(`${base}/echo?q=1`, {
      method: "PUT",
      headers: { "x-test": "yes" },
      body: "payload",
    });
    expect(await res.json()).toEqual({
      method: "PUT",
      target: "/echo?q=1",
      pathname: "/echo",
      header: "yes",
      body: "payload",
    });
    const raw = await rawGet(base, "/files/%2e%2e/../x");
    expect(JSON.parse(await readAll(raw)).target).toBe("/files/%2e%2e/../x");
  });

  it("the Request is a real one to the app: instanceof, Request members, clone(), inspect", async () => {
    const { base } = await serve(async (request) => {
      const copy = request.clone();
      return jsonResponse(200, {
        isRequest: request instanceof Request,
        cache: request.cache,
        mode: request.mode,
        signal: request.signal instanceof AbortSignal,
        bodyUsed: request.bodyUsed,
        copy: await copy.text(),
        original: await request.text(),
        bodyUsedAfter: request.bodyUsed,
        inspected: inspect(request).startsWith("Request"),
      });
    });
    const res = await fetch(`${base}/x`, { method: "POST", body: "abc" });
    expect(await res.json()).toEqual({
      isRequest: true,
      cache: "default",
      mode: "cors",
      signal: true,
      bodyUsed: false,
      copy: "abc",
      original: "abc",
      bodyUsedAfter: true,
      inspected: true,
    });
  });

  it("context.body() reads the body from the socket, within the body limit; a later stream read fails", async () => {
    const app = createApp({
      middleware: [bodyLimit({ maxBytes: 8 })],
      handler: async (request, context) => {
        const bytes = await context.body();
        const again = await context.body();
        const streamed = await request.text().then(
          () => "read",
          (error: unknown) => (error instanceof TypeError ? "unusable" : "other"),
        );
        return jsonResponse(200, {
          text: new TextDecoder().decode(bytes),
          same: bytes === again,
          hasBody: context.hasBody,
          bodyUsed: request.bodyUsed,
          streamed,
        });
      },
    });
    const { base } = await serve(app);
    const ok = await fetch(`${base}/`, { method: "POST", body: "12345678" });
    expect(await ok.json()).toEqual({
      text: "12345678",
      same: true,
      hasBody: true,
      bodyUsed: true,
      streamed: "unusable",
    });
    // Counted (chunked, no length), then declared: both over the limit.
    const counted = await fetch(`${base}/`, {
      method: "POST",
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("12345"));
          controller.enqueue(new TextEncoder().encode("67890"));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(counted.status).toBe(413);
    const declared = await fetch(`${base}/`, { method: "POST", body: "123456789" });
    expect(declared.status).toBe(413);
    // A GET has no body: empty, without waiting for anything.
    const get = await fetch(`${base}/`);
    expect(await get.json()).toMatchObject({ text: "", hasBody: false });
  });

  it("a whole answer is a Response to the app and its middleware, and goes out in one write", async () => {
    const seen: Record<string, unknown> = {};
    const app = createApp({
      middleware: [
        async function look(_request, context, next) {
          const response = await next();
          seen.isResponse = response instanceof Response;
          seen.ok = response.ok;
          response.headers.set("x-added", "yes");
          context.onFinish((r) => {
            seen.finished = r.status;
          });
          return response;
        },
      ],
      handler: () => jsonResponse(201, { hello: "world" }),
    });
    const { base } = await serve(app);
    const raw = await rawGet(base, "/");
    expect(raw.statusCode).toBe(201);
    expect(raw.headers["x-added"]).toBe("yes");
    expect(raw.headers["content-length"]).toBe(String('{"hello":"world"}'.length));
    expect(await readAll(raw)).toBe('{"hello":"world"}');
    expect(seen).toEqual({ isResponse: true, ok: true, finished: 201 });
    // In-process, the same answer reads as any Response.
    const local = await app.request("/");
    expect(await local.clone().json()).toEqual({ hello: "world" });
    expect(await local.text()).toBe('{"hello":"world"}');
    expect(local.bodyUsed).toBe(true);
  });

  it("sends Content-Length answers whole, and a HEAD answer without its body", async () => {
    const { base } = await serve(() => jsonResponse(200, { hello: "world" }));
    const head = await rawGet(base, "/", "HEAD");
    expect(head.headers["content-length"]).toBe(String('{"hello":"world"}'.length));
    expect(await readAll(head)).toBe("");
    const get = await fetch(base);
    expect(await get.text()).toBe('{"hello":"world"}');
  });

  it("aborts the handler's signal when the client goes away", async () => {
    const aborted = deferred<unknown>();
    const started = deferred();
    const { base } = await serve(async (_request, context) => {
      started.resolve();
      await new Promise<void>((resolve) =>
        context.signal.addEventListener("abort", () => resolve(), { once: true }),
      );
      aborted.resolve(context.signal.reason);
      return new Response("too late");
    });
    const client = new AbortController();
    const call = fetch(base, { signal: client.signal }).catch((e: unknown) => e);
    await started.promise;
    client.abort();
    expect(await call).toBeInstanceOf(Error);
    expect(await aborted.promise).toBeInstanceOf(DOMException);
  });

  it("streams a body without a length as it is produced (server-sent events)", async () => {
    const next = deferred();
    const encoder = new TextEncoder();
    const { base } = await serve(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            async start(controller) {
              controller.enqueue(encoder.encode("data: 1\n\n"));
              await next.promise;
              controller.enqueue(encoder.encode("data: 2\n\n"));
              controller.close();
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    );
    const res = await fetch(base);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("transfer-encoding")).toBe("chunked");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: 1\n\n");
    next.resolve();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: 2\n\n");
    expect((await reader.read()).done).toBe(true);
  });

  it("waits for the client when it reads slower than the body is produced (backpressure)", async () => {
    const CHUNK = 1024 * 1024;
    const TOTAL_CHUNKS = 64;
    let produced = 0;
    const { base } = await serve(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              if (produced === TOTAL_CHUNKS) return controller.close();
              produced += 1;
              controller.enqueue(new Uint8Array(CHUNK));
            },
          }),
        ),
    );
    const res = await rawGet(base, "/");
    res.pause();
    await new Promise((r) => setTimeout(r, 300));
    // Socket buffers hold a few MiB at most: the producer must have stopped well short of 64.
    expect(produced).toBeLessThan(TOTAL_CHUNKS / 2);
    res.resume();
    let bytes = 0;
    for await (const chunk of res) bytes += (chunk as Buffer).length;
    expect(bytes).toBe(CHUNK * TOTAL_CHUNKS);
    expect(produced).toBe(TOTAL_CHUNKS);
  });

  it("cancels the body stream when the client goes away mid-stream (and onFinish never fires)", async () => {
    const cancelled = deferred<unknown>();
    const finished: number[] = [];
    const { base } = await serve(
      createApp({
        middleware: [
          async function watch(_request, context, next) {
            context.onFinish((r) => finished.push(r.status));
            return next();
          },
        ],
        handler: () =>
          new Response(
            new ReadableStream<Uint8Array>({
              start(controller) {
                controller.enqueue(new TextEncoder().encode("first"));
              },
              cancel(reason) {
                cancelled.resolve(reason);
              },
            }),
          ),
      }),
    );
    const client = new AbortController();
    const res = await fetch(base, { signal: client.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    client.abort();
    expect(await cancelled.promise).toBeInstanceOf(DOMException);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(finished).toEqual([]);
  });

  it("Response.error() resets the connection; a body that fails part-way drops it after the bytes", async () => {
    const { base } = await serve((request) =>
      new URL(request.url).pathname === "/reset"
        ? Response.error()
        : new Response(failingBody(new TextEncoder().encode("half")), {
            headers: { "content-length": "8" },
          }),
    );
    const reset = await fetch(`${base}/reset`).catch((e: unknown) => e);
    expect(reset).toBeInstanceOf(TypeError);
    expect(String((reset as TypeError).cause)).toMatch(/ECONNRESET|socket|closed/i);
    const truncated = await fetch(`${base}/truncated`);
    expect(truncated.headers.get("content-length")).toBe("8");
    await expect(truncated.text()).rejects.toThrow();
    const raw = await rawGet(base, "/truncated");
    const received: Buffer[] = [];
    await new Promise<void>((resolve) => {
      raw.on("data", (c: Buffer) => received.push(c));
      raw.on("error", () => resolve());
      raw.on("close", () => resolve());
    });
    expect(Buffer.concat(received).toString()).toBe("half");
  });

  it("answers an unparsable request with the raw 400 it was given", async () => {
    const { base } = await serve(() => new Response("ok"));
    const url = new URL(base);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write("NOT HTTP AT ALL\r\n\r\n");
      });
      let text = "";
      socket.on("data", (c) => {
        text += c.toString();
      });
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(answer).toContain('{"detail":"Bad Request"}');
  });

  it("close() ends hung requests and open streams, drops idle connections, and does not wait", async () => {
    const hungAborted = deferred();
    const streamCancelled = deferred();
    const started = { hung: deferred(), stream: deferred() };
    const { server, base } = await serve(async (request, context) => {
      if (new URL(request.url).pathname === "/hang") {
        started.hung.resolve();
        await new Promise<void>((resolve) =>
          context.signal.addEventListener("abort", () => resolve(), { once: true }),
        );
        hungAborted.resolve();
        return new Response("never sent");
      }
      if (new URL(request.url).pathname === "/stream") {
        return new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(new TextEncoder().encode("open"));
              started.stream.resolve();
            },
            cancel() {
              streamCancelled.resolve();
            },
          }),
        );
      }
      return new Response("quick");
    });
    expect(await (await fetch(`${base}/idle`)).text()).toBe("quick"); // leaves a keep-alive socket
    const hung = fetch(`${base}/hang`).catch((e: unknown) => e);
    const stream = await fetch(`${base}/stream`);
    await Promise.all([started.hung.promise, started.stream.promise]);
    await server.close();
    await Promise.all([hungAborted.promise, streamCancelled.promise]);
    expect(await hung).toBeInstanceOf(Error);
    await expect(stream.text()).rejects.toThrow();
    await expect(fetch(`${base}/idle`)).rejects.toThrow();
    await server.close(); // idempotent
  });
});
