// Shared helpers of the benchmarks: statistics, machine facts, and a running PipelineTask with a
// collector at the end that hands out each URLImageRawFrame as it arrives.
import { spawn } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { calendarPrompt } from "../dist/app/calendar.js";
import {
  EndFrame,
  ErrorFrame,
  FalImageGenService,
  FrameProcessor,
  Pipeline,
  PipelineTask,
  TextFrame,
  URLImageRawFrame,
} from "../dist/index.js";

/** Progress goes to stderr; stdout carries only the JSON result. */
export function progress(line) {
  process.stderr.write(`[bench] ${line}\n`);
}

export const round = (value, digits = 2) =>
  value === undefined || value === null || !Number.isFinite(value)
    ? null
    : Number(value.toFixed(digits));

/** Value at quantile q (0..1) of a sample, linear interpolation between closest ranks. */
export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function summary(values, digits = 2) {
  return {
    n: values.length,
    medianMs: round(quantile(values, 0.5), digits),
    p95Ms: round(quantile(values, 0.95), digits),
    minMs: round(Math.min(...values), digits),
  };
}

/** A seeded xorshift generator in [0, 1): runs are repeatable. */
export function seededRandom(seed = 0x2545f491) {
  let state = seed | 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

/** A shuffled copy (Fisher–Yates): each round runs its candidates in a fresh order, so no candidate always follows the same one. */
export function shuffled(items, rand) {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * 95% bootstrap interval of median(a) − median(b) (independent samples), to tell a difference
 * from noise. Deterministic (seeded), 2,000 resamples.
 */
export function medianDiffInterval(a, b, resamples = 2000) {
  const rand = seededRandom();
  const resample = (xs) => Array.from(xs, () => xs[Math.floor(rand() * xs.length)]);
  const diffs = [];
  for (let i = 0; i < resamples; i += 1)
    diffs.push(quantile(resample(a), 0.5) - quantile(resample(b), 0.5));
  return [round(quantile(diffs, 0.025)), round(quantile(diffs, 0.975))];
}

export function machine() {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpuModel: cpus[0]?.model?.trim() ?? "unknown",
    cores: typeof os.availableParallelism === "function" ? os.availableParallelism() : cpus.length,
    totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
    uvThreadpoolSize: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
  };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The last processor of a benchmark pipeline (an ordinary queued processor, not direct mode):
 * forwards every frame and hands each URLImageRawFrame / ErrorFrame to whoever waits for it.
 */
export class Collector extends FrameProcessor {
  #waiters = [];
  #arrived = [];

  async processFrame(frame, direction, signal) {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof URLImageRawFrame || frame instanceof ErrorFrame) {
      const at = performance.now();
      const waiter = this.#waiters.shift();
      if (waiter) waiter({ frame, at });
      else this.#arrived.push({ frame, at });
    }
    await this.pushFrame(frame, direction);
  }

  /** The next image (or error) frame to arrive, with its arrival time (performance.now()). */
  next(timeoutMs = 30_000) {
    const ready = this.#arrived.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no image frame within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#waiters.push((item) => {
        clearTimeout(timer);
        resolve(item);
      });
    });
  }
}

/** A FalImageGenService inside a running PipelineTask: [service, collector]. */
export async function startImagePipeline(serviceOptions) {
  const service = new FalImageGenService(serviceOptions);
  const collector = new Collector({ name: "Collector" });
  const task = new PipelineTask(new Pipeline([service, collector]));
  const errors = [];
  task.on("pipelineError", (_task, frame) => errors.push(frame));
  let markStarted;
  const started = new Promise((resolve) => (markStarted = resolve));
  task.on("pipelineStarted", () => markStarted());
  const running = task.run();
  await Promise.race([started, running]);
  return {
    service,
    collector,
    task,
    errors,
    /** Queues a prompt; resolves with the image frame and ms from just before queueing to arrival. */
    async generate(prompt) {
      const t0 = performance.now();
      await task.queueFrame(new TextFrame(prompt));
      const { frame, at } = await collector.next();
      if (frame instanceof ErrorFrame)
        throw new Error(`generation failed: ${frame.error ?? frame}`);
      return { frame, ms: at - t0 };
    },
    async stop() {
      await task.queueFrame(new EndFrame());
      await running;
    },
  };
}

/** Starts `pipecat-ts serve` (zero latency) in a child and resolves with its URL and engine line. */
export function startTwins() {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        fileURLToPath(new URL("../dist/cli/main.js", import.meta.url)),
        "serve",
        "--port",
        "0",
        "--inference-ms",
        "0",
        "--latency-ms",
        "0",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 20_000);
    child.stdout.setEncoding("utf8").on("data", (text) => {
      out += text;
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      const speech = /Cartesia: \S+ \(a speech twin; (speech: [^\n]*)\)/.exec(out)?.[1];
      if (url && speech && out.includes("Ctrl-C to stop")) {
        clearTimeout(timer);
        resolve({ child, url, speech });
      }
    });
    child.on("exit", (code) => reject(new Error(`serve exited (${code}): ${out}`)));
  });
}

/** Streams one chat completion to its [DONE]: first content delta and end, in ms, and the text. */
export async function bareCompletion(url, month) {
  const started = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "gpt-4.1",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: calendarPrompt(month) }],
    }),
  });
  const decoder = new TextDecoder();
  let buffer = "";
  let text = "";
  let firstTokenMs;
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let cut = buffer.indexOf("\n\n");
    while (cut >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      cut = buffer.indexOf("\n\n");
      const data = event.replace(/^data: /, "");
      if (data === "[DONE]") continue;
      const delta = JSON.parse(data).choices?.[0]?.delta?.content;
      if (delta) {
        firstTokenMs ??= performance.now() - started;
        text += delta;
      }
    }
  }
  return { firstTokenMs, wholeMs: performance.now() - started, text: text.trim() };
}
