#!/usr/bin/env node
// `npm run storyboard`: a six-scene story turned into a storyboard.
//
//   Pipeline([FalImageGenService, StoryboardCollector]) run by a PipelineTask + PipelineRunner,
//   a live progress display (one updating line on a terminal, plain lines otherwise), and
//   out/scene-01.png ... scene-06.png plus out/index.html, a contact sheet with every prompt as
//   caption and alt text and the facts of each request.
//
// With FAL_KEY set it uses fal.ai. Without it, it starts the embedded local fal server in this
// process (a preview renderer that draws labelled placeholders, not a model) and says so.
//
//   npm run storyboard                         (build, then run this file)
//   node examples/storyboard.mjs --out out --model fal-ai/fast-sdxl --size landscape_16_9
//   STORYBOARD_OUT=/tmp/board STORYBOARD_SIZE=1024x576 node examples/storyboard.mjs
//
// Exit code 0 when all six images were written; 1 when any scene failed; 2 for a bad option.
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import {
  CancelFrame,
  EndFrame,
  FalImageGenService,
  FrameProcessor,
  ImageGenProgressFrame,
  MetricsFrame,
  Pipeline,
  PipelineRunner,
  PipelineTask,
  SettingsValidationError,
  TextFrame,
  URLImageRawFrame,
  parseImageSize,
  setLogger,
} from "../dist/index.js";
import { startLocalFalServer } from "../dist/local/fal/index.js";
import { exampleOptions } from "./lib/options.mjs";

const TITLE = "Pip and the Paper Boat";
const SCENES = [
  "A small lighthouse on a rocky island at dawn, soft pastel sky, storybook illustration",
  "An orange cat named Pip watches a paper boat drift past the lighthouse door",
  "Pip leaps into the paper boat and sails out across the calm blue sea",
  "A friendly whale rises beside the tiny boat, spraying a fountain of sparkling water",
  "Night falls and the lighthouse beam sweeps over Pip, guiding the boat home",
  "Pip curls up asleep by the warm lamp at the top of the lighthouse, stars outside",
];
// One seed for the whole board keeps the look consistent from scene to scene.
const SEED = 1234;

// ---------------------------------------------------------------------------------------------
// Options

const { values: args, usage } = exampleOptions({
  name: "storyboard",
  usage: "Usage: node examples/storyboard.mjs [--out DIR] [--model ID] [--size SIZE]",
  help:
    "  --out DIR    where to write the images and index.html (default ./out; env STORYBOARD_OUT)\n" +
    "  --model ID   fal model (default fal-ai/fast-sdxl; env STORYBOARD_MODEL)\n" +
    "  --size SIZE  preset or WIDTHxHEIGHT (default landscape_16_9; env STORYBOARD_SIZE)\n",
  options: { out: { type: "string" }, model: { type: "string" }, size: { type: "string" } },
});

const outDir = resolve(args.out ?? process.env.STORYBOARD_OUT ?? "out");
const model = args.model ?? process.env.STORYBOARD_MODEL ?? "fal-ai/fast-sdxl";
const sizeText = args.size ?? process.env.STORYBOARD_SIZE ?? "landscape_16_9";

// The library logs warnings of its own; this program reports everything itself.
if (!process.env.PIPECAT_LOG_LEVEL) setLogger({ debug() {}, info() {}, warn() {}, error() {} });

let settings;
try {
  settings = new FalImageGenService.Settings({
    model,
    imageSize: parseImageSize(sizeText, "--size"),
    seed: SEED,
    format: "png",
  });
} catch (error) {
  if (error instanceof SettingsValidationError) usage(error.message);
  throw error;
}

// ---------------------------------------------------------------------------------------------
// Progress display: one line updated in place on a terminal, plain lines otherwise.

class Progress {
  constructor(total, stream = process.stderr) {
    this.stream = stream;
    this.tty = Boolean(stream.isTTY);
    this.states = Array.from({ length: total }, () => ({ stage: "waiting", position: undefined }));
    this.shown = false;
  }
  set(index, stage, position) {
    const state = this.states[index];
    if (!state || ["done", "error"].includes(state.stage)) return;
    const changed = state.stage !== stage || state.position !== position;
    state.stage = stage;
    state.position = position;
    if (!changed) return;
    if (this.tty) this.draw();
    else if (stage !== "done" && stage !== "error")
      this.stream.write(`scene ${index + 1}/${this.states.length}: ${describe(stage, position)}\n`);
  }
  line(text) {
    if (this.tty && this.shown) this.stream.write("\r\x1b[2K");
    this.stream.write(`${text}\n`);
    if (this.tty) this.draw();
  }
  draw() {
    const done = this.states.filter((s) => s.stage === "done" || s.stage === "error").length;
    const cells = this.states.map((s, i) => `${i + 1}:${short(s.stage, s.position)}`).join("  ");
    const text = `[${done}/${this.states.length}] ${cells}`;
    const width = (this.stream.columns || 100) - 1;
    this.stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    this.shown = true;
  }
  end() {
    if (this.tty && this.shown) this.stream.write("\r\x1b[2K");
    this.shown = false;
  }
}

function describe(stage, position) {
  if (stage === "in_queue")
    return position === undefined ? "in queue" : `in queue, position ${position + 1}`;
  return (
    {
      queued: "queued",
      in_progress: "in progress",
      done: "done",
      error: "error",
      cancelled: "cancelled",
    }[stage] ?? stage
  );
}
function short(stage, position) {
  if (stage === "in_queue") return position === undefined ? "queue" : `#${position + 1}`;
  return (
    {
      waiting: "·",
      queued: "queued",
      in_progress: "drawing",
      done: "✓",
      error: "✗",
      cancelled: "–",
    }[stage] ?? stage
  );
}
/** Service stages → what the display shows. */
function shown(stage) {
  return {
    queued: "queued",
    submitted: "in_progress",
    in_queue: "in_queue",
    in_progress: "in_progress",
    downloading: "in_progress",
    cancelled: "cancelled",
  }[stage];
}

// ---------------------------------------------------------------------------------------------
// The collector: the last processor of the pipeline. It sees each scene's TextFrame, then its
// image (the service keeps prompt order), progress frames and the per-request metrics.

class StoryboardCollector extends FrameProcessor {
  constructor({ scenes, outDir, progress }) {
    super({ name: "StoryboardCollector" });
    this.scenes = scenes;
    this.outDir = outDir;
    this.progress = progress;
    this.current = -1;
    this.images = new Map(); // scene index -> facts
    this.facts = new Map(); // prompt -> request facts (MetricsFrame)
    this.indexByFrameId = new Map();
  }

  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof TextFrame && this.indexByFrameId.has(frame.id)) {
      this.current = this.indexByFrameId.get(frame.id);
    } else if (frame instanceof ImageGenProgressFrame) {
      const index = this.indexByFrameId.get(frame.promptId);
      const stage = shown(frame.stage);
      if (index !== undefined && stage) this.progress.set(index, stage, frame.queuePosition);
    } else if (frame instanceof URLImageRawFrame && this.current >= 0) {
      const index = this.current;
      const file = `scene-${String(index + 1).padStart(2, "0")}.${frame.mimeType === "image/jpeg" ? "jpg" : "png"}`;
      await writeFile(join(this.outDir, file), frame.encoded);
      const fal = frame.metadata.fal ?? {};
      this.images.set(index, {
        file,
        width: frame.size.width,
        height: frame.size.height,
        bytes: frame.encoded.byteLength,
        seed: fal.seed,
        requestId: fal.requestId,
      });
      this.progress.set(index, "done");
      this.progress.line(
        `scene ${index + 1}/${this.scenes.length}: done, ${frame.size.width}x${frame.size.height}, ${kb(frame.encoded.byteLength)} → ${file}`,
      );
    } else if (frame instanceof MetricsFrame) {
      for (const data of frame.data)
        if (data.type === "image_gen_request") this.facts.set(data.prompt, data);
    }
    await this.pushFrame(frame, direction);
  }
}

function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

// ---------------------------------------------------------------------------------------------
// Run

const key = process.env.FAL_KEY?.trim() || undefined;
let localServer;
let backendLine;
if (key) {
  backendLine = "Using fal.ai (FAL_KEY is set).";
} else {
  localServer = await startLocalFalServer({ port: 0, inferenceMs: 250, workers: 3 });
  backendLine = `No FAL_KEY set: using the embedded local fal server at ${localServer.url} (preview renderer, not a model)`;
}
process.stderr.write(`${backendLine}\n`);
process.stderr.write(
  `Storyboard "${TITLE}": ${SCENES.length} scenes, ${model}, ${sizeText} → ${relative(process.cwd(), outDir) || "."}/\n`,
);

await mkdir(outDir, { recursive: true });
const progress = new Progress(SCENES.length);
const imageGen = new FalImageGenService({
  key,
  baseUrl: localServer?.url,
  settings,
  mode: "queue", // queue mode reports queue positions as the scenes wait for a GPU
  maxConcurrency: 4,
  decode: "deferred", // the encoded PNG is what we write; no need to decode pixels
});
const collector = new StoryboardCollector({ scenes: SCENES, outDir, progress });
const pipeline = new Pipeline([imageGen, collector]);
const task = new PipelineTask(pipeline, { params: { enableMetrics: true } });

// A failed scene comes back as an ErrorFrame travelling upstream; the task reports it here.
const failures = new Map();
task.on("pipelineError", (_task, frame) => {
  const index = SCENES.indexOf(frame.prompt ?? "");
  const message = frame.error.replace(
    /^Image generation failed for prompt "(?:[^"\\]|\\.)*": /,
    "",
  );
  const repeated = [...failures.values()].includes(message);
  failures.set(index, message);
  if (index >= 0) progress.set(index, "error");
  // The same reason for every scene (a bad model, a wrong key) is said once.
  if (!repeated) progress.line(`scene ${index + 1}/${SCENES.length}: error: ${message}`);
});

const frames = SCENES.map((scene) => new TextFrame(scene));
for (const [index, frame] of frames.entries()) collector.indexByFrameId.set(frame.id, index);
const started = performance.now();
await task.queueFrames([...frames, new EndFrame()]);
const runner = new PipelineRunner({ handleSigint: true });
let cancelled = false;
task.on("pipelineFinished", (_task, frame) => {
  if (frame instanceof CancelFrame) cancelled = true;
});
await runner.run(task);
const seconds = (performance.now() - started) / 1000;
progress.end();
await localServer?.close();

// ---------------------------------------------------------------------------------------------
// The contact sheet

function escapeHtml(text) {
  return String(text).replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

const cards = SCENES.map((scene, index) => {
  const image = collector.images.get(index);
  const facts = collector.facts.get(scene);
  const label = `Scene ${index + 1}`;
  if (!image) {
    const reason = failures.get(index) ?? (cancelled ? "cancelled" : "no image");
    return `<figure class="missing"><div class="placeholder">${escapeHtml(reason)}</div><figcaption><b>${label}</b>${escapeHtml(scene)}</figcaption></figure>`;
  }
  const details = [
    `${image.width}×${image.height}`,
    kb(image.bytes),
    image.seed !== undefined ? `seed ${image.seed}` : undefined,
    facts?.timings?.inference !== undefined
      ? `inference ${facts.timings.inference.toFixed(2)} s`
      : undefined,
    image.requestId ? `request ${image.requestId}` : undefined,
  ].filter(Boolean);
  return `<figure><a href="${escapeHtml(image.file)}"><img src="${escapeHtml(image.file)}" width="${image.width}" height="${image.height}" alt="${escapeHtml(`${label}: ${scene}`)}" loading="lazy"></a><figcaption><b>${label}</b>${escapeHtml(scene)}<small>${escapeHtml(details.join(" · "))}</small></figcaption></figure>`;
});

const backendFact = key ? "fal.ai" : "embedded local fal server (preview renderer, not a model)";
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(TITLE)} · storyboard</title>
<style>
:root{color-scheme:light dark}
body{margin:0;background:#f6f3ec;color:#1d2326;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1180px;margin:0 auto;padding:2.25rem 1.25rem 3rem}
h1{font:600 2.1rem/1.1 "Iowan Old Style",Palatino,Georgia,serif;margin:0 0 .35rem}
.facts{color:#4b5559;margin:0 0 1.75rem;font-size:.92rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:1.2rem}
figure{margin:0;background:#fff;border:1px solid #e2dccf;border-radius:14px;overflow:hidden;box-shadow:0 6px 20px rgba(0,0,0,.06);display:flex;flex-direction:column}
img{display:block;width:100%;height:auto}
.placeholder{aspect-ratio:16/9;display:grid;place-items:center;background:#fbe3e0;color:#a3261e;padding:1rem;text-align:center;font-size:.9rem}
figcaption{padding:.85rem 1rem 1rem;font:1rem/1.45 "Iowan Old Style",Palatino,Georgia,serif}
figcaption b{display:block;font:700 .72rem/1.5 system-ui,sans-serif;letter-spacing:.08em;text-transform:uppercase;color:#0f5f59}
small{display:block;margin-top:.45rem;font:.75rem/1.4 system-ui,sans-serif;color:#7a8387;word-break:break-word}
@media (prefers-color-scheme:dark){body{background:#161a1c;color:#eef0ee}figure{background:#21272a;border-color:#323a3d}.facts{color:#bcc4c6}figcaption b{color:#5fb7ad}}
</style>
</head>
<body>
<main>
<h1>${escapeHtml(TITLE)}</h1>
<p class="facts">${SCENES.length} scenes · ${escapeHtml(model)} · ${escapeHtml(sizeText)} · seed ${SEED} · ${escapeHtml(backendFact)} · ${seconds.toFixed(1)} s · ${escapeHtml(new Date().toISOString())}</p>
<div class="grid">
${cards.join("\n")}
</div>
</main>
</body>
</html>
`;
await writeFile(join(outDir, "index.html"), html);

const shownDir = relative(process.cwd(), outDir) || ".";
const written = collector.images.size;
if (cancelled) {
  process.stderr.write(
    `Cancelled: ${written} of ${SCENES.length} scenes written to ${shownDir}/.\n`,
  );
  process.exit(130);
}
if (written < SCENES.length) {
  let first = [...failures.values()][0] ?? "no image came back";
  if (/HTTP 404/.test(first)) first = `model "${model}" not found: ${first}`;
  process.stderr.write(
    `Storyboard incomplete: ${SCENES.length - written} of ${SCENES.length} scenes failed (${first}). See ${join(shownDir, "index.html")}.\n`,
  );
  process.exit(1);
}
process.stdout.write(
  `Wrote ${written} images and ${join(shownDir, "index.html")} in ${seconds.toFixed(1)} s.\n`,
);
process.exit(0);
