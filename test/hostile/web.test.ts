// Hostile inputs and faults at the bot server behind `pipecat-ts demo` (HTTP, and Pipecat's
// WebSocket at /ws): each test is a row of docs/hostile-inputs.md ("Web demo server"). The server
// talks to a local fal server that requires a key, so "nothing reached fal" is read from its
// counters; misbehaving clients are bare sockets speaking Pipecat's protobuf (helpers/rtvi-wire).
import { request } from "node:http";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startLocalFalServer, type LocalFalServer } from "../../src/local/fal/index.js";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../../src/transports/websocket/client.js";
import { SettingsValidationError } from "../../src/utils/errors.js";
import { type Logger, setLogger } from "../../src/utils/logger.js";
import { type DemoServer, startDemoServer } from "../../src/web/demo.js";
import {
  isServerMessage,
  messageFrame,
  openWire,
  rtviFrame,
  type WireClient,
} from "../helpers/rtvi-wire.js";

const KEY = "web-hostile-key-5f4e3d2c1b0a";
/** Messages the flood test sends at once: far past the per-second limit. */
const FLOOD_MESSAGES = 5_000;
let fal: LocalFalServer;
let demo: DemoServer;
let restore: Logger;
const logLines: string[] = [];

beforeAll(async () => {
  fal = await startLocalFalServer({ port: 0, inferenceMs: 5, workers: 2, requiredKey: KEY });
  demo = await startDemoServer({ port: 0, key: KEY, baseUrl: fal.url });
});
afterAll(async () => {
  await demo?.close();
  await fal?.close();
});
beforeEach(() => {
  logLines.length = 0;
  const keep = (line: string): void => void logLines.push(line);
  restore = setLogger({ debug() {}, info: keep, warn: keep, error: keep });
});
afterEach(() => {
  setLogger(restore);
});

/** Generation requests the fal server has seen (submits and runs). */
const generations = (): number => fal.stats().submitted + fal.stats().runs;

/** A plain HTTP GET with the headers given (Host included), from 127.0.0.1. */
function get(
  path: string,
  headers: Record<string, string>,
  port = demo.port,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: "GET", headers, setHost: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const wsUrl = (port = demo.port): string => `ws://127.0.0.1:${port}/ws`;

/** Opens /ws with the right Host and Origin, and completes the RTVI handshake. */
async function open(server: { port: number } = demo): Promise<WireClient> {
  const client = await openWire(wsUrl(server.port), { origin: `http://127.0.0.1:${server.port}` });
  if ("status" in client) throw new Error(`upgrade refused: ${client.status}`);
  await client.ready();
  return client;
}

/**
 * Opens /ws with the Host and Origin given; when upgraded, asks for a scene and waits for its
 * image: what a rebinding page would do.
 */
async function attempt(
  host: string,
  origin: string | undefined,
): Promise<{ status: number | "open"; images: number }> {
  const client = await openWire(wsUrl(), { host, ...(origin === undefined ? {} : { origin }) });
  if ("status" in client) return { status: client.status, images: 0 };
  await client.ready();
  client.send("send-text", { content: "spend the key", options: {} });
  await client.next(isServerMessage("run-finished"));
  const images = client.messages.filter(isServerMessage("image")).length;
  client.ws.close();
  return { status: "open", images };
}

describe("DNS rebinding and other sites: the bot server answers only its own Host and Origin", () => {
  it("a WebSocket upgrade with Host attacker.example and the same Origin gets 403; nothing reaches fal", async () => {
    const before = generations();
    const host = `attacker.example:${demo.port}`;
    expect(await attempt(host, `http://${host}`)).toEqual({ status: 403, images: 0 });
    expect(generations()).toBe(before);
  });

  it("an upgrade with Host attacker.example and no Origin gets 403 too", async () => {
    const before = generations();
    expect((await attempt(`attacker.example:${demo.port}`, undefined)).status).toBe(403);
    expect(generations()).toBe(before);
  });

  it("an upgrade naming the right host but the wrong port gets 403", async () => {
    expect((await attempt(`127.0.0.1:${demo.port + 1}`, undefined)).status).toBe(403);
  });

  it("an upgrade from a page of another site (right Host, Origin http://evil.example) gets 403", async () => {
    const before = generations();
    expect((await attempt(`127.0.0.1:${demo.port}`, "http://evil.example")).status).toBe(403);
    expect(generations()).toBe(before);
  });

  it.each([
    "/",
    "/app.js",
    "/style.css",
    "/healthz",
    "/images/0123456789abcdef0123456789abcdef.png",
  ])("HTTP GET %s with Host attacker.example gets 403", async (path) => {
    const response = await get(path, { host: `attacker.example:${demo.port}` });
    expect(response.status).toBe(403);
    expect(response.body).not.toContain("<html");
  });

  it("HTTP GET without a Host header is refused (Node answers 400 before the guard)", async () => {
    const response = await get("/", {});
    expect([400, 403]).toContain(response.status);
  });

  it.each(["127.0.0.1", "localhost", "[::1]"])(
    "Host %s with the right port is served, page and WebSocket",
    async (name) => {
      const host = `${name}:${demo.port}`;
      expect((await get("/", { host })).status).toBe(200);
      expect(await attempt(host, `http://${host}`)).toEqual({ status: "open", images: 1 });
    },
  );

  it("listening beyond loopback without an allow-list is refused before listening", async () => {
    const error = await startDemoServer({
      host: "0.0.0.0",
      port: 0,
      key: KEY,
      baseUrl: fal.url,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SettingsValidationError);
    expect((error as SettingsValidationError).field).toBe("allowedHosts");
  });

  it("a client app of an allowed origin (--allowed-origin) may connect; other origins still get 403", async () => {
    const extra = await startDemoServer({
      port: 0,
      key: KEY,
      baseUrl: fal.url,
      allowedOrigins: ["http://localhost:5173"],
    });
    try {
      const url = `ws://127.0.0.1:${extra.port}/ws`;
      const allowed = await openWire(url, { origin: "http://localhost:5173" });
      if ("status" in allowed) throw new Error(`refused: ${allowed.status}`);
      expect((await allowed.ready()).type).toBe("bot-ready");
      allowed.ws.close();
      expect(await openWire(url, { origin: "http://localhost:5174" })).toEqual({ status: 403 });
    } finally {
      await extra.close();
    }
  });

  it("an allowed extra host name is served; others still get 403", async () => {
    const extra = await startDemoServer({
      port: 0,
      key: KEY,
      baseUrl: fal.url,
      allowedHosts: ["storyboard.test"],
    });
    try {
      const status = (host: string): Promise<number> =>
        get("/healthz", { host: `${host}:${extra.port}` }, extra.port).then((r) => r.status);
      expect(await status("storyboard.test")).toBe(200);
      expect(await status("other.test")).toBe(403);
    } finally {
      await extra.close();
    }
  });
});

describe("hostile messages on Pipecat's WebSocket", () => {
  // Each payload with what a log line holding it would show: its bytes decoded as text.
  it.each([
    [
      "random bytes (not protobuf)",
      new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
      "\ufffd\ufffd",
    ],
    ["a text WebSocket frame", '{"label":"rtvi-ai","type":"client-ready"}', "client-ready"],
    [
      "a `message` frame whose data is not JSON",
      new Uint8Array([0x22, 0x05, 0x0a, 0x03, 0x7b, 0x7b, 0x7b]),
      "{{{",
    ],
  ])(
    "%s closes that connection with 1007 and a log line; the server goes on",
    async (_what, payload, shown) => {
      const client = await open();
      client.sendRaw(payload);
      expect((await client.closed).code).toBe(1007);
      expect(logLines.some((l) => /malformed|text-message|not JSON/i.test(l))).toBe(true);
      // The log line never holds the payload (each row checks its own, not only the last's).
      expect(logLines.join("\n")).not.toContain(shown);
      const other = await open();
      other.send("send-text", { content: "still serving", options: {} });
      await other.next(isServerMessage("image"));
      other.ws.close();
    },
  );

  it("an RTVI message with a bad envelope gets a non-fatal error; another label is ignored", async () => {
    const client = await open();
    client.ws.send(rtviFrame("", { x: 1 }), { binary: true });
    const error = await client.next((m) => m.type === "error");
    expect(error.data).toMatchObject({ fatal: false });
    expect(String(error.data?.error)).toMatch(/^Invalid RTVI transport message/);
    // A message of another protocol (label) is not RTVI: ignored, nothing starts.
    client.ws.send(
      messageFrame({ label: "other", type: "send-text", id: "x", data: { content: "not rtvi" } }),
      { binary: true },
    );
    client.send("send-text", { content: "after the bad one", options: {} });
    await client.next(isServerMessage("image"));
    expect(client.messages.filter(isServerMessage("scenes")).map((m) => m.data?.scenes)).toEqual([
      ["after the bad one"],
    ]);
    client.ws.close();
  });

  it("a message over 1 MiB closes that socket (1009); the server serves others", async () => {
    const client = await open();
    const content = "x".repeat(DEFAULT_MAX_MESSAGE_BYTES); // over the limit once wrapped
    client.sendRaw(rtviFrame("send-text", { content, options: {} }));
    expect((await client.closed).code).toBe(1009);
    const other = await open();
    other.ws.close();
  });

  it("a flood of messages closes the socket (1008) instead of queueing without bound", async () => {
    const before = generations();
    const client = await open();
    const frame = rtviFrame("send-text", { content: "a\nb\nc", options: {} });
    for (let i = 0; i < FLOOD_MESSAGES; i++) client.sendRaw(frame);
    expect((await client.closed).code).toBe(1008);
    // Far fewer runs were started before the close than messages were sent.
    expect(generations() - before).toBeLessThan(FLOOD_MESSAGES / 5);
    const other = await open();
    other.ws.close();
  });

  it("connections beyond maxSessions are refused with 503 at the upgrade", async () => {
    const small = await startDemoServer({ port: 0, key: KEY, baseUrl: fal.url, maxSessions: 2 });
    try {
      const a = await open(small);
      const b = await open(small);
      const third = await openWire(wsUrl(small.port), { origin: `http://127.0.0.1:${small.port}` });
      expect(third).toEqual({ status: 503 });
      a.ws.close();
      b.ws.close();
      await expect.poll(() => small.sessions).toBe(0);
      const again = await open(small);
      again.ws.close();
    } finally {
      await small.close();
    }
  });

  it("closing the socket mid-run cancels its requests at fal", async () => {
    const slow = await startLocalFalServer({
      port: 0,
      inferenceMs: 2_000,
      workers: 1,
      requiredKey: KEY,
    });
    const server = await startDemoServer({ port: 0, key: KEY, baseUrl: slow.url });
    try {
      const client = await open(server);
      client.send("send-text", { content: "a\nb\nc", options: {} });
      // All three queued at fal (the default concurrency), whatever order their answers came in.
      const queued = new Set<unknown>();
      await client.next((m) => {
        if (isServerMessage("progress")(m) && m.data?.stage === "in_queue")
          queued.add(m.data.index);
        return queued.size === 3;
      });
      client.ws.close();
      await expect.poll(() => slow.stats().cancelled, { timeout: 5_000 }).toBe(3);
      expect(slow.stats().imagesRendered).toBe(0);
    } finally {
      await server.close();
      await slow.close();
    }
  });

  it("the key never reaches a client, even when a server echoes it in an error", async () => {
    // An unknown model makes the key-checking twin answer 404; the message names the model and
    // where, never the key; a model id holding the key is scrubbed too.
    const client = await open();
    const refused = client.send("client-message", { t: "settings", d: { model: `fal-ai/${KEY}` } });
    await client.next((m) => m.id === refused);
    client.send("send-text", { content: `a poster that says ${KEY}`, options: {} });
    await client.next(isServerMessage("run-finished"));
    const wire = JSON.stringify(client.messages);
    expect(wire).not.toContain(KEY);
    expect(wire).toContain("[REDACTED]");
    client.ws.close();
  });
});

describe("HTTP on the bot server", () => {
  it("other methods get 405, paths outside the page 404, /ws without an upgrade 426, a huge URL is refused", async () => {
    const host = `127.0.0.1:${demo.port}`;
    for (const path of [
      "/../package.json",
      "/%2e%2e/package.json",
      "/images/%2e%2e%2fpackage.json",
      "/index.html%00.js",
      "/web/src/main.ts",
      "/dist/app.js",
      "/calendar.html",
    ])
      expect((await get(path, { host })).status, path).toBe(404);
    expect((await fetch(`http://${host}/`, { method: "POST", body: "x" })).status).toBe(405);
    expect((await get("/ws", { host })).status).toBe(426);
    const huge = await get(`/${"a".repeat(100_000)}`, { host }).catch(() => ({ status: 0 }));
    expect([0, 414, 431]).toContain(huge.status);
    expect((await get("/", { host })).status).toBe(200);
  });

  it("the page is served with a CSP that allows this origin and blob: scripts only, and no microphone", async () => {
    const response = await fetch(`${demo.url}/`);
    expect(response.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self' blob:; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(response.headers.get("permissions-policy")).toContain("microphone=()");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
