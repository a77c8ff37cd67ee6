// Core throughput benchmark (scenario (c) of `npm run bench`).
//
// 100,000 TextFrames queued at once (task.queueFrames(...), then an EndFrame) into a PipelineTask
// running new Pipeline([p1..p10]), where each p is a trivial pass-through FrameProcessor subclass
// in the default (non-direct) mode. Measures frames/s (frames / wall seconds from the first queue
// to task.run() resolving) and peak RSS (sampled every few ms, and once more after the run).
//
// Prints one JSON object: { frames, processors, seconds, framesPerSecond, peakRssMb }.
// Usage: node [--expose-gc] bench/core-throughput.mjs [--frames N] [--processors N]
// Importable too: `import { runCoreThroughput } from "./core-throughput.mjs"` (does not print).
// Needs a build first (`npm run build`).
import { pathToFileURL } from "node:url";
import {
  EndFrame,
  FrameProcessor,
  Pipeline,
  PipelineTask,
  TextFrame,
  setLogger,
} from "../dist/index.js";

class PassThrough extends FrameProcessor {
  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);
    await this.pushFrame(frame, direction);
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Runs the scenario once in this process.
 * @param {{ frames?: number, processors?: number, sampleMs?: number }} [options]
 * @returns {Promise<{ frames: number, processors: number, seconds: number, framesPerSecond: number,
 * peakRssMb: number }>}
 */
export async function runCoreThroughput(options = {}) {
  const frames = options.frames ?? 100_000;
  const processors = options.processors ?? 10;
  const sampleMs = options.sampleMs ?? 5;

  const previousLogger = setLogger(silent);
  globalThis.gc?.();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > peakRss) peakRss = rss;
  }, sampleMs);

  try {
    const chain = Array.from({ length: processors }, () => new PassThrough());
    const task = new PipelineTask(new Pipeline(chain));
    const input = Array.from({ length: frames }, (_, i) => new TextFrame(`frame ${i}`));

    const started = performance.now();
    await task.queueFrames(input);
    await task.queueFrame(new EndFrame());
    await task.run();
    const seconds = (performance.now() - started) / 1000;

    const rss = process.memoryUsage.rss();
    if (rss > peakRss) peakRss = rss;
    return {
      frames,
      processors,
      seconds: Math.round(seconds * 1000) / 1000,
      framesPerSecond: Math.round(frames / seconds),
      peakRssMb: Math.round((peakRss / (1024 * 1024)) * 10) / 10,
    };
  } finally {
    clearInterval(sampler);
    setLogger(previousLogger);
  }
}

function argValue(name) {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const n = Number(process.argv[i + 1]);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runCoreThroughput({
    frames: argValue("--frames"),
    processors: argValue("--processors"),
  });
  console.log(JSON.stringify(result));
}
