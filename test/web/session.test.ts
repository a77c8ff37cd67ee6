// The demo server's WebSocket protocol without a browser: validation, errors per panel, the
// origin check, and that nothing secret is sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startLocalFalServer, type LocalFalServer } from "../../src/local/fal/index.js";
import { startDemoServer, type DemoServer } from "../../src/web/server.js";
import { settingsFromMessage } from "../../src/web/session.js";

const KEY = "session-test-key-9c8b7a6f5e4d";
let fal: LocalFalServer;
let demo: DemoServer;

beforeAll(async () => {
  fal = await startLocalFalServer({ port: 0, inferenceMs: 20, workers: 2, requiredKey: KEY });
  demo = await startDemoServer({ port: 0, key: KEY, baseUrl: fal.url });
});
afterAll(async () => {
  await demo?.close();
  await fal?.close();
});

type Message = Record<string, unknown> & { type: string };

/** Opens a session; `until` decides when the exchange is over. */
async function exchange(
  send: Array<Record<string, unknown>>,
  until: (m: Message, all: Message[]) => boolean,
): Promise<{ messages: Message[]; raw: string[] }> {
  const ws = new WebSocket(`${demo.url.replace("http", "ws")}/ws`, { origin: demo.url });
  const messages: Message[] = [];
  const raw: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out; got ${JSON.stringify(messages.map((m) => m.type))}`)),
      10_000,
    );
    ws.on("message", (data) => {
      raw.push(data.toString());
      const m = JSON.parse(data.toString()) as Message;
      messages.push(m);
      if (m.type === "hello") for (const s of send) ws.send(JSON.stringify(s));
      else if (until(m, messages)) {
        clearTimeout(timer);
        resolve();
      }
    });
    ws.on("error", reject);
  });
  ws.close();
  return { messages, raw };
}

describe("storyboard WebSocket session", () => {
  it("generates panels in order and finishes with done", async () => {
    const { messages, raw } = await exchange(
      [
        {
          type: "start",
          prompts: ["a fox", "a hen", "a boat"],
          settings: { imageSize: "square", seed: 5 },
        },
      ],
      (m) => m.type === "done",
    );
    const images = messages.filter((m) => m.type === "image");
    expect(images.map((m) => m.index)).toEqual([0, 1, 2]);
    expect(images[0]).toMatchObject({
      width: 512,
      height: 512,
      prompt: "a fox",
      seed: 5,
      model: "fal-ai/fast-sdxl",
    });
    expect(String(images[0]?.url)).toMatch(/^\/images\/[0-9a-f]{32}\.png$/);
    const image = await fetch(`${demo.url}${String(images[0]?.url)}`);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(messages.at(-1)).toMatchObject({
      type: "done",
      images: 3,
      errors: 0,
      cancelled: 0,
      stopped: false,
    });
    for (const r of raw) expect(r).not.toContain(KEY);
    expect(raw.join("")).not.toContain(fal.url); // no fal URLs reach the page
  });

  it("an unknown model fails every panel with a clear message", async () => {
    const { messages } = await exchange(
      [{ type: "start", prompts: ["x", "y"], settings: { model: "fal-ai/not-here" } }],
      (m) => m.type === "done",
    );
    const errors = messages.filter((m) => m.type === "error");
    expect(errors.map((m) => m.index)).toEqual([0, 1]);
    expect(String(errors[0]?.message)).toMatch(/Unknown model "fal-ai\/not-here".*404/);
    expect(messages.at(-1)).toMatchObject({ type: "done", images: 0, errors: 2 });
  });

  it("rejects bad input with a form-level error and starts nothing", async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ type: "start", prompts: [] }, /at least one scene/],
      [
        { type: "start", prompts: ["a"], settings: { imageSize: "huge" } },
        /Size "huge" is not valid/,
      ],
      [{ type: "start", prompts: ["a"], settings: { seed: "abc" } }, /Seed .* is not valid/],
      [
        { type: "start", prompts: ["a"], settings: { model: "no spaces allowed" } },
        /Model "no spaces allowed" is not valid/,
      ],
      [
        { type: "start", prompts: Array.from({ length: 30 }, (_, i) => `p${i}`) },
        /At most 24 scenes/,
      ],
      [{ type: "nope" }, /Unknown message type/],
    ];
    for (const [message, pattern] of cases) {
      const { messages } = await exchange(
        [message],
        (m) => m.type === "error" || m.type === "done",
      );
      const last = messages.at(-1) as Message;
      expect(last.type, JSON.stringify(message)).toBe("error");
      expect(last.index).toBe(-1);
      expect(String(last.message)).toMatch(pattern);
    }
  });

  it("stop with nothing running just answers done", async () => {
    const { messages } = await exchange([{ type: "stop" }], (m) => m.type === "done");
    expect(messages.at(-1)).toMatchObject({ type: "done", stopped: true });
  });

  it("refuses WebSockets from another origin", async () => {
    const status = await new Promise<number | string>((resolve) => {
      const ws = new WebSocket(`${demo.url.replace("http", "ws")}/ws`, {
        origin: "https://elsewhere.example",
      });
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => resolve("open"));
      ws.on("error", () => undefined);
    });
    expect(status).toBe(403);
  });

  it("parses the page's settings", () => {
    expect(
      settingsFromMessage({
        model: "fal-ai/flux/schnell",
        imageSize: "1024x576",
        seed: "",
      }).givenFields(),
    ).toEqual({
      model: "fal-ai/flux/schnell",
      imageSize: { width: 1024, height: 576 },
      seed: null,
    });
    expect(settingsFromMessage({ seed: 12 }).givenFields()).toEqual({ seed: 12 });
  });
});
