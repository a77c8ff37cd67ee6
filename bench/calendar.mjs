// The calendar example's pipeline (Pipecat's 04-sync-speech-and-image) on the local twins with zero
// latency: how long from queueing a month's LLMContextFrame to the first TTSAudioRawFrame the TTS
// pushes, next to what the twins themselves need for the same work, so that our overhead shows as
// a difference and a ratio; and the wall time of the 12-month run.
//
//   npm run build && node bench/calendar.mjs [--rounds N]      (prints one JSON object)
//
// The twins run in child processes (`pipecat-ts serve`, zero latency), as remote services would,
// so that their work does not share our event loop: one serves the images, another the LLM and the
// speech, so that drawing a 1024² image (≈ 40 ms of JavaScript) does not hold up the speech twin
// either (remote services would not wait for each other). For each month, alternately:
//   pipeline  one long-lived task of the example's pipeline; t0 just before the month's
//             LLMContextFrame is queued, t1 = the timestamp an observer gets for the TTS's first
//             TTSAudioRawFrame. The next month starts when the pipeline's output has seen the
//             month's LLMFullResponseEndFrame.
//   twins     the same requests without the pipeline: the chat completion streamed to its
//             [DONE] (the SentenceAggregator needs the whole sentence before anything is spoken),
//             then `POST /tts/bytes` for the same "Month: sentence" to its first audio byte, with
//             the image request for the sentence sent at the same moment, as the
//             SyncParallelPipeline sends both.
// overhead = median(pipeline) − median(twins); ratio = median(pipeline) ÷ median(twins).
//
// The 12-month run: the example as `npm start` runs it (`node examples/04-sync-speech-and-image.mjs`,
// its own embedded twins, files written), timed from spawn to exit.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  EndFrame,
  FrameProcessor,
  LLMFullResponseEndFrame,
  PipelineTask,
  TTSAudioRawFrame,
  monotonicNs,
  setLogger,
} from "../dist/index.js";
import {
  CALENDAR_MONTHS,
  buildCalendarPipeline,
  calendarFrames,
  createCalendarServices,
} from "../dist/app/calendar.js";
import {
  bareCompletion,
  machine,
  medianDiffInterval,
  progress,
  quantile,
  round,
  startTwins,
  summary,
} from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, "..");
const argRounds = process.argv.indexOf("--rounds");
const ROUNDS = argRounds > 0 ? Number(process.argv[argRounds + 1]) : 3;
const WARMUP_MONTHS = 3;
const VOICE = "71a7ad14-091c-4e8e-a314-022ece01c121";
const SAMPLE_RATE = 24_000;

/** The first audio byte of `POST /tts/bytes` for `transcript`, with the image asked for at the same moment. */
async function bareFirstAudio(url, imageUrl, transcript, sentence) {
  const started = performance.now();
  const image = fetch(`${imageUrl}/run/fal-ai/fast-sdxl`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ prompt: sentence, image_size: "square_hd", format: "png" }),
  }).then((r) => r.arrayBuffer());
  const response = await fetch(`${url}/tts/bytes`, {
    method: "POST",
    headers: { "content-type": "application/json", "cartesia-version": "2026-03-01" },
    body: JSON.stringify({
      model_id: "sonic-3.5",
      transcript,
      voice: { mode: "id", id: VOICE },
      output_format: { container: "raw", encoding: "pcm_s16le", sample_rate: SAMPLE_RATE },
      language: "en",
    }),
  });
  const reader = response.body.getReader();
  let firstByteMs;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value.byteLength > 0) firstByteMs ??= performance.now() - started;
  }
  await image;
  return firstByteMs;
}

/** Hands on each month's end (the LLMFullResponseEndFrame at the output) to whoever waits. */
class MonthEnds extends FrameProcessor {
  #waiting;
  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof LLMFullResponseEndFrame) this.#waiting?.();
    await this.pushFrame(frame, direction);
  }
  next() {
    return new Promise((resolve) => (this.#waiting = resolve));
  }
}

/** Runs the example as `npm start` does (12 months, its own twins), timed from spawn to exit. */
function runExample(outDir) {
  return new Promise((resolve) => {
    // Offline whatever this shell holds: no provider key or base URL reaches the example.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^(FAL|OPENAI|CARTESIA)_/.test(name)),
    );
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [join(ROOT, "examples", "04-sync-speech-and-image.mjs"), "--out", outDir],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (out += d));
    child.on("close", (code) =>
      resolve({ code, seconds: (performance.now() - started) / 1000, out }),
    );
  });
}

async function main() {
  setLogger({ debug() {}, info() {}, warn() {}, error() {} });
  const [twins, images] = await Promise.all([startTwins(), startTwins()]);
  progress(`calendar: twins at ${twins.url} (${twins.speech}), images at ${images.url}`);
  const backend = (baseUrl) => ({ kind: "server", baseUrl, apiKey: "", notice: "" });
  const services = createCalendarServices({
    llm: backend(`${twins.url}/v1`),
    tts: backend(twins.url),
    image: backend(images.url),
  });

  // First TTSAudioRawFrame pushed by the TTS after t0: the observer's own timestamp (ns).
  let t0Ns = 0;
  let firstAudioNs;
  const observer = {
    onPushFrame: ({ source, frame, timestamp }) => {
      if (source === services.tts && frame instanceof TTSAudioRawFrame && timestamp >= t0Ns)
        firstAudioNs ??= timestamp;
    },
  };
  const ends = new MonthEnds();
  const task = new PipelineTask(buildCalendarPipeline({ ...services, output: ends }), {
    observers: [observer],
  });
  const errors = [];
  task.on("pipelineError", (_task, frame) => errors.push(String(frame.error)));
  const running = task.run();

  const pipelineMs = [];
  const twinsMs = [];
  const twinsFirstTokenMs = [];
  const months = [
    ...CALENDAR_MONTHS.slice(0, WARMUP_MONTHS),
    ...Array.from({ length: ROUNDS }, () => CALENDAR_MONTHS).flat(),
  ];
  for (const [i, month] of months.entries()) {
    const warm = i >= WARMUP_MONTHS;
    // The twins' own time for this month's work.
    const reply = await bareCompletion(twins.url, month);
    const firstAudio = await bareFirstAudio(
      twins.url,
      images.url,
      `${month}: ${reply.text}`,
      reply.text,
    );
    // The same month through the pipeline.
    const [monthFrame, contextFrame] = calendarFrames([month]);
    await task.queueFrame(monthFrame);
    const ended = ends.next();
    firstAudioNs = undefined;
    t0Ns = monotonicNs();
    await task.queueFrame(contextFrame);
    await ended;
    if (firstAudioNs === undefined) throw new Error(`no audio for ${month}: ${errors.join("; ")}`);
    if (warm) {
      pipelineMs.push((firstAudioNs - t0Ns) / 1e6);
      twinsMs.push(reply.wholeMs + firstAudio);
      twinsFirstTokenMs.push(reply.firstTokenMs);
    }
  }
  await task.queueFrame(new EndFrame());
  await running;

  // The 12 months at once through the same pipeline (the example's way), on the same twins.
  const services12 = createCalendarServices({
    llm: backend(`${twins.url}/v1`),
    tts: backend(twins.url),
    image: backend(images.url),
  });
  const task12 = new PipelineTask(
    buildCalendarPipeline({ ...services12, output: new MonthEnds() }),
  );
  const started12 = performance.now();
  await task12.queueFrames([...calendarFrames(CALENDAR_MONTHS), new EndFrame()]);
  await task12.run();
  const pipeline12Seconds = (performance.now() - started12) / 1000;
  twins.child.kill("SIGINT");
  images.child.kill("SIGINT");

  progress("calendar: the 12-month example as npm start runs it");
  const out = await mkdtemp(join(tmpdir(), "pipecat-bench-calendar-"));
  const example = await runExample(out);
  await rm(out, { recursive: true, force: true });
  if (example.code !== 0) throw new Error(`the example failed: ${example.out}`);

  const ours = quantile(pipelineMs, 0.5);
  const floor = quantile(twinsMs, 0.5);
  process.stdout.write(
    `${JSON.stringify({
      machine: machine(),
      speech: twins.speech,
      rounds: ROUNDS,
      timeToFirstAudio: {
        pipeline: summary(pipelineMs),
        twins: summary(twinsMs),
        twinsFirstTokenMs: summary(twinsFirstTokenMs),
        overheadMs: round(ours - floor),
        overheadInterval95Ms: medianDiffInterval(pipelineMs, twinsMs),
        ratio: round(ours / floor, 3),
      },
      twelveMonths: {
        pipelineSeconds: round(pipeline12Seconds, 2),
        exampleSeconds: round(example.seconds, 2),
      },
      errors,
    })}\n`,
  );
}

await main();
