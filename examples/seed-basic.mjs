#!/usr/bin/env node
// The seed doc's "Basic Setup": FalImageGenService with imageSize "landscape_16_9", in a pipeline
// that saves what it produces.
//
//   npm run build && node examples/seed-basic.mjs [--out DIR] ["a prompt"]
//
// Python (Pipecat):                         TypeScript (pipecat-ts):
//   FalImageGenService(                       new FalImageGenService({
//     aiohttp_session=session,                  key: process.env.FAL_KEY,
//     key=os.getenv("FAL_KEY"),                 settings: new FalImageGenService.Settings({
//     settings=FalImageGenService.Settings(       imageSize: "landscape_16_9",
//       image_size="landscape_16_9"))           }) })
// No HTTP session is needed: the service uses fetch.
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  EndFrame,
  ErrorFrame,
  FalImageGenService,
  FrameProcessor,
  Pipeline,
  PipelineRunner,
  PipelineTask,
  TextFrame,
  URLImageRawFrame,
} from "../dist/index.js";
import { startLocalFalServer } from "../dist/local/fal/index.js";

const { values, positionals } = parseArgs({
  options: { out: { type: "string" } },
  allowPositionals: true,
});
const outDir = resolve(values.out ?? "out");
const prompt =
  positionals.join(" ") || "A paper boat on a calm sea at sunrise, storybook illustration";

// fal.ai when FAL_KEY is set; otherwise the embedded local fal server (not a model).
let server;
if (!process.env.FAL_KEY) {
  server = await startLocalFalServer({ port: 0 });
  console.error(
    `No FAL_KEY set: using the embedded local fal server at ${server.url} (preview renderer, not a model)`,
  );
}

const imageGen = new FalImageGenService({
  key: process.env.FAL_KEY,
  baseUrl: server?.url, // undefined = fal.ai
  settings: new FalImageGenService.Settings({
    imageSize: "landscape_16_9",
  }),
});

/** Writes every image that reaches the end of the pipeline and says what it wrote. */
class SaveImages extends FrameProcessor {
  count = 0;
  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof URLImageRawFrame) {
      this.count += 1;
      const ext = frame.mimeType === "image/jpeg" ? "jpg" : "png";
      const file = join(outDir, `seed-basic-${this.count}.${ext}`);
      await writeFile(file, frame.encoded);
      console.log(
        `image: ${frame.size.width}x${frame.size.height} ${frame.format} pixels, ${frame.encoded.byteLength} bytes (${frame.mimeType}) -> ${file}`,
      );
    }
    await this.pushFrame(frame, direction);
  }
}

await mkdir(outDir, { recursive: true });
const saver = new SaveImages();
const task = new PipelineTask(new Pipeline([imageGen, saver]));
let failure;
task.on("pipelineError", (_task, frame) => {
  if (frame instanceof ErrorFrame) failure = frame.error;
});
console.log(`prompt: ${prompt}`);
await task.queueFrames([new TextFrame(prompt), new EndFrame()]);
await new PipelineRunner().run(task);
await server?.close();

if (failure || saver.count === 0) {
  console.error(`error: ${failure ?? "no image was produced"}`);
  process.exit(1);
}
