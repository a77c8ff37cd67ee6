// Audio pacing drift (a section of `npm run bench`): how far the output transport's real-time
// clock drifts over a long utterance.
//
// A WebsocketServerTransport pipeline on 127.0.0.1 gets 60 s of 24 kHz TTS audio (as 3 s
// sentences, the way an HTTP TTS delivers them) and a `ws` client records when each 40 ms chunk
// arrives (performance.now()). The schedule the transport keeps (Pipecat's): chunks 0 and 1 at
// once, chunk k at t0 + (k − 1) × 40 ms (t0 fitted on the first second). How late the last second
// of chunks is against that schedule (median), per minute of audio, is `wallDriftMsPerMinute`. When the event loop stalls for longer than a chunk
// (a loaded machine), the transport restarts its schedule from now rather than burst (Pipecat's
// rule), and the time lost that way is counted by the transport itself (`stalls`);
// `clockDriftMsPerMinute` is the drift without it: the clock's own, which the target (≤ 20 ms/min)
// is about. The load average is reported alongside, to read the stalls by.
//
// Prints one JSON object. Usage: node bench/audio-pacing.mjs [--seconds 60]. Needs a build first.
import os from "node:os";
import { pathToFileURL } from "node:url";
import { WebSocket } from "ws";
import {
  EndFrame,
  Pipeline,
  PipelineTask,
  ProtobufFrameSerializer,
  TTSAudioRawFrame,
  TTSStartedFrame,
  TTSStoppedFrame,
  WebsocketServerTransport,
  InputAudioRawFrame,
  setLogger,
} from "../dist/index.js";
import { quantile, round } from "./lib.mjs";

const SAMPLE_RATE = 24_000;
const CHUNK_MS = 40;
const SENTENCE_SECONDS = 3;
export const TARGET_DRIFT_MS_PER_MINUTE = 20;

function sentence(seconds) {
  const samples = new Int16Array(Math.round(seconds * SAMPLE_RATE));
  for (let i = 0; i < samples.length; i += 1) samples[i] = Math.round(8000 * Math.sin(i / 20));
  return new TTSAudioRawFrame({ audio: new Uint8Array(samples.buffer), sampleRate: SAMPLE_RATE });
}

/** Runs the measurement; resolves with the result object (does not print). */
export async function runAudioPacing({ seconds = 60 } = {}) {
  setLogger({ debug() {}, info() {}, warn() {}, error() {} });
  const transport = new WebsocketServerTransport({ port: 0, params: { audioOutEnabled: true } });
  const task = new PipelineTask(new Pipeline([transport.input(), transport.output()]));
  const ready = new Promise((resolve) =>
    transport.on("websocketReady", (_t, a) => resolve(a.port)),
  );
  const running = task.run();
  const port = await ready;

  const serializer = new ProtobufFrameSerializer();
  const arrivals = [];
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  ws.on("message", (data) => {
    const at = performance.now();
    const frame = serializer.deserialize(new Uint8Array(data));
    if (frame instanceof InputAudioRawFrame) arrivals.push({ at, bytes: frame.audio.byteLength });
  });
  const closed = new Promise((resolve) => ws.once("close", resolve));
  // Wait until the transport has the client, then speak.
  while (transport.client === undefined) await new Promise((r) => setTimeout(r, 5));

  const frames = [new TTSStartedFrame()];
  for (let left = seconds; left > 0; left -= SENTENCE_SECONDS)
    frames.push(sentence(Math.min(SENTENCE_SECONDS, left)));
  frames.push(new TTSStoppedFrame(), new EndFrame());
  const started = performance.now();
  await task.queueFrames(frames);
  await running;
  await closed;
  const wallSeconds = (performance.now() - started) / 1000;

  const expectedChunks = Math.ceil((seconds * 1000) / CHUNK_MS);
  // Anchor the schedule on its first second rather than on chunk 0 alone (one chunk's jitter
  // would tilt the whole measurement).
  const offsets = arrivals.slice(1, 26).map((a, i) => a.at - i * CHUNK_MS);
  const t0 = offsets.length > 0 ? quantile(offsets, 0.5) : Number.NaN;
  const lateness = arrivals.map((a, k) => a.at - (t0 + Math.max(0, k - 1) * CHUNK_MS));
  // Where the schedule stands at the end: the median lateness of the last second's chunks.
  const last = quantile(lateness.slice(-25), 0.5);
  const audioMs = arrivals.reduce((n, a) => n + a.bytes, 0) / ((SAMPLE_RATE * 2) / 1000);
  const stalls = transport.output().pacingStats;
  const wallDrift = (last / audioMs) * 60_000;
  const clockDrift = ((last - stalls.behindMs) / audioMs) * 60_000;
  return {
    audioSeconds: round(audioMs / 1000, 3),
    chunks: arrivals.length,
    expectedChunks,
    chunkMs: CHUNK_MS,
    firstToLastArrivalMs: round((arrivals.at(-1)?.at ?? Number.NaN) - (arrivals[0]?.at ?? 0), 1),
    scheduledFirstToLastMs: (arrivals.length - 2) * CHUNK_MS,
    lastSecondLateMs: round(last, 2),
    clockDriftMsPerMinute: round(clockDrift, 2),
    wallDriftMsPerMinute: round(wallDrift, 2),
    stalls: { resets: stalls.resets, behindMs: round(stalls.behindMs, 1) },
    loadAverage1m: round(os.loadavg()[0], 2),
    chunkLatenessMs: {
      p50: round(quantile(lateness, 0.5), 2),
      p99: round(quantile(lateness, 0.99), 2),
      max: round(Math.max(...lateness), 2),
      min: round(Math.min(...lateness), 2),
    },
    wallSeconds: round(wallSeconds, 2),
    target: `≤ ${TARGET_DRIFT_MS_PER_MINUTE} ms/min`,
    met: Math.abs(clockDrift) <= TARGET_DRIFT_MS_PER_MINUTE && arrivals.length === expectedChunks,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const i = process.argv.indexOf("--seconds");
  const seconds = i >= 0 ? Number(process.argv[i + 1]) : 60;
  const result = await runAudioPacing({ seconds });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
