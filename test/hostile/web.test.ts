// Hostile inputs and faults at the web demo server (HTTP and the /ws WebSocket): each test is a
// row of docs/hostile-inputs.md ("Web demo server"). The demo talks to a local fal server that
// requires a key, so "nothing reached the backend" is read from its request counters.
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startLocalFalServer, type LocalFalServer } from "../../src/local/fal/index.js";
import { SettingsValidationError } from "../../src/utils/errors.js";
import { startDemoServer, type DemoServer } from "../../src/web/server.js";

const KEY = "web-hostile-key-5f4e3d2c1b0a";
let fal: LocalFalServer;
let demo: DemoServer;

beforeAll(async () => {
  fal = await startLocalFalServer({ port: 0, inferenceMs: 5, workers: 2, requiredKey: KEY });
  demo = await startDemoServer({ port: 0, key: KEY, baseUrl: fal.url });
});
afterAll(async () => {
  await demo?.close();
  await fal?.close();
});

type Message = Record<string, unknown> & { type: string };

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

/**
 * Opens /ws with the Host and Origin given. When the server upgrades, sends a `start` message and
 * waits a while for images: what a rebinding page would do.
 */
function attemptUpgrade(
  host: string,
  origin: string | undefined,
): Promise<{ status: number | "open"; images: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${demo.port}/ws`, {
      headers: { host },
      ...(origin === undefined ? {} : { origin }),
    });
    let images = 0;
    ws.on("unexpected-response", (_req, res) => resolve({ status: res.statusCode ?? 0, images }));
    ws.on("message", (data) => {
      const m = JSON.parse(data.toString()) as Message;
      if (m.type === "hello")
        ws.send(JSON.stringify({ type: "start", prompts: ["spend the key"] }));
      if (m.type === "image") images += 1;
      if (m.type === "done" || m.type === "error") {
        ws.close();
        resolve({ status: "open", images });
      }
    });
    ws.on("error", () => undefined);
  });
}

describe("DNS rebinding: the demo answers only its own Host and Origin", () => {
  it("a WebSocket upgrade with Host attacker.example and the same Origin gets 403; nothing reaches fal", async () => {
    const before = generations();
    const host = `attacker.example:${demo.port}`;
    const result = await attemptUpgrade(host, `http://${host}`);
    expect(result).toEqual({ status: 403, images: 0 });
    expect(generations()).toBe(before);
  });

  it("an upgrade with Host attacker.example and no Origin gets 403 too", async () => {
    const result = await attemptUpgrade(`attacker.example:${demo.port}`, undefined);
    expect(result.status).toBe(403);
  });

  it("an upgrade naming the right host but the wrong port gets 403", async () => {
    const result = await attemptUpgrade(`127.0.0.1:${demo.port + 1}`, undefined);
    expect(result.status).toBe(403);
  });

  it.each(["/", "/app.js", "/healthz", "/images/0123456789abcdef0123456789abcdef.png"])(
    "HTTP GET %s with Host attacker.example gets 403",
    async (path) => {
      const response = await get(path, { host: `attacker.example:${demo.port}` });
      expect(response.status).toBe(403);
      expect(response.body).not.toContain("<html");
    },
  );

  it("HTTP GET without a Host header is refused (Node answers 400 before the guard)", async () => {
    const response = await get("/", {});
    expect([400, 403]).toContain(response.status);
  });

  it.each(["127.0.0.1", "localhost", "[::1]"])(
    "Host %s with the right port is served, page and WebSocket",
    async (name) => {
      const host = `${name}:${demo.port}`;
      expect((await get("/", { host })).status).toBe(200);
      const result = await attemptUpgrade(host, `http://${host}`);
      expect(result).toEqual({ status: "open", images: 1 });
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

/** Opens /ws (right Host and Origin) and resolves once the hello arrived. */
async function open(server: DemoServer = demo): Promise<{
  ws: WebSocket;
  messages: Message[];
  next: (match: (m: Message) => boolean, timeoutMs?: number) => Promise<Message>;
  closed: Promise<number>;
}> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, {
    origin: `http://127.0.0.1:${server.port}`,
  });
  const messages: Message[] = [];
  const waiters: Array<{ match: (m: Message) => boolean; resolve: (m: Message) => void }> = [];
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  ws.on("message", (data) => {
    const m = JSON.parse(data.toString()) as Message;
    messages.push(m);
    for (const w of [...waiters])
      if (w.match(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
  });
  ws.on("error", () => undefined);
  const next = (match: (m: Message) => boolean, timeoutMs = 10_000): Promise<Message> => {
    const seen = messages.find(match);
    if (seen) {
      messages.splice(messages.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching message; got ${JSON.stringify(messages)}`)),
        timeoutMs,
      );
      waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          messages.splice(messages.indexOf(m), 1);
          resolve(m);
        },
      });
    });
  };
  await next((m) => m.type === "hello");
  return { ws, messages, next, closed };
}

const isError = (m: Message): boolean => m.type === "error";

describe("hostile messages on the demo socket", () => {
  it.each([
    [{ imageSize: "huge" }, /^Size "huge" is not valid/],
    [{ seed: "abc" }, /^Seed "abc" is not valid: expected an integer/],
    [{ seed: "-1" }, /^Seed "-1" is not valid: expected an integer/],
    [{ seed: 1.5 }, /^Seed "1.5" is not valid/],
    [{ imageSize: "0x10" }, /^Size width "0" is not valid: expected an integer 1\.\./],
    [{ imageSize: "10x0" }, /^Size height "0" is not valid/],
  ])(
    "settings %j are refused naming the field, the value given and what is allowed",
    async (settings, pattern) => {
      const before = generations();
      const { ws, next } = await open();
      ws.send(JSON.stringify({ type: "start", prompts: ["a"], settings }));
      const error = await next(isError);
      expect(String(error.message)).toMatch(pattern);
      expect(String(error.message)).not.toContain("NaN");
      ws.close();
      expect(generations()).toBe(before);
    },
  );

  it.each([
    ['{"type":"start","prompts":["a"],"settings":{"__proto__":{"seed":5}}}', /__proto__/],
    ['{"type":"settings","settings":{"constructor":{"prototype":{"x":1}}}}', /constructor/],
  ])("prototype-pollution keys in %s are refused; nothing is polluted", async (raw, pattern) => {
    const { ws, next } = await open();
    ws.send(raw);
    const error = await next(isError);
    expect(String(error.message)).toMatch(pattern);
    expect(({} as Record<string, unknown>).seed).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    ws.close();
  });

  it("malformed JSON, binary frames and non-object JSON get an error; the socket stays usable", async () => {
    const { ws, next } = await open();
    ws.send("{not json");
    expect((await next(isError)).message).toBe("Messages must be JSON.");
    ws.send(Buffer.from([0, 1, 2, 3]), { binary: true });
    expect((await next(isError)).message).toBe("Binary messages are not supported.");
    for (const raw of ["null", "42", '"start"', "[1,2]"]) {
      ws.send(raw);
      expect(String((await next(isError)).message)).toMatch(/JSON objects|Unknown message type/);
    }
    ws.send(JSON.stringify({ type: "ping" }));
    expect((await next((m) => m.type === "pong")).type).toBe("pong");
    ws.close();
  });

  it("a scene with control characters is refused, saying which scene and which character", async () => {
    const before = generations();
    const { ws, next } = await open();
    ws.send(JSON.stringify({ type: "start", prompts: ["fine", "red \u001b[31m text"] }));
    expect(String((await next(isError)).message)).toBe(
      "Scene 2 contains a control character (U+001B); remove it.",
    );
    ws.close();
    expect(generations()).toBe(before);
  });

  it("a message over 64 KiB closes that socket (1009); the server goes on", async () => {
    const { ws, closed } = await open();
    ws.send(JSON.stringify({ type: "start", prompts: ["x".repeat(70 * 1024)] }));
    expect(await closed).toBe(1009);
    const other = await open();
    other.ws.send(JSON.stringify({ type: "ping" }));
    expect((await other.next((m) => m.type === "pong")).type).toBe("pong");
    other.ws.close();
  });

  it("a flood of messages closes the socket (1008) instead of queueing without bound", async () => {
    const { ws, closed } = await open();
    const start = JSON.stringify({ type: "start", prompts: ["a", "b", "c"] });
    for (let i = 0; i < 5_000; i++) ws.send(i % 2 === 0 ? start : '{"type":"stop"}');
    expect(await closed).toBe(1008);
    const other = await open();
    other.ws.send(JSON.stringify({ type: "ping" }));
    expect((await other.next((m) => m.type === "pong")).type).toBe("pong");
    other.ws.close();
  });

  it("connections beyond maxSessions are refused with 503 at the upgrade", async () => {
    const small = await startDemoServer({ port: 0, key: KEY, baseUrl: fal.url, maxSessions: 2 });
    try {
      const a = await open(small);
      const b = await open(small);
      const status = await new Promise<number | "open">((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${small.port}/ws`);
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("open", () => resolve("open"));
        ws.on("error", () => undefined);
      });
      expect(status).toBe(503);
      a.ws.close();
      b.ws.close();
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
      const { ws, next } = await open(server);
      ws.send(JSON.stringify({ type: "start", prompts: ["a", "b", "c"] }));
      await next((m) => m.type === "progress" && m.stage === "in_queue");
      ws.close();
      await expect.poll(() => slow.stats().cancelled, { timeout: 5_000 }).toBe(3);
      expect(slow.stats().imagesRendered).toBe(0);
    } finally {
      await server.close();
      await slow.close();
    }
  });

  it("HTTP: other methods get 405, paths outside the page 404, a huge URL is refused", async () => {
    const host = `127.0.0.1:${demo.port}`;
    for (const path of [
      "/../package.json",
      "/%2e%2e/package.json",
      "/images/%2e%2e%2fpackage.json",
      "/index.html%00.js",
      "/web/app.js",
    ])
      expect((await get(path, { host })).status, path).toBe(404);
    const post = await fetch(`http://${host}/`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    const huge = await get(`/${"a".repeat(100_000)}`, { host }).catch(() => ({ status: 0 }));
    expect([0, 414, 431]).toContain(huge.status);
    expect((await get("/", { host })).status).toBe(200);
  });
});
