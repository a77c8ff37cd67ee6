// How fast the local speech engines are: for a 20-word sentence at 24 kHz (the pipeline's output
// rate), the time to the first audio chunk and to the last, and the real-time factor (synthesis
// time ÷ audio duration; below 1 is faster than real time). Later benches of the Cartesia twin can
// subtract these to show their own overhead.
//
//   npm run build && node bench/speech-synth.mjs [--rounds N]      (prints one JSON object)
//
// espeak-ng is measured when it is installed (otherwise its entry says why not); the built-in
// formant synthesizer always is. Rounds alternate between the engines so drift hits both alike.
import { EspeakSynthesizer, FormantSynthesizer, findEspeak } from "../dist/audio/synth/index.js";
import { machine, progress, quantile, round } from "./lib.mjs";

const argRounds = process.argv.indexOf("--rounds");
const ROUNDS = argRounds > 0 ? Number(process.argv[argRounds + 1]) : 30;
const WARMUP = 3;
const SAMPLE_RATE = 24_000;
const SENTENCE =
  "January: a quiet snowy village at dusk, with warm lights glowing in every window while the first stars appear overhead.";

async function once(synth) {
  const started = performance.now();
  let firstChunkMs;
  let bytes = 0;
  for await (const chunk of synth.synthesize({ text: SENTENCE, sampleRate: SAMPLE_RATE })) {
    firstChunkMs ??= performance.now() - started;
    bytes += chunk.byteLength;
  }
  const totalMs = performance.now() - started;
  return { firstChunkMs, totalMs, audioSeconds: bytes / 2 / SAMPLE_RATE };
}

function report(samples) {
  const first = samples.map((s) => s.firstChunkMs);
  const total = samples.map((s) => s.totalMs);
  const audioSeconds = samples[0].audioSeconds;
  const totalMedian = quantile(total, 0.5);
  return {
    rounds: samples.length,
    audioSeconds: round(audioSeconds, 3),
    firstChunkMs: { median: round(quantile(first, 0.5)), p95: round(quantile(first, 0.95)) },
    totalMs: { median: round(totalMedian), p95: round(quantile(total, 0.95)) },
    realTimeFactor: round(totalMedian / 1000 / audioSeconds, 4),
    firstChunkRealTimeFactor: round(quantile(first, 0.5) / 1000 / audioSeconds, 4),
  };
}

async function main() {
  const words = SENTENCE.split(/\s+/).length;
  const engines = { builtin: new FormantSynthesizer({ reason: "measured" }) };
  const found = await findEspeak();
  let espeak = { skipped: "reason" in found ? found.reason : undefined };
  if ("program" in found) engines.espeak = new EspeakSynthesizer(found);

  const samples = Object.fromEntries(Object.keys(engines).map((name) => [name, []]));
  progress(`speech synthesis: ${words} words at ${SAMPLE_RATE} Hz, ${ROUNDS} rounds`);
  for (let i = 0; i < WARMUP + ROUNDS; i += 1) {
    for (const [name, synth] of Object.entries(engines)) {
      const sample = await once(synth);
      if (i >= WARMUP) samples[name].push(sample);
    }
  }
  if (engines.espeak) espeak = { describe: engines.espeak.describe(), ...report(samples.espeak) };
  const result = {
    timestamp: new Date().toISOString(),
    machine: machine(),
    sentence: SENTENCE,
    words,
    sampleRate: SAMPLE_RATE,
    espeak,
    builtin: { describe: engines.builtin.describe(), ...report(samples.builtin) },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();
