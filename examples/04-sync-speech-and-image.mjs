#!/usr/bin/env node
// Pipecat's examples/getting-started/04-sync-speech-and-image.py, ported whole: an LLM describes a
// nature photograph for each month, a SentenceAggregator makes sentences of its tokens, and a
// SyncParallelPipeline sends each sentence both to fal (an image, marked to show with its audio)
// and to Cartesia (the month and the sentence, spoken), releasing the image first.
//
// The structure is the original's: MonthFrame, MarkImageForPlaybackSync and MonthPrepender are
// defined here, the services and the pipeline are built in runBot(), and the frames are a
// MonthFrame and an LLMContextFrame per month. Where the original sends the output to a transport
// (a WebRTC or Daily call), this port writes it to a folder: per month a PNG and a WAV, and an
// index.html that plays the months in order, showing each image while its audio plays.
//
// With OPENAI_API_KEY, CARTESIA_API_KEY and FAL_KEY set it uses the real services (or the servers
// named by OPENAI_BASE_URL, CARTESIA_BASE_URL, FAL_BASE_URL). For each one that is not set it
// runs offline on the embedded local twins: a scripted LLM, a speech engine and a preview
// renderer (none of them a model), and says so in one line per service.
//
//   npm start                      (build, then the 12 months into out/calendar/)
//   node examples/04-sync-speech-and-image.mjs [--months N] [--out DIR]
//
// Exit code 0 when every month has its image and its speech; 1 when any failed; 2 for a bad option.
import { mkdir } from "node:fs/promises";
import { relative, resolve } from "node:path";
import {
  CartesiaHttpTTSService,
  SettingsValidationError,
  DataFrame,
  EndFrame,
  FalImageGenService,
  FrameOrder,
  FrameProcessor,
  LLMContext,
  LLMContextFrame,
  LLMFullResponseStartFrame,
  OpenAILLMService,
  OutputImageRawFrame,
  Pipeline,
  PipelineWorker,
  ProcessorUnusablePolicy,
  SentenceAggregator,
  SyncParallelPipeline,
  TextAggregationMode,
  TextFrame,
  WorkerRunner,
  setLogger,
} from "../dist/index.js";
import { CalendarRecorder, calendarCredits } from "../dist/app/calendar-files.js";
import { resolveServiceBackends } from "../dist/app/service-backends.js";
import { exampleOptions } from "./lib/options.mjs";

const USAGE = "Usage: node examples/04-sync-speech-and-image.mjs [--months N] [--out DIR]";

// ---------------------------------------------------------------------------------------------
// Options

const { values: args, usage } = exampleOptions({
  name: "04-sync-speech-and-image",
  usage: USAGE,
  help:
    "  --months N   how many months, from January (1 to 12; default 12)\n" +
    "  --out DIR    where the PNGs, WAVs and index.html go (default out/calendar)\n",
  options: { months: { type: "string" }, out: { type: "string" } },
});
const monthCount = args.months === undefined ? 12 : Number(args.months);
if (!/^\d+$/.test(args.months ?? "12") || monthCount < 1 || monthCount > 12)
  usage(`--months must be a whole number from 1 to 12, got ${JSON.stringify(args.months)}`);
const outDir = resolve(args.out ?? "out/calendar");

// The library logs warnings of its own; this program reports what matters itself.
if (!process.env.PIPECAT_LOG_LEVEL) setLogger({ debug() {}, info() {}, warn() {}, error() {} });

// ---------------------------------------------------------------------------------------------
// The original's frame and processors

class MonthFrame extends DataFrame {
  constructor(month) {
    super();
    this.month = month;
  }

  toString() {
    return `${this.name}(month: ${this.month})`;
  }
}

/** Marks output image frames to be synchronized with audio playback. */
class MarkImageForPlaybackSync extends FrameProcessor {
  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);

    if (frame instanceof OutputImageRawFrame) {
      frame.syncWithAudio = true;
    }

    await this.pushFrame(frame, direction);
  }
}

class MonthPrepender extends FrameProcessor {
  constructor() {
    super();
    this.mostRecentMonth = "Placeholder, month frame not yet received";
    this.prependToNextTextFrame = false;
  }

  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);

    if (frame instanceof MonthFrame) {
      this.mostRecentMonth = frame.month;
    } else if (this.prependToNextTextFrame && frame instanceof TextFrame) {
      await this.pushFrame(new TextFrame(`${this.mostRecentMonth}: ${frame.text}`));
      this.prependToNextTextFrame = false;
    } else if (frame instanceof LLMFullResponseStartFrame) {
      this.prependToNextTextFrame = true;
      await this.pushFrame(frame);
    } else {
      await this.pushFrame(frame, direction);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The bot

/** Runs the calendar narration into `output` (here: the folder) and resolves when it is done. */
async function runBot(backends, output) {
  const llm = new OpenAILLMService({ apiKey: backends.llm.apiKey, baseUrl: backends.llm.baseUrl });

  const tts = new CartesiaHttpTTSService({
    apiKey: backends.tts.apiKey,
    baseUrl: backends.tts.baseUrl,
    settings: new CartesiaHttpTTSService.Settings({
      voice: "71a7ad14-091c-4e8e-a314-022ece01c121", // British Reading Lady
    }),
    // No need to aggregate by sentences (the default), as we already know we're getting full
    // sentences. (Otherwise the service would wait for follow-up input to confirm the sentence is
    // complete, which breaks the synchronization mechanism.)
    textAggregationMode: TextAggregationMode.TOKEN,
  });

  const imagegen = new FalImageGenService({
    settings: new FalImageGenService.Settings({
      imageSize: "square_hd",
    }),
    key: backends.image.apiKey,
    baseUrl: backends.image.baseUrl,
  });

  const sentenceAggregator = new SentenceAggregator();
  const monthPrepender = new MonthPrepender();

  // With `SyncParallelPipeline` we synchronize audio and images by pushing them basically in
  // order (e.g. I1 A1 A1 A1 I2 A2 A2 A2 A2 I3 A3). To do that, each pipeline runs concurrently
  // and `SyncParallelPipeline` waits for the input frame to be processed.
  //
  // `FrameOrder.PIPELINE` pushes each synchronized batch of output frames in the order the
  // pipelines are listed: image first, then audio. So the output receives the image before the
  // audio frames it should accompany.
  //
  // `SyncParallelPipeline` needs each pipeline's work for a frame to be done when that frame's
  // turn ends: `FalImageGenService` and `CartesiaHttpTTSService` answer each sentence before the
  // next one is taken.
  const pipeline = new Pipeline([
    llm, // LLM
    sentenceAggregator, // Aggregates LLM output into full sentences
    new SyncParallelPipeline(
      // Run pipelines in parallel aggregating the result
      [
        imagegen, // Generate image
        new MarkImageForPlaybackSync(), // Mark image as needing sync w/audio during playback
      ],
      [monthPrepender, tts], // Create "Month: sentence" and output audio
      { frameOrder: FrameOrder.PIPELINE },
    ),
    output, // Output (a transport in the original; the files here)
  ]);

  const frames = [];
  for (const month of [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
  ].slice(0, monthCount)) {
    const messages = [
      {
        role: "user",
        content: `Describe a nature photograph suitable for use in a calendar, for the month of ${month}. Include only the image description with no preamble. Limit the description to one sentence, please.`,
      },
    ];
    frames.push(new MonthFrame(month));
    frames.push(new LLMContextFrame(new LLMContext(messages)));
  }

  const worker = new PipelineWorker(pipeline, {
    processorUnusablePolicy: ProcessorUnusablePolicy.END,
  });
  const errors = [];
  worker.on("pipelineError", (_worker, frame) => errors.push(frame.error));

  // The original queues the frames once a client connects; here the folder is always there.
  await worker.queueFrames([...frames, new EndFrame()]);
  await new WorkerRunner().run(worker);
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Run

/** A path as the user would type it: relative to here when it is below here. */
function shown(path) {
  const near = relative(process.cwd(), path);
  return near === "" ? "." : near.startsWith("..") ? path : near;
}

let backends;
try {
  backends = await resolveServiceBackends();
} catch (error) {
  // A base URL that is not one (e.g. OPENAI_BASE_URL=localhost:8787): named, nothing started.
  if (error instanceof SettingsValidationError) usage(error.message);
  throw error;
}
try {
  await mkdir(outDir, { recursive: true });
} catch (error) {
  await backends.close();
  process.stderr.write(
    `04-sync-speech-and-image: cannot create ${shown(outDir)}: ${error.message}\n`,
  );
  process.exit(1);
}
for (const line of backends.notices) process.stderr.write(`${line}\n`);

const output = new CalendarRecorder({
  outDir,
  monthOf: (frame) => (frame instanceof MonthFrame ? frame.month : undefined),
  onSegment: (segment) => {
    const files = [segment.image?.file, segment.audio?.file].filter(Boolean).join(", ");
    const seconds = segment.audio ? ` (${segment.audio.seconds.toFixed(1)} s)` : "";
    const problems = segment.problems.length > 0 ? ` [${segment.problems.join("; ")}]` : "";
    process.stdout.write(
      `${segment.spoken ?? segment.month}\n  -> ${files}${seconds}${problems}\n`,
    );
  },
});

let errors;
try {
  errors = await runBot(backends, output);
} finally {
  await backends.close();
}
const page = await output.writePage({ credits: calendarCredits(backends) });

const complete = output.segments.filter((s) => s.image && s.audio);
const months = new Set(complete.map((s) => s.monthNumber));
for (const error of errors) process.stderr.write(`error: ${error}\n`);
if (months.size !== monthCount || complete.length !== output.segments.length) {
  process.stderr.write(
    `Calendar incomplete: ${months.size} of ${monthCount} months have their image and speech. The page is ${shown(page)}\n`,
  );
  process.exit(1);
}
const counted = (n, noun) => `${n} ${noun}${n === 1 ? "" : "s"}`;
process.stdout.write(
  `Wrote ${counted(monthCount, "month")} (${counted(complete.length, "image")}, ${counted(complete.length, "WAV")}) to ${shown(outDir)}. Open ${shown(page)} to play them.\n`,
);
