// The twins' shared kit on a made-up twin ("echo"): the chain's order and answers, the counters,
// the log (prefixed, redacted, never throwing), the lifecycle, the recorded requests and previews.
import { describe, expect, it } from "vitest";
import { contextKey, type RequestContext } from "../../../src/server/context.js";
import { FaultInjector } from "../../../src/server/faults.js";
import { createHostPolicy } from "../../../src/server/host-guard.js";
import { apiKeyFrom } from "../../../src/server/middleware/auth.js";
import { RequestRecorder } from "../../../src/server/middleware/record.js";
import { jsonResponse } from "../../../src/server/response.js";
import { createTwinApp } from "../../../src/local/twin-kit/app.js";
import { TwinLifecycle } from "../../../src/local/twin-kit/lifecycle.js";
import { twinLog } from "../../../src/local/twin-kit/log.js";
import {
  RECORDED_TEXT_CHARS,
  bodyPreview,
  recordRequest,
  type TwinRecordedRequest,
} from "../../../src/local/twin-kit/recording.js";
import { REDACTED, twinSecrets } from "../../../src/local/twin-kit/secrets.js";
import { fnv1a32, mulberry32 } from "../../../src/local/twin-kit/seeded-random.js";
import { newRequestCounters, requestStats } from "../../../src/local/twin-kit/stats.js";

type Op = "echo" | "unknown";
const ROUTE = contextKey<{ operation: Op; path: string }>("test.route");
const KEY = "sk-echo-secret";

function echoTwin(options: { requiredKey?: string; logger?: (line: string) => void } = {}) {
  const lines: string[] = [];
  const log = twinLog("[echo]", options.logger ?? ((line) => lines.push(line)));
  const counters = newRequestCounters<Op>();
  const lifecycle = new TwinLifecycle({ shutdownReason: new Error("echo closing") });
  const recorder = new RequestRecorder<TwinRecordedRequest<Op>>(10);
  const injector = new FaultInjector<"echo">();
  const routeOf = (context: RequestContext) => {
    const route = context.get(ROUTE);
    if (!route) throw new Error("not routed");
    return route;
  };
  const app = createTwinApp({
    log,
    logs: true,
    secrets: twinSecrets(options.requiredKey),
    counters,
    replies: {
      forbidden: (detail) => jsonResponse(403, { error: "forbidden", detail }),
      closing: () => jsonResponse(503, { error: "closing" }, { connection: "close" }),
      tooLarge: (maxBytes, headers) => jsonResponse(413, { error: "too large", maxBytes }, headers),
      unauthorized: () => jsonResponse(401, { error: "unauthorized" }),
      fault: (rule) => jsonResponse(rule.status, { error: "injected" }),
      internalError: () => jsonResponse(500, { error: "internal" }),
    },
    lifecycle,
    maxBodyBytes: 64,
    route: [
      async function routeEcho(_request, context, next) {
        const path = context.target.split("?")[0] ?? "/";
        context.set(ROUTE, { operation: path.startsWith("/echo") ? "echo" : "unknown", path });
        return next();
      },
    ],
    routeOf,
    recorder,
    describeRequest: (request, context, bytes) =>
      recordRequest(request, routeOf(context), bytes, {
        parse: (body) => {
          try {
            return { ok: true, value: JSON.parse(new TextDecoder().decode(body)) };
          } catch {
            return { ok: false };
          }
        },
      }).entry,
    answerUnroutable: async (_request, context, next) =>
      routeOf(context).operation === "unknown" ? jsonResponse(404, { error: "no route" }) : next(),
    auth: { extract: apiKeyFrom.authorization("Bearer") },
    faults: { injector, target: () => ({ operation: "echo", models: [] }) },
    handler: async (_request, context) => {
      const text = new TextDecoder().decode(await context.body());
      if (text === "throw") throw new Error(`boom with ${KEY}`);
      return jsonResponse(200, { echo: text });
    },
  });
  return { app, counters, lifecycle, lines };
}

describe("twin kit: the shared chain", () => {
  it("answers, counts by operation and status, and logs one prefixed line per answer", async () => {
    const { app, counters, lines } = echoTwin();
    const response = await app.request("/echo", { method: "POST", body: "hi" });
    expect(await response.json()).toEqual({ echo: "hi" });
    const missing = await app.request("/nowhere");
    expect(missing.status).toBe(404);
    await missing.text(); // the recorded status is filled in once the answer has gone out
    expect(requestStats(counters)).toEqual({
      requests: 2,
      refused: 0,
      byOperation: { echo: 1, unknown: 1 },
      byStatus: { "200": 1, "404": 1 },
      unauthorized: 0,
      faultsInjected: 0,
    });
    expect(lines[0]).toMatch(/^\[echo\] POST \/echo \[echo\] -> 200 \d+ms$/);
    expect(app.requests().map((r) => [r.path, r.body, r.status])).toEqual([
      ["/echo", "hi", 200],
      ["/nowhere", undefined, 404],
    ]);
  });

  it("checks the key, refuses foreign hosts, limits bodies, injects faults, hides errors", async () => {
    const { app, counters, lines } = echoTwin({ requiredKey: KEY });
    expect((await app.request("/echo", { method: "POST", body: "x" })).status).toBe(401);
    const ok = await app.request("/echo", {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}` },
      body: "x",
    });
    expect(ok.status).toBe(200);
    const big = await app.request("/echo", {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}` },
      body: "y".repeat(65),
    });
    expect(big.status).toBe(413);
    app.setFaults([{ operation: "echo", status: 502, times: 1, headers: { "x-note": KEY } }]);
    const auth = { authorization: `Bearer ${KEY}` };
    expect((await app.request("/echo", { method: "POST", headers: auth, body: "z" })).status).toBe(
      502,
    );
    const failed = await app.request("/echo", { method: "POST", headers: auth, body: "throw" });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: "internal" });
    expect(lines.some((line) => line.includes(`internal error: boom with ${REDACTED}`))).toBe(true);
    expect(lines.join("\n")).not.toContain(KEY);
    expect(lines.some((line) => line.startsWith("[echo] fault injected on echo"))).toBe(true);
    app.setHostPolicy(createHostPolicy({ bindAddress: "127.0.0.1", port: 9 }));
    const foreign = await app.request("http://evil.example/echo", {
      headers: { host: "evil.example" },
    });
    expect(foreign.status).toBe(403);
    expect(counters).toMatchObject({ unauthorized: 1, faultsInjected: 1, refused: 1 });
  });

  it("refuses new requests once stopped, and aborts the shutdown signal once, with its reason", async () => {
    const { app, lifecycle } = echoTwin();
    expect(lifecycle.closing).toBe(false);
    expect(lifecycle.shutdown.aborted).toBe(false);
    expect(lifecycle.stop()).toBe(true);
    expect(lifecycle.closing).toBe(true);
    expect(lifecycle.stop()).toBe(false);
    expect(lifecycle.shutdown.aborted).toBe(true);
    expect((lifecycle.shutdown.reason as Error).message).toBe("echo closing");
    expect((await app.request("/echo", { method: "POST", body: "late" })).status).toBe(503);
  });
});

describe("twin kit: pieces", () => {
  it("twinLog prefixes lines, does nothing without a logger and survives a throwing one", () => {
    const seen: string[] = [];
    twinLog("[t]", (line) => seen.push(line))("hello");
    expect(seen).toEqual(["[t] hello"]);
    expect(() => twinLog("[t]", undefined)("x")).not.toThrow();
    const throwing = twinLog("[t]", () => {
      throw new Error("logger down");
    });
    expect(() => throwing("x")).not.toThrow();
  });

  it("twinSecrets treats an empty key as none and redacts the key", () => {
    expect(twinSecrets("").requiredKey).toBeUndefined();
    expect(twinSecrets(undefined).requiredKey).toBeUndefined();
    const { requiredKey, redactor } = twinSecrets("k-123456");
    expect(requiredKey).toBe("k-123456");
    expect(redactor.text("key k-123456 here")).toBe(`key ${REDACTED} here`);
  });

  it("bodyPreview keeps the first characters of a long multi-byte body, as decoding it whole would", () => {
    const text = "é€😀a".repeat(2000);
    const bytes = new TextEncoder().encode(text);
    expect(bodyPreview(bytes)).toBe(text.slice(0, RECORDED_TEXT_CHARS));
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, 0x61]);
    expect(bodyPreview(withBom)).toBe("a");
    expect(bodyPreview(withBom, new TextDecoder("utf-8", { ignoreBOM: true }))).toBe("\ufeffa");
  });

  it("recordRequest: previews a body over the limit, records only the size when asked", () => {
    const request = new Request("http://local/x", {
      method: "POST",
      headers: { authorization: "Bearer s", accept: "*/*" },
    });
    const route = { operation: "echo" as const, path: "/x" };
    const parse = () => ({ ok: true as const, value: { parsed: true } });
    const bytes = new TextEncoder().encode("0123456789");
    const small = recordRequest(request, route, bytes, { parse });
    expect(small.entry).toMatchObject({ body: { parsed: true }, bodyBytes: 10 });
    expect(small.entry.headers).toEqual({ accept: "*/*" });
    const large = recordRequest(request, route, bytes, { parse, maxParsedBytes: 4 });
    expect(large).toMatchObject({ truncated: true, entry: { body: "0123456789" } });
    const sized = recordRequest(request, route, bytes, { parse, sizeOnly: true });
    expect(sized.entry).toMatchObject({ body: undefined, bodyBytes: 10 });
  });

  it("fnv1a32 is 32-bit FNV-1a; mulberry32 repeats its sequence for a seed, in [0, 1)", () => {
    // Published FNV-1a test vectors (ASCII text: UTF-16 code units are its bytes).
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
    const draw = (seed: number) => Array.from({ length: 50 }, mulberry32(seed));
    const first = draw(42);
    expect(draw(42)).toEqual(first);
    expect(draw(43)).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(first).size).toBe(first.length);
  });
});
