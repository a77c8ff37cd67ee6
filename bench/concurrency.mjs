// (b) Wall time for 12 prompts queued at once, 500 ms simulated inference on 12 simulated workers,
// small images, for several maxConcurrency values; checks the images come out in prompt order.
import { FalImageGenSettings, TextFrame } from "../dist/index.js";
import { startLocalFalServer } from "../dist/local/fal/index.js";
import { progress, round, startImagePipeline } from "./lib.mjs";

export async function runConcurrency({
  prompts = 12,
  inferenceMs = 500,
  workers = 12,
  levels = [1, 4, 12],
  imageSize = "square",
} = {}) {
  const server = await startLocalFalServer({ inferenceMs, workers });
  const results = {};
  try {
    for (const maxConcurrency of levels) {
      const pipeline = await startImagePipeline({
        baseUrl: server.url,
        settings: new FalImageGenSettings({ imageSize, format: "png", numImages: 1 }),
        maxConcurrency,
      });
      const texts = Array.from(
        { length: prompts },
        (_, i) => `prompt ${i + 1} of ${prompts}: a storyboard panel`,
      );
      const render0 = server.stats().renderMsTotal;
      const arrivals = [];
      const t0 = performance.now();
      for (const text of texts) await pipeline.task.queueFrame(new TextFrame(text));
      for (let i = 0; i < prompts; i += 1) {
        const { frame, at } = await pipeline.collector.next(60_000);
        arrivals.push({ prompt: frame.prompt, error: frame.error, at: at - t0 });
      }
      const wall = arrivals[arrivals.length - 1].at;
      await pipeline.stop();
      const failed = arrivals.filter((a) => a.error !== undefined);
      const ordered = failed.length === 0 && arrivals.every((a, i) => a.prompt === texts[i]);
      results[`maxConcurrency${maxConcurrency}`] = {
        maxConcurrency,
        wallSeconds: round(wall / 1000, 3),
        firstImageSeconds: round(arrivals[0].at / 1000, 3),
        ordered,
        errors: failed.length,
        idealSeconds: round(
          (Math.ceil(prompts / Math.min(maxConcurrency, workers)) * inferenceMs) / 1000,
          3,
        ),
        serverRenderMsTotal: round(server.stats().renderMsTotal - render0, 1),
      };
      progress(
        `(b) maxConcurrency ${maxConcurrency}: ${round(wall / 1000, 3)} s, ordered ${ordered}`,
      );
    }
  } finally {
    await server.close();
  }
  return { prompts, inferenceMs, workers, imageSize, ...results };
}
