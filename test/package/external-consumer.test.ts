// Issue 3's acceptance: a script outside the repo imports the built package by name, subclasses
// FrameProcessor to collect frames, and drives FalImageGenService with its own fetch pointed at its
// own fake fal server.
import { execFile } from "node:child_process";
import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, cleanEnv } from "../helpers/run-node.js";

const run = promisify(execFile);
let dir: string;

const SCRIPT = `
import { createServer } from "node:http";
import sharp from "sharp";
import {
  FalImageGenService, Pipeline, PipelineTask, PipelineRunner, FrameProcessor, TextFrame,
  URLImageRawFrame, ErrorFrame, EndFrame, ImageGenUpdateSettingsFrame, NOT_GIVEN, isGiven,
} from "pipecat-ts";

const png = await sharp({ create: { width: 32, height: 16, channels: 4, background: "#3366ff" } }).png().toBuffer();
const seen = [];
const server = createServer(async (req, res) => {
  let body = "";
  for await (const chunk of req) body += chunk;
  seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body: body ? JSON.parse(body) : undefined });
  if (req.url.startsWith("/img")) { res.writeHead(200, { "content-type": "image/png" }); res.end(png); return; }
  const input = JSON.parse(body);
  if (input.prompt === "fail") { res.writeHead(422, { "content-type": "application/json" }); res.end(JSON.stringify({ detail: [{ loc: ["body", "prompt"], msg: "not allowed", type: "value_error" }] })); return; }
  const images = Array.from({ length: input.num_images }, (_, i) => ({ url: "http://fal.example/img" + i + ".png", width: 32, height: 16 }));
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ images, seed: 5 }));
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const origin = "http://127.0.0.1:" + server.address().port;
// Our own fetch: every fal and image URL goes to our own fake server.
const myFetch = (url, init) => fetch(origin + new URL(url).pathname, init);

class Collector extends FrameProcessor {
  frames = [];
  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);
    this.frames.push(frame);
    await this.pushFrame(frame, direction);
  }
}
class UpCollector extends Collector {}

const up = new UpCollector();
const imageGen = new FalImageGenService({ key: "outside-key-1234", fetch: myFetch });
const down = new Collector();
const task = new PipelineTask(new Pipeline([up, imageGen, down]));
await task.queueFrames([
  new TextFrame("one"),
  new ImageGenUpdateSettingsFrame(new FalImageGenService.Settings({ numImages: 2 })),
  new TextFrame("two"),
  new TextFrame("fail"),
  new EndFrame(),
]);
await new PipelineRunner({ handleSigint: false }).run(task);
server.close();
const images = down.frames.filter((f) => f instanceof URLImageRawFrame);
const errors = up.frames.filter((f) => f instanceof ErrorFrame);
console.log(JSON.stringify({
  notGiven: String(NOT_GIVEN), isGiven: isGiven(NOT_GIVEN),
  images: images.map((f) => ({ prompt: f.prompt, size: f.size, format: f.format, pixels: f.image.length, mime: f.mimeType })),
  errors: errors.map((e) => ({ error: e.error, category: e.category })),
  posts: seen.filter((r) => r.method === "POST").map((r) => ({ url: r.url, auth: r.auth, n: r.body.num_images })),
}));
`;

// The "./local-fal" export (now built from src/local/fal) with a deprecated name beside the new one.
const LOCAL_FAL_SCRIPT = `
import { startLocalFalServer, createLocalFalApp, MODELS, LOCAL_FAL_MODELS } from "pipecat-ts/local-fal";
const server = await startLocalFalServer();
const res = await fetch(server.url + "/run/fal-ai/flux/schnell", {
  method: "POST",
  body: JSON.stringify({ prompt: "outside", image_size: "square" }),
});
const app = createLocalFalApp();
const info = await (await app.request("/")).json();
await app.close();
await server.close();
console.log(JSON.stringify({ status: res.status, models: info.models.length, same: MODELS === LOCAL_FAL_MODELS }));
`;

// The "./local-cartesia" export: the twin, spoken to by CartesiaHttpTTSService from the root export.
const LOCAL_CARTESIA_SCRIPT = `
import { startLocalCartesiaServer } from "pipecat-ts/local-cartesia";
import {
  CartesiaHttpTTSService, Pipeline, PipelineTask, PipelineRunner, FrameProcessor, TTSSpeakFrame,
  TTSAudioRawFrame, EndFrame,
} from "pipecat-ts";
const server = await startLocalCartesiaServer({ requiredKey: "outside-cartesia-key" });
class Collector extends FrameProcessor {
  bytes = 0;
  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof TTSAudioRawFrame) this.bytes += frame.audio.byteLength;
    await this.pushFrame(frame, direction);
  }
}
const down = new Collector();
const tts = new CartesiaHttpTTSService({
  apiKey: "outside-cartesia-key",
  baseUrl: server.url,
  settings: new CartesiaHttpTTSService.Settings({ voice: "71a7ad14-091c-4e8e-a314-022ece01c121" }),
});
const task = new PipelineTask(new Pipeline([tts, down]));
await task.queueFrames([new TTSSpeakFrame("Hello from outside the repo."), new EndFrame()]);
await new PipelineRunner({ handleSigint: false }).run(task);
await server.close();
console.log(JSON.stringify({ seconds: down.bytes / 2 / 24000, engine: server.describe().split(" ")[1] }));
`;

// The "./local-openai" export, with OpenAILLMService from the package root talking to it.
const LOCAL_OPENAI_SCRIPT = `
import { startLocalOpenAIServer, SCRIPTED_MODEL_ID } from "pipecat-ts/local-openai";
import {
  OpenAILLMService, LLMContext, LLMContextFrame, LLMTextFrame, EndFrame, Pipeline, PipelineTask,
  PipelineRunner, FrameProcessor,
} from "pipecat-ts";
const server = await startLocalOpenAIServer();
class Collector extends FrameProcessor {
  texts = [];
  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof LLMTextFrame) this.texts.push(frame.text);
    await this.pushFrame(frame, direction);
  }
}
const down = new Collector();
const llm = new OpenAILLMService({ apiKey: "any", baseUrl: server.baseUrl });
const task = new PipelineTask(new Pipeline([llm, down]));
await task.queueFrames([
  new LLMContextFrame(new LLMContext([{ role: "user", content: "Describe a nature photograph for a calendar, for the month of May." }])),
  new EndFrame(),
]);
await new PipelineRunner({ handleSigint: false }).run(task);
await server.close();
console.log(JSON.stringify({ model: SCRIPTED_MODEL_ID, deltas: down.texts.length, text: down.texts.join("") }));
`;

// The "./local" export: the three twins on one port, OpenAILLMService talking to the OpenAI one.
const LOCAL_TWINS_SCRIPT = `
import { startLocalServers } from "pipecat-ts/local";
import { OpenAILLMService, LLMContext } from "pipecat-ts";
const twins = await startLocalServers({ cartesia: { engine: "builtin" } });
const llm = new OpenAILLMService({ apiKey: "any", baseUrl: twins.baseUrls.openai });
const text = await llm.runInference(
  new LLMContext([{ role: "user", content: "Describe a nature photograph for a calendar, for the month of July." }]),
);
const voices = await (await fetch(twins.baseUrls.cartesia + "/voices")).json();
await twins.close();
console.log(JSON.stringify({ sameOrigin: twins.baseUrls.fal === twins.baseUrls.cartesia, text, voices: voices.data.length, lines: twins.describe().length }));
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pipecat-ts-consumer-"));
  await mkdir(join(dir, "node_modules"));
  await symlink(ROOT, join(dir, "node_modules", "pipecat-ts"));
  await symlink(join(ROOT, "node_modules", "sharp"), join(dir, "node_modules", "sharp"));
  await writeFile(join(dir, "consumer.mjs"), SCRIPT);
  await writeFile(join(dir, "local-fal.mjs"), LOCAL_FAL_SCRIPT);
  await writeFile(join(dir, "local-cartesia.mjs"), LOCAL_CARTESIA_SCRIPT);
  await writeFile(join(dir, "local-openai.mjs"), LOCAL_OPENAI_SCRIPT);
  await writeFile(join(dir, "local-twins.mjs"), LOCAL_TWINS_SCRIPT);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the built package, from outside the repo", () => {
  it("imports by name and gives the documented behaviour with the caller's own fetch", async () => {
    const { stdout } = await run(process.execPath, ["consumer.mjs"], { cwd: dir, env: cleanEnv() });
    const out = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
    expect(out.notGiven).toBe("NOT_GIVEN");
    expect(out.isGiven).toBe(false);
    expect(out.posts).toEqual([
      { url: "/fal-ai/fast-sdxl", auth: "Key outside-key-1234", n: 1 },
      { url: "/fal-ai/fast-sdxl", auth: "Key outside-key-1234", n: 2 },
      { url: "/fal-ai/fast-sdxl", auth: "Key outside-key-1234", n: 2 },
    ]);
    expect(out.images).toEqual([
      {
        prompt: "one",
        size: { width: 32, height: 16 },
        format: "RGBA",
        pixels: 32 * 16 * 4,
        mime: "image/png",
      },
      {
        prompt: "two",
        size: { width: 32, height: 16 },
        format: "RGBA",
        pixels: 32 * 16 * 4,
        mime: "image/png",
      },
      {
        prompt: "two",
        size: { width: 32, height: 16 },
        format: "RGBA",
        pixels: 32 * 16 * 4,
        mime: "image/png",
      },
    ]);
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0].category).toBe("validation");
    expect(out.errors[0].error).toMatch(/422.*prompt: not allowed/);
  });

  it('imports the local fal server from "pipecat-ts/local-fal"', async () => {
    const { stdout } = await run(process.execPath, ["local-fal.mjs"], {
      cwd: dir,
      env: cleanEnv(),
    });
    expect(JSON.parse(stdout.trim().split("\n").pop() ?? "{}")).toEqual({
      status: 200,
      models: 4,
      same: true,
    });
  });

  it('imports the local Cartesia twin from "pipecat-ts/local-cartesia"', async () => {
    const { stdout } = await run(process.execPath, ["local-cartesia.mjs"], {
      cwd: dir,
      env: cleanEnv(),
    });
    const out = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
    expect(out.seconds).toBeGreaterThan(1);
    expect(["espeak-ng", "built-in"]).toContain(out.engine);
  });
  it('imports the local OpenAI twin from "pipecat-ts/local-openai" and OpenAILLMService talks to it', async () => {
    const { stdout } = await run(process.execPath, ["local-openai.mjs"], {
      cwd: dir,
      env: cleanEnv(),
    });
    const out = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
    expect(out.model).toBe("pipecat-ts-scripted-llm");
    expect(out.deltas).toBeGreaterThan(10);
    expect(out.text).toMatch(/^[A-Z][^.]*\.$/);
  });

  it('imports the three twins on one port from "pipecat-ts/local"', async () => {
    const { stdout } = await run(process.execPath, ["local-twins.mjs"], {
      cwd: dir,
      env: cleanEnv(),
    });
    const out = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
    expect(out.sameOrigin).toBe(true);
    expect(out.text).toMatch(/^[A-Z][^.]*\.$/);
    expect(out.voices).toBeGreaterThan(0);
    expect(out.lines).toBe(3);
  });
});
