#!/usr/bin/env node
// Port of the image half of Pipecat's examples/getting-started/04-sync-speech-and-image.py.
//
// In Pipecat an LLM describes a month, and a SyncParallelPipeline sends each description both to
// fal (an image) and to a TTS (speech), so the picture and the spoken month come out together.
// Here canned descriptions stand in for the LLM and a fake TTS turns text into a text "audio"
// frame, so the example runs offline:
//
//   [canned LLM frames] → SyncParallelPipeline(
//       [FalImageGenService, MarkImageForPlaybackSync],
//       [MonthPrepender, FakeTTS],
//       { frameOrder: "pipeline" }) → PairRecorder
//
// Each description goes through both branches; the SyncParallelPipeline waits for both and
// releases branch 0's output (the image) and then branch 1's (the month and its "audio"), so
// every image is paired with its month. The result is an HTML page.
//
//   npm run build && node examples/sync-speech-and-image.mjs [--out DIR]
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  DataFrame,
  EndFrame,
  FalImageGenService,
  FrameProcessor,
  LLMFullResponseEndFrame,
  LLMFullResponseStartFrame,
  Pipeline,
  PipelineRunner,
  PipelineTask,
  SyncParallelPipeline,
  TextFrame,
  URLImageRawFrame,
} from "../dist/index.js";
import { startLocalFalServer } from "../dist/local/fal/index.js";

const { values } = parseArgs({ options: { out: { type: "string" } } });
const outDir = resolve(values.out ?? "out");

// What the LLM said about each month in the original example (canned here).
const MONTHS = [
  ["January", "A quiet snowy village at dusk, warm lights glowing in every window."],
  ["April", "Cherry trees in full bloom along a river, petals drifting on the water."],
  ["July", "A bright beach at noon with striped umbrellas and a red lighthouse."],
  ["October", "A misty forest path covered in orange and golden leaves."],
];

// ---------------------------------------------------------------------------------------------
// Frames and processors of example 04

/** Carries the month the next LLM reply is about (Pipecat's MonthFrame). */
class MonthFrame extends DataFrame {
  constructor(month) {
    super();
    this.month = month;
  }
}

/** Stand-in for TTS audio: a data frame that holds the text that would be spoken. */
class FakeAudioFrame extends DataFrame {
  constructor(text) {
    super();
    this.text = text;
  }
}

/** Prefixes the first TextFrame of each LLM reply with the latest month (Pipecat's MonthPrepender). */
class MonthPrepender extends FrameProcessor {
  mostRecentMonth = "Placeholder, month frame not yet received";
  prependToNextTextFrame = false;
  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof MonthFrame) {
      this.mostRecentMonth = frame.month;
    } else if (this.prependToNextTextFrame && frame instanceof TextFrame) {
      await this.pushFrame(new TextFrame(`${this.mostRecentMonth}: ${frame.text}`), direction);
      this.prependToNextTextFrame = false;
    } else if (frame instanceof LLMFullResponseStartFrame) {
      this.prependToNextTextFrame = true;
      await this.pushFrame(frame, direction);
    } else {
      await this.pushFrame(frame, direction);
    }
  }
}

/** A TTS that "speaks" synchronously: for each TextFrame, an audio frame, then the text itself. */
class FakeTTS extends FrameProcessor {
  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof TextFrame)
      await this.pushFrame(new FakeAudioFrame(`🔊 ${frame.text}`), direction);
    await this.pushFrame(frame, direction);
  }
}

/** Marks images to be shown with the audio queued before them (Pipecat's MarkImageForPlaybackSync idea). */
class MarkImageForPlaybackSync extends FrameProcessor {
  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof URLImageRawFrame) frame.syncWithAudio = true;
    await this.pushFrame(frame, direction);
  }
}

/** Pairs each image with the spoken month that follows it in the same batch. */
class PairRecorder extends FrameProcessor {
  pairs = [];
  #image;
  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof URLImageRawFrame) {
      this.#image = frame;
    } else if (frame instanceof FakeAudioFrame && this.#image) {
      const image = this.#image;
      this.#image = undefined;
      const n = this.pairs.length + 1;
      const file = `month-${n}.${image.mimeType === "image/jpeg" ? "jpg" : "png"}`;
      await writeFile(join(outDir, file), image.encoded);
      const pair = {
        file,
        width: image.size.width,
        height: image.size.height,
        audio: frame.text,
        prompt: image.prompt,
        syncWithAudio: image.syncWithAudio,
      };
      this.pairs.push(pair);
      console.log(
        `pair ${n}: ${pair.audio.replace("🔊 ", "")}  <->  ${file} (${pair.width}x${pair.height})`,
      );
    }
    await this.pushFrame(frame, direction);
  }
}

// ---------------------------------------------------------------------------------------------
// Run

let server;
if (!process.env.FAL_KEY) {
  server = await startLocalFalServer({ port: 0 });
  console.error(
    `No FAL_KEY set: using the embedded local fal server at ${server.url} (preview renderer, not a model)`,
  );
}

const imageGen = new FalImageGenService({
  key: process.env.FAL_KEY,
  baseUrl: server?.url,
  settings: new FalImageGenService.Settings({ imageSize: "square_hd" }),
});

const recorder = new PairRecorder();
const pipeline = new Pipeline([
  new SyncParallelPipeline(
    [imageGen, new MarkImageForPlaybackSync()],
    [new MonthPrepender(), new FakeTTS()],
    { frameOrder: "pipeline" },
  ),
  recorder,
]);
const task = new PipelineTask(pipeline);
let failure;
task.on("pipelineError", (_task, frame) => (failure = frame.error));

await mkdir(outDir, { recursive: true });
// What the LLM stage would have produced: a month, then one reply per month.
const frames = [];
for (const [month, description] of MONTHS) {
  frames.push(
    new MonthFrame(month),
    new LLMFullResponseStartFrame(),
    new TextFrame(description),
    new LLMFullResponseEndFrame(),
  );
}
await task.queueFrames([...frames, new EndFrame()]);
await new PipelineRunner().run(task);
await server?.close();

const escapeHtml = (t) =>
  String(t).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Months: speech and image in sync</title>
<style>
body{margin:0;background:#f6f3ec;color:#1d2326;font:16px/1.5 system-ui,sans-serif}
main{max-width:1000px;margin:0 auto;padding:2rem 1.25rem}
h1{font:600 1.9rem/1.2 Georgia,serif;margin:0 0 1.5rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:1rem}
figure{margin:0;background:#fff;border:1px solid #e2dccf;border-radius:14px;overflow:hidden}
img{display:block;width:100%;height:auto}
figcaption{padding:.75rem .9rem;font-family:Georgia,serif}
</style></head><body><main><h1>Speech and image, in sync</h1><div class="grid">
${recorder.pairs.map((p) => `<figure><img src="${escapeHtml(p.file)}" width="${p.width}" height="${p.height}" alt="${escapeHtml(p.prompt ?? p.audio)}"><figcaption>${escapeHtml(p.audio)}</figcaption></figure>`).join("\n")}
</div></main></body></html>
`;
const page = join(outDir, "sync-speech-and-image.html");
await writeFile(page, html);
console.log(`page: ${page}`);

if (failure || recorder.pairs.length !== MONTHS.length) {
  console.error(
    `error: ${failure ?? `expected ${MONTHS.length} pairs, got ${recorder.pairs.length}`}`,
  );
  process.exit(1);
}
