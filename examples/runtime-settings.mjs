#!/usr/bin/env node
// Changing the model and the size in the middle of a pipeline with ImageGenUpdateSettingsFrame.
// An update applies, in frame order, to the prompts after it: prompts already queued keep the
// settings they arrived with, even while several are generated at once.
//
//   npm run build && node examples/runtime-settings.mjs [--out DIR]
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  EndFrame,
  FalImageGenService,
  FrameProcessor,
  ImageGenUpdateSettingsFrame,
  MetricsFrame,
  Pipeline,
  PipelineRunner,
  PipelineTask,
  TextFrame,
  URLImageRawFrame,
} from "../dist/index.js";
import { startLocalFalServer } from "../dist/local/fal/index.js";

const { values } = parseArgs({ options: { out: { type: "string" } } });
const outDir = resolve(values.out ?? "out");

let server;
if (!process.env.FAL_KEY) {
  server = await startLocalFalServer({ port: 0 });
  console.error(
    `No FAL_KEY set: using the embedded local fal server at ${server.url} (preview renderer, not a model)`,
  );
}

const Settings = FalImageGenService.Settings;
const imageGen = new FalImageGenService({
  key: process.env.FAL_KEY,
  baseUrl: server?.url,
  settings: new Settings({ model: "fal-ai/fast-sdxl", imageSize: "square" }),
});

/** Prints each image with the model that made it (from the request metrics) and its size. */
class Report extends FrameProcessor {
  lines = [];
  pending = [];
  models = new Map();
  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof URLImageRawFrame) {
      const n = this.lines.length + this.pending.length + 1;
      const file = join(
        outDir,
        `runtime-settings-${n}.${frame.mimeType === "image/jpeg" ? "jpg" : "png"}`,
      );
      await writeFile(file, frame.encoded);
      this.pending.push({
        n,
        prompt: frame.prompt,
        size: `${frame.size.width}x${frame.size.height}`,
        file,
      });
    } else if (frame instanceof MetricsFrame) {
      for (const data of frame.data)
        if (data.type === "image_gen_request") this.models.set(data.prompt, data.model);
    }
    // An image's request metrics can arrive before or after it; print once both are known.
    for (const item of [...this.pending]) {
      const model = this.models.get(item.prompt);
      if (!model) continue;
      this.pending.splice(this.pending.indexOf(item), 1);
      const line = `image ${item.n}: model=${model} size=${item.size} prompt="${item.prompt}" -> ${item.file}`;
      this.lines.push(line);
      console.log(line);
    }
    await this.pushFrame(frame, direction);
  }
}

await mkdir(outDir, { recursive: true });
const report = new Report();
const task = new PipelineTask(new Pipeline([imageGen, report]), {
  params: { enableMetrics: true },
});
let failure;
task.on("pipelineError", (_task, frame) => (failure = frame.error));

await task.queueFrames([
  new TextFrame("A red kite over green hills"),
  // From here on: FLUX.1 [schnell], portrait 3:4.
  new ImageGenUpdateSettingsFrame(
    new Settings({ model: "fal-ai/flux/schnell", imageSize: "portrait_4_3" }),
  ),
  new TextFrame("A tall lighthouse under the stars"),
  // Only the size changes: a custom 640x640 square (the model stays FLUX.1 [schnell]).
  new ImageGenUpdateSettingsFrame(new Settings({ imageSize: { width: 640, height: 640 } })),
  new TextFrame("A paper boat seen from above"),
  new EndFrame(),
]);
await new PipelineRunner().run(task);
await server?.close();

if (failure || report.lines.length !== 3) {
  console.error(`error: ${failure ?? `expected 3 images, got ${report.lines.length}`}`);
  process.exit(1);
}
