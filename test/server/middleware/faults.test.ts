import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../../src/server/app.js";
import type { Handler } from "../../../src/server/compose.js";
import { FaultInjector, type FaultRule } from "../../../src/server/faults.js";
import {
  claimBodyFault,
  failingBody,
  faultInjection,
  injectedFault,
} from "../../../src/server/middleware/faults.js";
import { jsonResponse } from "../../../src/server/response.js";

type Op = "chat" | "speech";

/** A twin with two operations (/chat, /speech) and models named by ?model=. */
function twin(
  rules: FaultRule<Op>[],
  handler: Handler = () => jsonResponse(200, { answer: "hello world" }),
) {
  const injector = new FaultInjector<Op>(rules);
  const injected: FaultRule<Op>[] = [];
  const app = createApp({
    middleware: [
      faultInjection<Op>({
        injector,
        target: (request) => {
          const url = new URL(request.url);
          const operation = url.pathname.slice(1);
          if (operation !== "chat" && operation !== "speech") return undefined;
          const model = url.searchParams.get("model");
          return { operation, models: model ? [model] : [] };
        },
        onInject: (rule) => injected.push(rule),
      }),
    ],
    handler,
  });
  return { app, injector, injected };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("faultInjection", () => {
  it("status rules: body, headers (Retry-After), times, operation and model filters", async () => {
    const { app, injected } = twin([
      {
        operation: "chat",
        model: "gpt",
        times: 1,
        status: 429,
        headers: { "Retry-After": "2" },
        body: { error: "slow down" },
      },
      { operation: "speech", status: 503 },
    ]);
    expect((await app.request("/chat?model=other")).status).toBe(200);
    const limited = await app.request("/chat?model=gpt");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(await limited.json()).toEqual({ error: "slow down" });
    expect((await app.request("/chat?model=gpt")).status).toBe(200); // times used up
    const unavailable = await app.request("/speech");
    expect(unavailable.status).toBe(503);
    expect(await unavailable.json()).toEqual({ error: "Injected fault" });
    expect((await app.request("/elsewhere")).status).toBe(200); // not a fault target
    expect(injected).toHaveLength(2);
  });

  it("resetConnection answers Response.error(); the adapter resets the socket", async () => {
    const { app } = twin([{ resetConnection: true }]);
    const response = await app.request("/chat");
    expect(response.type).toBe("error");
  });

  it("hang answers nothing until the request is aborted", async () => {
    const { app } = twin([{ operation: "chat", hang: true }]);
    const controller = new AbortController();
    let settled = false;
    const pending = app.request("/chat", { signal: controller.signal }).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    controller.abort();
    expect((await pending).type).toBe("error");
  });

  it("delayMs waits, then handles normally; an abort during the wait drops the answer", async () => {
    vi.useFakeTimers();
    const { app } = twin([{ operation: "chat", delayMs: 1000 }]);
    let response: Response | undefined;
    const pending = app.request("/chat").then((r) => {
      response = r;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(response).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await pending;
    expect(response?.status).toBe(200);
    expect(vi.getTimerCount()).toBe(0);

    const controller = new AbortController();
    const aborted = app.request("/chat", { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(10);
    controller.abort();
    expect((await aborted).type).toBe("error");
    expect(vi.getTimerCount()).toBe(0); // the delay's timer is cleared
  });

  it("brokenJson cuts the final body in half and keeps the status", async () => {
    const { app } = twin([{ brokenJson: true }]);
    const response = await app.request("/chat");
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(Number(response.headers.get("content-length"))).toBe(text.length);
    expect(text).toBe('{"answer":"h'); // 12 of 24 bytes
    expect(() => JSON.parse(text)).toThrow();
    const tiny = twin([{ brokenJson: true }], () => jsonResponse(200, 1));
    expect(await (await tiny.app.request("/chat")).text()).toBe('{"detail":');
  });

  it("truncateBody announces the full length, sends half, then fails the body", async () => {
    const { app } = twin([{ truncateBody: true }]);
    const response = await app.request("/chat");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(
      String(JSON.stringify({ answer: "hello world" }).length),
    );
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('{"answer":"h');
    await expect(reader.read()).rejects.toThrow(/truncated/);
  });

  it("notAnImage answers 200 HTML", async () => {
    const { app } = twin([{ notAnImage: true }]);
    const response = await app.request("/speech");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain("<html>");
  });

  it("a streaming handler can claim the body fault and break its own stream", async () => {
    const { app } = twin([{ truncateBody: true }], (_request, context) => {
      expect(injectedFault(context)).toMatchObject({ truncateBody: true });
      const fault = claimBodyFault(context);
      const bytes = new TextEncoder().encode(fault ? "data: {" : "data: {}\n\n");
      return new Response(fault ? failingBody(bytes) : bytes, {
        headers: { "content-type": "text/event-stream" },
      });
    });
    const response = await app.request("/chat");
    expect(response.headers.get("content-length")).toBeNull(); // not the middleware's cut
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("data: {");
    await expect(reader.read()).rejects.toThrow();
  });

  it("rules are checked when installed", () => {
    const injector = new FaultInjector<Op>();
    expect(() => injector.set([{ operation: "chat" } as never])).toThrow(/exactly one action/);
    expect(() => injector.set([{ status: 700 }])).toThrow(/HTTP status/);
    expect(() => injector.set([{ delayMs: -1 }])).toThrow(/delayMs/);
    expect(() => injector.set([{ hang: true, times: 1.5 }])).toThrow(/times/);
    injector.set([{ operation: "chat", status: 500, times: 2 }]);
    expect(injector.active).toEqual([{ operation: "chat", status: 500, times: 2 }]);
  });
});
