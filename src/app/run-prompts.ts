// Runs prompts through a real pipeline, Pipeline([ErrorTap, FalImageGenService, collector]), and
// reports progress, images and failures by prompt index. Prompts may stream in (an async
// iterable): they are fed a few more than the service has in flight, so a million-line input runs
// in bounded memory and a slow pipeline slows the reading. Used by `pipecat-ts generate`; any
// front end with prompts to run in order can use it.
import type { Frame } from "../frames/base.js";
import type { ErrorFrame } from "../frames/error.js";
import { URLImageRawFrame } from "../frames/image.js";
import { EndFrame } from "../frames/lifecycle.js";
import { MetricsFrame, type ImageGenRequestMetricsData } from "../frames/metrics.js";
import { ImageGenProgressFrame, type ImageGenStage } from "../frames/progress.js";
import { TextFrame } from "../frames/text.js";
import type { FrameDirection } from "../processors/direction.js";
import { ErrorTap } from "../processors/error-tap.js";
import { FrameProcessor } from "../processors/frame-processor.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { PipelineRunner } from "../pipeline/runner.js";
import { PipelineTask } from "../pipeline/task.js";
import { FalImageGenService, type FalMode } from "../services/fal/image.js";
import type { FalImageGenSettings } from "../services/fal/settings.js";
import { onAbort } from "../utils/abort.js";
import type { ErrorCategory } from "../utils/errors.js";
import { describeFailure } from "./describe-failure.js";
import { promptProblem, type PromptEntry } from "./prompts.js";

export interface GeneratedImage {
  /** 0-based position of the prompt. */
  index: number;
  prompt: string;
  /** 0-based position of the image within its prompt's response. */
  imageIndex: number;
  bytes: Uint8Array;
  mimeType: string;
  width: number;
  height: number;
  requestId: string | undefined;
  seed: number | undefined;
}

export interface PromptFailure {
  /** -1 when the error belongs to no prompt (e.g. a rejected settings update). */
  index: number;
  prompt: string | undefined;
  /** One line, key removed, meant for users. */
  message: string;
  category: ErrorCategory | undefined;
  status: number | undefined;
}

/** What runPrompts reads: prompt texts, or entries that may carry a `problem` (not sent). */
export type PromptSource = Iterable<string | PromptEntry> | AsyncIterable<string | PromptEntry>;

export interface RunPromptsOptions {
  /**
   * The prompts, in order. An async iterable is read as the pipeline makes room (a few prompts
   * beyond those in flight), never all at once. Blank prompts are skipped; a prompt that breaks
   * the rules of app/prompts.ts (or an entry with a `problem`) is reported as that prompt's
   * failure, category "validation", and not sent.
   */
  prompts: PromptSource;
  settings?: FalImageGenSettings;
  /** fal key; "" = send none. Default: $FAL_KEY (read by the service). */
  key?: string;
  /** A fal-compatible server; undefined = fal.ai (or $FAL_BASE_URL). */
  baseUrl?: string;
  mode?: FalMode;
  maxConcurrency?: number;
  timeoutMs?: number;
  /** Aborting stops the reading and cancels the pipeline; prompts not finished are cancelled. */
  signal?: AbortSignal;
  /**
   * Keep images, failures and request facts in the result. Default true; pass false for an input
   * of unknown length (and use the callbacks), so memory does not grow with it.
   */
  collect?: boolean;
  /** A prompt was read and given its index (blank ones are not). */
  onPrompt?: (index: number, prompt: string) => void;
  /** Every prompt was read: `total` of them. */
  onInputEnd?: (total: number) => void;
  onProgress?: (index: number, stage: ImageGenStage, queuePosition: number | undefined) => void;
  /** Called in prompt order; awaited before the next image is handled. */
  onImage?: (image: GeneratedImage) => void | Promise<void>;
  onFailure?: (failure: PromptFailure) => void;
}

export interface RunPromptsResult {
  /** Empty with `collect: false`. */
  images: GeneratedImage[];
  /** In prompt order. Empty with `collect: false`. */
  failures: PromptFailure[];
  /** Per-request facts (model, request id, timings, bytes) from the service's metrics. */
  requests: ImageGenRequestMetricsData[];
  /** Prompts read (blank ones not counted), sent or not. */
  prompts: number;
  cancelled: boolean;
  elapsedMs: number;
  model: string;
}

/** A prompt fed to the pipeline, until everything about it has come back. */
interface PromptState {
  index: number;
  prompt: string;
  /** The service's last word on it: "completed", "failed" or "cancelled". */
  outcome: ImageGenStage | undefined;
  /** Its TextFrame has reached the collector (its turn in the output has come). */
  textPassed: boolean;
  /** Its ErrorFrame was recorded (expected once the outcome is "failed"). */
  errorSeen: boolean;
}

/**
 * Collects what reaches the end of the pipeline and maps it back to prompt indices. A prompt is
 * forgotten once nothing more can come back about it, so the bookkeeping stays as small as the
 * number of prompts in flight.
 */
class PromptCollector extends FrameProcessor {
  readonly images: GeneratedImage[] = [];
  readonly requests: ImageGenRequestMetricsData[] = [];
  /** TextFrame id → state, for prompts not yet forgotten. */
  readonly states = new Map<number, PromptState>();
  /** TextFrames that reached the end: prompts fed minus this is what the pipeline holds. */
  passed = 0;
  #current: PromptState | undefined;
  #previous: { id: number; state: PromptState } | undefined;
  #wake: (() => void) | undefined;

  constructor(private readonly options: RunPromptsOptions) {
    super({ name: "PromptCollector" });
  }

  /** Resolves when the next TextFrame has passed (or `signal` aborts). */
  passedOne(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const stop = signal ? onAbort(signal, () => resolve()) : () => undefined;
      this.#wake = () => {
        stop();
        resolve();
      };
    });
  }

  /**
   * Forgets a prompt once nothing more can come back about it: its outcome is known, its turn in
   * the output has passed (the next prompt's TextFrame went by, so its images are all out), and a
   * failure's ErrorFrame was recorded. A cancelled prompt is forgotten at once.
   */
  settle(id: number, state: PromptState): void {
    const done =
      state.outcome === "cancelled" ||
      (state.outcome !== undefined &&
        state.textPassed &&
        this.#current !== state &&
        (state.outcome !== "failed" || state.errorSeen));
    if (done) this.states.delete(id);
  }

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof TextFrame && this.states.has(frame.id)) {
      const state = this.states.get(frame.id) as PromptState;
      state.textPassed = true;
      const previous = this.#previous;
      this.#current = state;
      this.#previous = { id: frame.id, state };
      // The previous prompt's images are all out now.
      if (previous) this.settle(previous.id, previous.state);
      this.passed += 1;
      const wake = this.#wake;
      this.#wake = undefined;
      wake?.();
    } else if (frame instanceof URLImageRawFrame) {
      const state = this.#current;
      const index = state?.index ?? -1;
      const fal = (frame.metadata.fal ?? {}) as { requestId?: string; seed?: number };
      const image: GeneratedImage = {
        index,
        prompt: frame.prompt ?? state?.prompt ?? "",
        imageIndex: frame.imageIndex,
        bytes: frame.encoded ?? new Uint8Array(0),
        mimeType: frame.mimeType ?? "application/octet-stream",
        width: frame.size.width,
        height: frame.size.height,
        requestId: fal.requestId,
        seed: fal.seed,
      };
      if (this.options.collect !== false) this.images.push(image);
      if (this.options.onImage) await this.options.onImage(image);
    } else if (frame instanceof ImageGenProgressFrame) {
      const state = this.states.get(frame.promptId);
      if (state !== undefined) {
        this.options.onProgress?.(state.index, frame.stage, frame.queuePosition);
        if (
          frame.stage === "completed" ||
          frame.stage === "failed" ||
          frame.stage === "cancelled"
        ) {
          state.outcome = frame.stage;
          this.settle(frame.promptId, state);
        }
      }
    } else if (frame instanceof MetricsFrame && this.options.collect !== false) {
      for (const data of frame.data)
        if (data.type === "image_gen_request") this.requests.push(data);
    }
    await this.pushFrame(frame, direction);
  }
}

/**
 * Generates every prompt through `Pipeline([ErrorTap, FalImageGenService, PromptCollector])`.
 * Output is in prompt order. Never throws for a failed prompt: failures are returned (and
 * reported through `onFailure`); settings errors from the service constructor are thrown, and so
 * is an error reading `prompts` (after the pipeline has stopped).
 */
export async function runPrompts(options: RunPromptsOptions): Promise<RunPromptsResult> {
  const started = performance.now();
  const service = new FalImageGenService({
    key: options.key,
    baseUrl: options.baseUrl,
    settings: options.settings,
    mode: options.mode ?? "queue",
    maxConcurrency: options.maxConcurrency,
    timeoutMs: options.timeoutMs,
    decode: "deferred",
  });
  const model = String(service.settings.model);
  const collect = options.collect !== false;
  const failures: PromptFailure[] = [];
  const collector = new PromptCollector(options);
  // Prompts fed beyond those whose turn has come: enough to keep every slot busy, few enough that
  // the input is read only as fast as the pipeline works.
  const window = 2 * service.maxConcurrency + 2;

  const report = (failure: PromptFailure): void => {
    if (collect) failures.push(failure);
    options.onFailure?.(failure);
  };
  const recordFailure = (frame: ErrorFrame): void => {
    const { message, status } = describeFailure(frame, {
      model,
      baseUrl: options.baseUrl,
      key: options.key,
    });
    // The prompt whose TextFrame this error answers (identical prompts are told apart by frame id).
    const state = frame.promptId === undefined ? undefined : collector.states.get(frame.promptId);
    if (state !== undefined && frame.promptId !== undefined) {
      state.errorSeen = true;
      collector.settle(frame.promptId, state);
    }
    report({
      index: state?.index ?? -1,
      prompt: frame.prompt,
      message,
      category: frame.category,
      status,
    });
  };

  const pipeline = new Pipeline([
    new ErrorTap(recordFailure, { name: "ErrorTap" }),
    service,
    collector,
  ]);
  const task = new PipelineTask(pipeline, { params: { enableMetrics: collect } });
  const runner = new PipelineRunner({ handleSigint: false });
  // Aborted when the caller's signal aborts or the pipeline stops, whichever is first: the reader
  // stops waiting for input or for room then.
  const stop = new AbortController();
  let cancelled = false;
  const stopListening = options.signal
    ? onAbort(options.signal, () => {
        cancelled = true;
        stop.abort();
        void task.cancel();
      })
    : () => undefined;
  if (options.signal?.aborted) {
    cancelled = true;
    stop.abort();
  }
  const stopped = new Promise<"stopped">((resolve) => {
    if (stop.signal.aborted) resolve("stopped");
    else onAbort(stop.signal, () => resolve("stopped"));
  });

  let total = 0;
  let inputError: unknown;
  const feed = async (): Promise<void> => {
    const source = options.prompts;
    const iterator: AsyncIterator<string | PromptEntry> | Iterator<string | PromptEntry> =
      Symbol.asyncIterator in source
        ? (source as AsyncIterable<string | PromptEntry>)[Symbol.asyncIterator]()
        : (source as Iterable<string | PromptEntry>)[Symbol.iterator]();
    let fed = 0;
    let finished = false;
    try {
      while (!stop.signal.aborted) {
        // Waiting for input ends when the run is cancelled, even if no line ever comes.
        const next = await Promise.race([iterator.next(), stopped]);
        if (next === "stopped") break;
        if (next.done) {
          finished = true;
          break;
        }
        const item = next.value;
        const entry = typeof item === "string" ? { text: item } : item;
        const text = entry.text.trim();
        if (text === "" && entry.problem === undefined) continue;
        const index = total++;
        options.onPrompt?.(index, text);
        const problem = entry.problem ?? promptProblem(text);
        if (problem !== undefined) {
          report({
            index,
            prompt: text,
            message: `prompt ${index + 1} ${problem}.`,
            category: "validation",
            status: undefined,
          });
          continue;
        }
        const frame = new TextFrame(text);
        collector.states.set(frame.id, {
          index,
          prompt: text,
          outcome: undefined,
          textPassed: false,
          errorSeen: false,
        });
        await task.queueFrame(frame);
        fed += 1;
        while (fed - collector.passed >= window && !stop.signal.aborted)
          await collector.passedOne(stop.signal);
      }
    } catch (error) {
      inputError = error;
    }
    // Not awaited: a generator blocked on input finishes its pending read first.
    if (!finished) void Promise.resolve(iterator.return?.()).catch(() => undefined);
    if (finished) options.onInputEnd?.(total);
    await task.queueFrame(new EndFrame());
  };

  try {
    const running = runner.run(task).finally(() => stop.abort());
    await Promise.all([running, feed()]);
  } finally {
    stopListening();
    stop.abort();
  }
  if (inputError !== undefined) throw inputError;
  return {
    images: collector.images,
    failures: failures.sort((a, b) => a.index - b.index),
    requests: collector.requests,
    prompts: total,
    cancelled,
    elapsedMs: performance.now() - started,
    model,
  };
}
