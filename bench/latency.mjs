// (a) Per-image latency, TextFrame → URLImageRawFrame, for a 1024×1024 "photo" PNG (~1.5 MB) with
// 0 ms simulated inference, sequential, next to the same run's floor (bare fetch POST + GET +
// sharp decode, no pipeline). The three kinds of sample are interleaved, one of each per round in
// a shuffled order, so drift and background noise hit all of them alike.
//
// The local fal server runs in this process and renders the image for every request (its preview
// renderer, ~40–45 ms for this image on 2 cores): that time is in the floor and in every pipeline
// sample. Sequential requests let us read each request's render time from the server's stats and
// report the latency without it as well ("excludingServerRender"), which is the part the client
// owns and the figure comparable to Pipecat's (measured against a fake fal that serves a ready-made
// file).
import sharp from "sharp";
import { FalImageGenSettings, buildFalArguments } from "../dist/index.js";
import { startLocalFalServer } from "../dist/local/fal/index.js";
import {
  medianDiffInterval,
  progress,
  quantile,
  round,
  seededRandom,
  shuffled,
  startImagePipeline,
  summary,
} from "./lib.mjs";

const MODEL = "fal-ai/fast-sdxl";
const PROMPT = "a lighthouse on a cliff at dusk, photo";
const SEED = 42;

function settings() {
  return new FalImageGenSettings({
    model: MODEL,
    seed: SEED,
    imageSize: "square_hd",
    format: "png",
    numImages: 1,
  });
}

/** The floor: what any client must do, with nothing around it. */
async function floorSample(runUrl, body) {
  const t0 = performance.now();
  const res = await fetch(runUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const output = await res.json();
  const t1 = performance.now();
  const bytes = new Uint8Array(await (await fetch(output.images[0].url)).arrayBuffer());
  const t2 = performance.now();
  const { data } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  const t3 = performance.now();
  if (data.length !== 1024 * 1024 * 3) throw new Error(`floor decoded ${data.length} bytes`);
  return { ms: t3 - t0, postMs: t1 - t0, getMs: t2 - t1, decodeMs: t3 - t2, bytes: bytes.length };
}

export async function runLatency({ images = 60, warmup = 5 } = {}) {
  const server = await startLocalFalServer({ inferenceMs: 0, imageStyle: "photo", workers: 4 });
  const base = { baseUrl: server.url, settings: settings(), maxConcurrency: 4 };
  const raw = await startImagePipeline({ ...base, decode: "raw" });
  const deferred = await startImagePipeline({ ...base, decode: "deferred" });
  const runUrl = `${server.url}/run/${MODEL}`;
  // The floor sends exactly the body the service sends: the defaults with our settings applied.
  const store = FalImageGenSettings.defaults();
  store.applyUpdate(settings());
  const floorBody = JSON.stringify(buildFalArguments(MODEL, store, PROMPT));

  const renderMs = () => server.stats().renderMsTotal;
  const samples = { floor: [], raw: [], deferred: [], deferredPixels: [] };
  const clientSamples = { floor: [], raw: [], deferred: [], deferredPixels: [] };
  const floorParts = { postMs: [], getMs: [], decodeMs: [] };
  const renders = [];
  let imageBytes = 0;

  const kinds = {
    floor: async () => {
      const r0 = renderMs();
      const s = await floorSample(runUrl, floorBody);
      imageBytes = s.bytes;
      return { ms: s.ms, render: renderMs() - r0, parts: s };
    },
    raw: async () => {
      const r0 = renderMs();
      const { frame, ms } = await raw.generate(PROMPT);
      if (!frame.isDecoded || frame.image.length !== 1024 * 1024 * 3)
        throw new Error("raw frame without pixels");
      return { ms, render: renderMs() - r0 };
    },
    deferred: async () => {
      const r0 = renderMs();
      const { frame, ms } = await deferred.generate(PROMPT);
      const render = renderMs() - r0;
      if (frame.isDecoded) throw new Error("deferred frame arrived decoded");
      // What a consumer that needs the pixels pays on top: frame.pixels() right at the collector.
      const t0 = performance.now();
      const pixels = await frame.pixels();
      const pixelsMs = performance.now() - t0;
      if (pixels.length !== 1024 * 1024 * 3)
        throw new Error("deferred pixels() returned the wrong size");
      return { ms, render, pixelsMs };
    },
  };
  const order = Object.keys(kinds);
  progress(
    `(a) latency: ${warmup} warm-up + ${images} images per kind (${order.join(", ")}), interleaved`,
  );
  const rand = seededRandom();
  for (let i = -warmup; i < images; i += 1) {
    for (const kind of shuffled(order, rand)) {
      const s = await kinds[kind]();
      if (i < 0) continue;
      samples[kind].push(s.ms);
      clientSamples[kind].push(s.ms - s.render);
      renders.push(s.render);
      if (kind === "floor")
        for (const key of Object.keys(floorParts)) floorParts[key].push(s.parts[key]);
      if (kind === "deferred") {
        samples.deferredPixels.push(s.ms + s.pixelsMs);
        clientSamples.deferredPixels.push(s.ms + s.pixelsMs - s.render);
      }
    }
    if (i >= 0 && (i + 1) % 20 === 0) progress(`(a) ${i + 1}/${images}`);
  }
  if (raw.errors.length + deferred.errors.length > 0)
    throw new Error(`pipeline errors: ${[...raw.errors, ...deferred.errors].join("; ")}`);
  await raw.stop();
  await deferred.stop();
  await server.close();

  const against = (values, floorValues) => {
    const s = summary(values);
    const floorMedian = quantile(floorValues, 0.5);
    const floorP95 = quantile(floorValues, 0.95);
    return {
      ...s,
      vsFloor: {
        ratio: round(quantile(values, 0.5) / floorMedian, 3),
        diffMs: round(quantile(values, 0.5) - floorMedian),
        diffInterval95Ms: medianDiffInterval(values, floorValues),
        // Noise only ever adds time, so the difference of the fastest samples is a second estimate.
        minDiffMs: round(Math.min(...values) - Math.min(...floorValues)),
        p95DiffMs: round(quantile(values, 0.95) - floorP95),
      },
    };
  };
  const block = (set) => ({
    floor: { ...summary(set.floor) },
    raw: against(set.raw, set.floor),
    deferred: against(set.deferred, set.floor),
    deferredThenPixels: against(set.deferredPixels, set.floor),
  });
  return {
    image: { width: 1024, height: 1024, format: "png", style: "photo", bytes: imageBytes },
    images,
    warmup,
    ...block(samples),
    floorBreakdown: {
      postMedianMs: round(quantile(floorParts.postMs, 0.5)),
      getMedianMs: round(quantile(floorParts.getMs, 0.5)),
      decodeMedianMs: round(quantile(floorParts.decodeMs, 0.5)),
    },
    serverRenderMs: summary(renders),
    excludingServerRender: block(clientSamples),
  };
}
