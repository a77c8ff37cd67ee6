// The storyboard bot's message contract, driven by Pipecat's official client (client-js 1.13.1 +
// websocket-transport 1.7.1, in Node): send-text lines become scenes, images come back in scene
// order as server-messages of the documented shape (served by the bot), progress, stop, settings
// (and the error-response naming a bad field), and a disconnect that cancels fal's queue requests.
// The bot talks to a local fal twin that requires a key, so "nothing reached fal" and "cancelled
// at fal" are read from its counters.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalFalServer, type LocalFalServer } from "../../src/local/fal/index.js";
import { type DemoServer, startDemoServer } from "../../src/web/demo.js";
import {
  type OfficialClient,
  serverMessage,
  useOfficialClients,
} from "../helpers/pipecat-client.js";

const KEY = "storyboard-contract-key-7e6d5c4b3a29";

let fal: LocalFalServer;
let demo: DemoServer;

beforeAll(async () => {
  fal = await startLocalFalServer({ port: 0, inferenceMs: 60, workers: 3, requiredKey: KEY });
  demo = await startDemoServer({ port: 0, key: KEY, baseUrl: fal.url });
});
afterAll(async () => {
  await demo?.close();
  await fal?.close();
});
const connectTo = useOfficialClients();
const connect = (server: { url: string } = demo): Promise<OfficialClient> => connectTo(server);

/** Generation requests the fal twin has seen (queue submits and direct runs). */
const generations = (server: LocalFalServer = fal): number =>
  server.stats().submitted + server.stats().runs;

type Data = Record<string, unknown>;
const ofType = (c: OfficialClient, type: string): Data[] =>
  c.serverMessages.filter((m) => m.type === type);

describe("storyboard bot: what a Pipecat client sends and gets", () => {
  it("bot-ready says which bot and backend; three lines give three images, in order, of the documented shape", async () => {
    const c = await connect();
    expect(c.botReady.version).toBe("2.1.0");
    expect(c.botReady.about).toMatchObject({
      library: "pipecat-ts",
      bot: "storyboard",
      backend: "server",
      maxConcurrency: 3,
      maxQueuedScenes: 24,
    });
    await c.client.sendText("a lighthouse at dawn\n\n  an orange   cat  \na paper boat\n");
    const finished = await c.next(serverMessage("run-finished"));
    expect(finished.data).toEqual({
      type: "run-finished",
      run: 1,
      stopped: false,
      images: 3,
      errors: 0,
      cancelled: 0,
    });
    expect(ofType(c, "scenes")).toEqual([
      {
        type: "scenes",
        run: 1,
        from: 0,
        scenes: ["a lighthouse at dawn", "an orange cat", "a paper boat"],
        settings: {
          model: "fal-ai/fast-sdxl",
          imageSize: "landscape_4_3",
          width: 1024,
          height: 768,
          seed: null,
          numInferenceSteps: 8,
        },
      },
    ]);
    const images = ofType(c, "image");
    expect(images.map((m) => m.index)).toEqual([0, 1, 2]);
    expect(images.map((m) => m.prompt)).toEqual([
      "a lighthouse at dawn",
      "an orange cat",
      "a paper boat",
    ]);
    for (const image of images) {
      expect(Object.keys(image).sort()).toEqual(
        [
          "bytes",
          "height",
          "index",
          "mimeType",
          "model",
          "prompt",
          "run",
          "seed",
          "type",
          "url",
          "width",
        ].sort(),
      );
      expect(image).toMatchObject({
        type: "image",
        run: 1,
        width: 1024,
        height: 768,
        model: "fal-ai/fast-sdxl",
        mimeType: "image/png",
      });
      expect(image.seed).toEqual(expect.any(Number));
      // Same-origin, served by the bot: never fal's URL.
      expect(image.url).toMatch(/^\/images\/[0-9a-f]{32}\.png$/);
      const response = await fetch(`${demo.url}${image.url as string}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/png");
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(bytes.byteLength).toBe(image.bytes);
      expect([...bytes.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]); // "PNG"
    }
    // Progress: every scene was seen in fal's queue or in progress, before its image.
    const progress = ofType(c, "progress");
    for (const index of [0, 1, 2]) {
      const stages = progress.filter((p) => p.index === index).map((p) => p.stage);
      expect(stages.length, `scene ${index}`).toBeGreaterThan(0);
      for (const stage of stages) expect(["in_queue", "in_progress"]).toContain(stage);
    }
    for (const p of progress) {
      expect(p.run).toBe(1);
      if (p.stage === "in_queue") expect(p.queuePosition).toEqual(expect.any(Number));
      else expect(p.queuePosition).toBeNull();
    }
    expect(c.errors).toEqual([]);
    expect(JSON.stringify(c.serverMessages)).not.toContain(fal.url);
    expect(JSON.stringify(c.serverMessages)).not.toContain(KEY);
  });

  it("send-text with run_immediately false adds scenes to the run in progress", async () => {
    const c = await connect();
    await c.client.sendText("one\ntwo");
    await c.client.sendText("three", { run_immediately: false });
    await c.next(serverMessage("run-finished"));
    expect(ofType(c, "scenes").map((m) => [m.run, m.from, m.scenes])).toEqual([
      [1, 0, ["one", "two"]],
      [1, 2, ["three"]],
    ]);
    expect(ofType(c, "image").map((m) => [m.index, m.prompt])).toEqual([
      [0, "one"],
      [1, "two"],
      [2, "three"],
    ]);
  });

  it("a settings change mid-run applies to the scenes not yet started; the answer says from which", async () => {
    const slow = await startLocalFalServer({ port: 0, inferenceMs: 150, workers: 1 });
    const server = await startDemoServer({
      port: 0,
      key: "",
      baseUrl: slow.url,
      maxConcurrency: 1,
    });
    try {
      const c = await connect(server);
      await c.client.sendText("s0\ns1\ns2\ns3\ns4");
      await c.next(serverMessage("image", { index: 0 }));
      const answer = (await c.client.sendClientRequest("settings", {
        imageSize: "square",
        seed: 42,
      })) as { appliesFrom: number; run: number; settings: Data };
      expect(answer.run).toBe(1);
      expect(answer.settings).toMatchObject({
        imageSize: "square",
        width: 512,
        height: 512,
        seed: 42,
      });
      expect(answer.appliesFrom).toBeGreaterThanOrEqual(1);
      expect(answer.appliesFrom).toBeLessThan(5);
      await c.next(serverMessage("run-finished"));
      const images = ofType(c, "image");
      expect(images.map((m) => m.index)).toEqual([0, 1, 2, 3, 4]);
      for (const image of images) {
        const later = (image.index as number) >= answer.appliesFrom;
        expect([image.width, image.height], `scene ${image.index}`).toEqual(
          later ? [512, 512] : [1024, 768],
        );
        if (later) expect(image.seed).toBe(42);
      }
    } finally {
      await server.close();
      await slow.close();
    }
  });

  it.each([
    [{ imageSize: "huge" }, /^settings\.imageSize "huge" is not valid: expected /],
    [
      { imageSize: { width: 0, height: 10 } },
      /^settings\.imageSize\.width 0 is not valid: expected/,
    ],
    [{ seed: "abc" }, /^settings\.seed "abc" is not valid: expected an integer 0\.\./],
    [{ seed: 1.5 }, /^settings\.seed 1\.5 is not valid: expected/],
    [
      { numImages: 2 },
      /^settings\.numImages 2 is not valid: expected a key among model, imageSize, seed, numInferenceSteps\.$/,
    ],
    [{ model: 42 }, /^settings\.model 42 is not valid: expected a fal model id/],
    [{ numInferenceSteps: 500 }, /^settings\.numInferenceSteps 500 is not valid: expected/],
    ["square", /^settings\.settings "square" is not valid: expected an object/],
  ])(
    "settings %j get an error-response naming the field, the value and what is allowed",
    async (settings, pattern) => {
      const before = generations();
      const c = await connect();
      const failure = (await c.client
        .sendClientRequest("settings", settings)
        .catch((e: unknown) => e)) as { type?: string; data?: { error?: string } };
      expect(failure.type).toBe("error-response");
      expect(failure.data?.error).toMatch(pattern);
      expect(failure.data?.error).not.toContain("NaN");
      // Nothing changed: the next run uses the defaults.
      await c.client.sendText("after a refused change");
      const image = await c.next(serverMessage("image"));
      expect((image.data as Data).width).toBe(1024);
      expect(generations()).toBe(before + 1);
    },
  );

  it("a settings message (no request) that is refused reaches onMessageError", async () => {
    const c = await connect();
    c.client.sendClientMessage("settings", JSON.parse('{"__proto__":{"seed":5}}'));
    const refused = await c.next((e) => e.kind === "error-response");
    expect(refused.data).toMatch(
      /^settings\.__proto__ \{"seed":5\} is not valid: expected a key among/,
    );
    expect(({} as Data).seed).toBeUndefined();
  });

  it.each([
    ["", /^Write at least one scene/],
    ["  \n \t \n", /^Write at least one scene/],
    [
      "fine\nred \u001b[31m text",
      /^Scene 2 contains a control character \(U\+001B\); remove it\.$/,
    ],
    ["ok\nx".concat("y".repeat(700)), /^Scene 2 is longer than 600 characters\.$/],
    [
      Array.from({ length: 25 }, (_, i) => `scene ${i}`).join("\n"),
      /^Too many scenes: 25 given, at most 24/,
    ],
  ])(
    "send-text %j is refused with a non-fatal RTVI error; nothing reaches fal",
    async (text, pattern) => {
      const before = generations();
      const c = await connect();
      await c.client.sendText(text);
      const error = await c.next((e) => e.kind === "error");
      expect(error.data).toMatchObject({ fatal: false });
      expect((error.data as { error: string }).error).toMatch(pattern);
      expect(c.client.connected).toBe(true);
      expect(ofType(c, "scenes")).toEqual([]);
      expect(generations()).toBe(before);
    },
  );

  it("an unknown client-message type gets an error-response, not a timeout", async () => {
    const c = await connect();
    const failure = (await c.client
      .sendClientRequest("frobnicate", {})
      .catch((e: unknown) => e)) as {
      data?: { error?: string };
    };
    expect(failure.data?.error).toBe("Unsupported client message type frobnicate");
  });
});

describe("storyboard bot: stop and disconnect cancel fal's work", () => {
  let slow: LocalFalServer;
  let server: DemoServer;
  beforeAll(async () => {
    slow = await startLocalFalServer({ port: 0, inferenceMs: 3_000, workers: 1, requiredKey: KEY });
    server = await startDemoServer({ port: 0, key: KEY, baseUrl: slow.url });
  });
  afterAll(async () => {
    await server?.close();
    await slow?.close();
  });

  it("stop cancels the requests in flight at fal and reports every scene left as cancelled", async () => {
    const before = slow.stats().cancelled;
    const c = await connect(server);
    await c.client.sendText("a\nb\nc\nd");
    // Three at fal (the default concurrency), one waiting here.
    await c.next(serverMessage("progress", { index: 2 }));
    const answer = await c.client.sendClientRequest("stop", {});
    expect(answer).toEqual({ run: 1, cancelled: 4 });
    const finished = await c.next(serverMessage("run-finished"));
    expect(finished.data).toMatchObject({ stopped: true, images: 0, cancelled: 4 });
    const cancelled = ofType(c, "progress").filter((p) => p.stage === "cancelled");
    expect(cancelled.map((p) => p.index)).toEqual([0, 1, 2, 3]);
    await expect.poll(() => slow.stats().cancelled - before, { timeout: 5_000 }).toBe(3);
    expect(slow.stats().imagesRendered).toBe(0);
    expect(ofType(c, "image")).toEqual([]);
    // Stopping again, with nothing running, says so.
    await expect(c.client.sendClientRequest("stop", {})).resolves.toEqual({ run: 1, cancelled: 0 });
  });

  it("a client that disconnects mid-run has its requests cancelled at fal, and its images freed", async () => {
    const before = slow.stats().cancelled;
    const c = await connect(server);
    await c.client.sendText("x\ny\nz");
    await c.next(serverMessage("progress", { index: 2 }));
    expect(server.sessions).toBeGreaterThan(0);
    await c.client.disconnect();
    await expect.poll(() => slow.stats().cancelled - before, { timeout: 5_000 }).toBe(3);
    await expect.poll(() => server.sessions, { timeout: 5_000 }).toBe(0);
  });
});

describe("storyboard bot: images live as long as their session", () => {
  it("an image is served while its session is open and answers 404 once it has ended", async () => {
    const c = await connect();
    await c.client.sendText("a kept image");
    const image = (await c.next(serverMessage("image"))).data as { url: string };
    expect((await fetch(`${demo.url}${image.url}`)).status).toBe(200);
    await c.client.disconnect();
    await expect
      .poll(async () => (await fetch(`${demo.url}${image.url}`)).status, { timeout: 5_000 })
      .toBe(404);
  });
});
