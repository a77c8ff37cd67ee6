// (d) Memory: RSS after 2,000 generations vs after 200 (small images, 0 ms inference,
// maxConcurrency 4), with global.gc() before every reading. Run under --expose-gc:
//
//   node --expose-gc bench/memory.mjs [--server URL] [--generations N]
//
// With --server, the images come from a local fal server in another process (run.mjs passes its
// own), so this process holds only the client side: the reading is not mixed with the server's
// file store and request log. Without it, a server is started in this process. Prints one JSON
// object with readings every 200 generations.
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { FalImageGenSettings, TextFrame } from "../dist/index.js";
import { startLocalFalServer } from "../dist/local/fal/index.js";
import { progress, round, startImagePipeline } from "./lib.mjs";

const MiB = 2 ** 20;

async function reading(done) {
  // Several collections, with a turn of the event loop between them, so that finalizers and
  // sharp's native buffers are released before we look.
  for (let i = 0; i < 3; i += 1) {
    globalThis.gc();
    await sleep(20);
  }
  const m = process.memoryUsage();
  return {
    generations: done,
    rssMb: round(m.rss / MiB, 1),
    heapTotalMb: round(m.heapTotal / MiB, 1),
    heapUsedMb: round(m.heapUsed / MiB, 1),
    externalMb: round(m.external / MiB, 1),
    arrayBuffersMb: round(m.arrayBuffers / MiB, 1),
  };
}

export async function runMemory({
  serverUrl,
  generations = 2000,
  first = 200,
  every = 200,
  maxConcurrency = 4,
  window = 16,
  imageSize = "square",
} = {}) {
  if (typeof globalThis.gc !== "function") throw new Error("run with node --expose-gc");
  const ownServer = serverUrl
    ? undefined
    : await startLocalFalServer({
        inferenceMs: 0,
        workers: 4,
        maxStoredBytes: 16 * MiB,
        maxRecordedRequests: 10,
      });
  const pipeline = await startImagePipeline({
    baseUrl: serverUrl ?? ownServer.url,
    settings: new FalImageGenSettings({ imageSize, format: "png", numImages: 1 }),
    maxConcurrency,
  });
  const readings = [];
  const t0 = performance.now();
  try {
    let queued = 0;
    let done = 0;
    let errors = 0;
    // Keep `window` prompts outstanding (more than maxConcurrency, so the service always has work
    // waiting), and stop at every reading point until everything queued has come back.
    const checkpoints = new Set([first]);
    for (let n = every; n <= generations; n += every) checkpoints.add(n);
    while (done < generations) {
      const stopAt = Math.min(...[...checkpoints].filter((c) => c > done));
      while (queued < stopAt && queued - done < window) {
        queued += 1;
        await pipeline.task.queueFrame(
          new TextFrame(`memory prompt ${queued}: a storyboard panel`),
        );
      }
      const { frame } = await pipeline.collector.next(60_000);
      if (frame.error !== undefined) errors += 1;
      done += 1;
      if (checkpoints.has(done)) {
        readings.push(await reading(done));
        progress(`(d) ${done}/${generations}: rss ${readings.at(-1).rssMb} MB`);
      }
    }
    if (errors > 0) throw new Error(`${errors} generations failed`);
  } finally {
    await pipeline.stop();
    await ownServer?.close();
  }
  const at = (n) => readings.find((r) => r.generations === n);
  const a = at(first);
  const b = at(generations);
  const later = readings.filter((r) => r.generations >= first);
  // The noise band: how much RSS moves between readings in the first half of the run. Growth from
  // the first reading to the last that stays inside it is noise, not a leak.
  const firstHalf = later
    .filter((r) => r.generations <= (first + generations) / 2)
    .map((r) => r.rssMb);
  const rssNoiseBandMb = round(Math.max(...firstHalf) - Math.min(...firstHalf), 1);
  const rssGrowthMb = round(b.rssMb - a.rssMb, 1);
  // The second half alone, after V8's young generation and malloc's arenas have grown to size.
  const mid = readings.find((r) => r.generations >= generations / 2) ?? a;
  return {
    generations,
    maxConcurrency,
    imageSize,
    seconds: round((performance.now() - t0) / 1000, 1),
    [`after${first}`]: a,
    [`after${generations}`]: b,
    rssGrowthMb,
    rssNoiseBandMb,
    rssGrowthBeyondNoise: rssGrowthMb > rssNoiseBandMb,
    secondHalfFrom: mid.generations,
    rssGrowthSecondHalfMb: round(b.rssMb - mid.rssMb, 1),
    heapTotalGrowthMb: round(b.heapTotalMb - a.heapTotalMb, 1),
    heapUsedGrowthMb: round(b.heapUsedMb - a.heapUsedMb, 1),
    arrayBuffersGrowthMb: round(b.arrayBuffersMb - a.arrayBuffersMb, 1),
    // Least-squares slopes over the readings from `first` on.
    rssSlopeMbPer1000: round(slope(later, "rssMb") * 1000, 2),
    heapUsedSlopeKbPerGeneration: round(slope(later, "heapUsedMb") * 1024, 3),
    readings,
  };
}

function slope(readings, key) {
  const xs = readings.map((r) => r.generations);
  const ys = readings.map((r) => r[key]);
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i += 1) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function argValue(name) {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const generations = argValue("--generations") ? Number(argValue("--generations")) : undefined;
  const result = await runMemory({ serverUrl: argValue("--server"), generations });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
