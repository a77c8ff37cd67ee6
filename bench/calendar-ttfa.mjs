// Calendar time to first audio (a section of `npm run bench`): from bot-ready to the first chunk of
// speech at the client, on the local twins with zero latency, against the twins' own time in the
// same run.
//
// The twins run as `pipecat-ts serve` children. The bot's path to the first audio is the example's critical path: the LLM writes January's
// sentence (streamed), then fal draws it and the TTS speaks "January: <sentence>" at once (the
// SyncParallelPipeline's two branches), and the output sends the image, then the first 40 ms chunk.
// The twins' own time is that path taken with plain HTTP requests, nothing else: the LLM's stream
// read to its end, then fal's sync run plus the image download and the TTS's whole body, in
// parallel. `overTwinsMs` = the bot's time − the twins' own (medians of `--rounds` runs, each a
// fresh session; the two alternate, so a slow moment hits both).
//
// Prints one JSON object. Usage: node bench/calendar-ttfa.mjs [--rounds 7]. Needs a build first.
import { parseArgs } from "node:util";
import { setLogger } from "../dist/index.js";
import { startDemoServer } from "../dist/web/demo.js";
import { FalImageGenSettings } from "../dist/services/fal/settings.js";
import { buildFalArguments } from "../dist/services/fal/models.js";
import {
  CartesiaHttpTTSService,
  buildCartesiaBytesRequest,
} from "../dist/services/cartesia/tts.js";
import { CARTESIA_EXAMPLE_VOICE_ID } from "../dist/services/cartesia/settings.js";
import { connectWire } from "./pipecat-wire.mjs";
import { bareCompletion, progress, quantile, round, startTwins } from "./lib.mjs";

export const TARGET_TTFA_OVER_TWINS_MS = 30;
const SAMPLE_RATE = 24_000;
const MODEL = "fal-ai/fast-sdxl";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "7" } } });

/** The calendar's speech settings with the service's defaults filled in (model, language...). */
const TTS_SETTINGS = new CartesiaHttpTTSService({
  apiKey: "",
  settings: new CartesiaHttpTTSService.Settings({ voice: CARTESIA_EXAMPLE_VOICE_ID }),
}).settings;

/** A twin's answer, or a thrown error: a refused request must not pass for a fast one. */
function ok(response) {
  if (!response.ok) throw new Error(`${response.url}: HTTP ${response.status}`);
  return response;
}

/** The twins' own time for January: LLM stream, then image and speech in parallel. */
async function twinsOwnMs(baseUrls) {
  const started = performance.now();
  // The LLM twin's URL without /v1: bareCompletion adds it.
  const { text: sentence } = await bareCompletion(baseUrls.openai.replace(/\/v1$/, ""), "January");
  const llmMs = performance.now() - started;
  const image = (async () => {
    const body = buildFalArguments(
      MODEL,
      new FalImageGenSettings({ imageSize: "square_hd" }),
      sentence,
    );
    const response = await fetch(`${baseUrls.fal}/run/${MODEL}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const result = await ok(response).json();
    await ok(await fetch(result.images[0].url)).arrayBuffer();
  })();
  const speech = (async () => {
    const response = await fetch(`${baseUrls.cartesia}/tts/bytes`, {
      method: "POST",
      headers: { "content-type": "application/json", "Cartesia-Version": "2026-03-01" },
      body: JSON.stringify(
        buildCartesiaBytesRequest(TTS_SETTINGS, `January: ${sentence}`, SAMPLE_RATE),
      ),
    });
    await ok(response).arrayBuffer();
  })();
  await Promise.all([image, speech]);
  return { totalMs: performance.now() - started, llmMs };
}

/** One fresh session: bot-ready → first audio chunk at the client. */
async function botTtfaMs(url) {
  let firstAudio;
  const gotAudio = new Promise((resolve) => {
    firstAudio = resolve;
  });
  const client = await connectWire(`${url.replace("http", "ws")}/ws`, {
    origin: url,
    onAudio: (_bytes, at) => firstAudio(at),
  });
  const { at: readyAt } = await client.ready();
  const audioAt = await gotAudio;
  client.close();
  return audioAt - readyAt;
}

export async function runCalendarTtfa({ rounds = 7 } = {}) {
  setLogger({ debug() {}, info() {}, warn() {}, error: (m) => progress(`error: ${m}`) });
  // The twins run in child processes (`pipecat-ts serve`, zero latency), as remote services would
  // (bench/calendar.mjs does the same): one draws the images, the other answers the LLM and speaks,
  // so that neither's work shares the bot's event loop or holds up the other.
  const [speaking, drawing] = await Promise.all([startTwins(), startTwins()]);
  const baseUrls = {
    openai: `${speaking.url}/v1`,
    cartesia: speaking.url,
    fal: drawing.url,
  };
  const demo = await startDemoServer({
    bot: "calendar",
    months: 1,
    port: 0,
    env: {
      OPENAI_BASE_URL: baseUrls.openai,
      CARTESIA_BASE_URL: baseUrls.cartesia,
      FAL_BASE_URL: baseUrls.fal,
    },
  });
  try {
    // Warm both paths once (first requests compile code and open connections).
    await twinsOwnMs(baseUrls);
    await botTtfaMs(demo.url);
    const bot = [];
    const own = [];
    const llm = [];
    for (let i = 0; i < rounds; i += 1) {
      const t = await twinsOwnMs(baseUrls);
      own.push(t.totalMs);
      llm.push(t.llmMs);
      bot.push(await botTtfaMs(demo.url));
      progress(`calendar ttfa: bot ${round(bot.at(-1), 1)} ms, twins ${round(t.totalMs, 1)} ms`);
    }
    const botMedian = quantile(bot, 0.5);
    const ownMedian = quantile(own, 0.5);
    return {
      rounds,
      speech: speaking.speech,
      botTtfaMs: {
        median: round(botMedian, 1),
        min: round(Math.min(...bot), 1),
        max: round(Math.max(...bot), 1),
      },
      twinsOwnMs: {
        median: round(ownMedian, 1),
        min: round(Math.min(...own), 1),
        max: round(Math.max(...own), 1),
        llmMedian: round(quantile(llm, 0.5), 1),
      },
      overTwinsMs: round(botMedian - ownMedian, 1),
      target: { overTwinsMs: TARGET_TTFA_OVER_TWINS_MS },
    };
  } finally {
    await demo.close();
    speaking.child.kill();
    drawing.child.kill();
  }
}

const result = await runCalendarTtfa({ rounds: Number(values.rounds) });
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
