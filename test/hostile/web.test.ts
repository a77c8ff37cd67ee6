// Hostile inputs and faults at the web demo server (HTTP and the /ws WebSocket): each test is a
// row of docs/hostile-inputs.md ("Web demo server"). The demo talks to a local fal server that
// requires a key, so "nothing reached the backend" is read from its request counters.
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startLocalFalServer, type LocalFalServer } from "../../src/local-fal/index.js";
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
