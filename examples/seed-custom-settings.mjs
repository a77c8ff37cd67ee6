#!/usr/bin/env node
// The seed doc's "With Custom Settings": fast-sdxl, a custom 1024x768 size, 12 steps, seed 42 and
// the safety checker on. Prints the settings and what came back.
//
//   npm run build && node examples/seed-custom-settings.mjs [--out DIR]
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  EndFrame,
  FalImageGenService,
  FrameProcessor,
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

const settings = new FalImageGenService.Settings({
  model: "fal-ai/fast-sdxl",
  imageSize: { width: 1024, height: 768 },
  numInferenceSteps: 12,
  seed: 42,
  enableSafetyChecker: true,
});
const imageGen = new FalImageGenService({
  key: process.env.FAL_KEY,
  baseUrl: server?.url,
  settings,
});

const s = imageGen.settings;
console.log(
  `settings: model=${s.model} imageSize=${JSON.stringify(s.imageSize)} numInferenceSteps=${s.numInferenceSteps} seed=${s.seed} enableSafetyChecker=${s.enableSafetyChecker} format=${s.format}`,
);

class Report extends FrameProcessor {
  images = [];
  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof URLImageRawFrame) {
      const file = join(
        outDir,
        `seed-custom-settings.${frame.mimeType === "image/jpeg" ? "jpg" : "png"}`,
      );
      await writeFile(file, frame.encoded);
      const fal = frame.metadata.fal ?? {};
      console.log(
        `image: ${frame.size.width}x${frame.size.height}, seed ${fal.seed}, ${frame.encoded.byteLength} bytes -> ${file}`,
      );
      this.images.push(frame);
    } else if (frame instanceof MetricsFrame) {
      for (const data of frame.data) {
        if (data.type === "image_gen_request")
          console.log(
            `request: model ${data.model}, id ${data.requestId ?? "?"}, inference ${data.timings?.inference ?? "?"} s, attempts ${data.attempts}`,
          );
      }
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
  new TextFrame("A lighthouse keeper's cat asleep by the lamp, warm light, storybook illustration"),
  new EndFrame(),
]);
await new PipelineRunner().run(task);
await server?.close();
if (failure || report.images.length === 0) {
  console.error(`error: ${failure ?? "no image was produced"}`);
  process.exit(1);
}
