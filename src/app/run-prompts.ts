// Runs a batch of prompts through a real pipeline, Pipeline([ErrorTap, FalImageGenService,
// collector]), and reports progress, images and failures by prompt index. Used by
// `pipecat-ts generate`; any front end with a fixed list of prompts can use it.
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
import type { ErrorCategory } from "../utils/errors.js";
import { describeFailure } from "./describe-failure.js";

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

export interface RunPromptsOptions {
  prompts: readonly string[];
  settings?: FalImageGenSettings;
  /** fal key; "" = send none. Default: $FAL_KEY (read by the service). */
  key?: string;
  /** A fal-compatible server; undefined = fal.ai (or $FAL_BASE_URL). */
  baseUrl?: string;
  mode?: FalMode;
  maxConcurrency?: number;
  timeoutMs?: number;
  /** Aborting cancels the pipeline; prompts not finished are reported cancelled. */
  signal?: AbortSignal;
  onProgress?: (index: number, stage: ImageGenStage, queuePosition: number | undefined) => void;
  /** Called in prompt order; awaited before the next image is handled. */
  onImage?: (image: GeneratedImage) => void | Promise<void>;
  onFailure?: (failure: PromptFailure) => void;
}

export interface RunPromptsResult {
  images: GeneratedImage[];
  failures: PromptFailure[];
  /** Per-request facts (model, request id, timings, bytes) from the service's metrics. */
  requests: ImageGenRequestMetricsData[];
  cancelled: boolean;
  elapsedMs: number;
  model: string;
}

/** Collects what reaches the end of the pipeline and maps it back to prompt indices. */
class PromptCollector extends FrameProcessor {
  readonly images: GeneratedImage[] = [];
  readonly requests: ImageGenRequestMetricsData[] = [];
  #current = -1;

  constructor(
    private readonly indexById: ReadonlyMap<number, number>,
    private readonly options: RunPromptsOptions,
  ) {
    super({ name: "PromptCollector" });
  }

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof TextFrame && this.indexById.has(frame.id)) {
      this.#current = this.indexById.get(frame.id) ?? -1;
    } else if (frame instanceof URLImageRawFrame) {
      const index = this.#current;
      const fal = (frame.metadata.fal ?? {}) as { requestId?: string; seed?: number };
      const image: GeneratedImage = {
        index,
        prompt: frame.prompt ?? this.options.prompts[index] ?? "",
        imageIndex: frame.imageIndex,
        bytes: frame.encoded ?? new Uint8Array(0),
        mimeType: frame.mimeType ?? "application/octet-stream",
        width: frame.size.width,
        height: frame.size.height,
        requestId: fal.requestId,
        seed: fal.seed,
      };
      this.images.push(image);
      if (this.options.onImage) await this.options.onImage(image);
    } else if (frame instanceof ImageGenProgressFrame) {
      const index = this.indexById.get(frame.promptId);
      if (index !== undefined) this.options.onProgress?.(index, frame.stage, frame.queuePosition);
    } else if (frame instanceof MetricsFrame) {
      for (const data of frame.data)
        if (data.type === "image_gen_request") this.requests.push(data);
    }
    await this.pushFrame(frame, direction);
  }
}

/**
 * Generates every prompt through `Pipeline([ErrorTap, FalImageGenService, PromptCollector])`.
 * Output is in prompt order. Never throws for a failed prompt: failures are returned (and
 * reported through `onFailure`); settings errors from the service constructor are thrown.
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
  const frames = options.prompts.map((prompt) => new TextFrame(prompt));
  const indexById = new Map(frames.map((frame, index) => [frame.id, index]));
  const failures: PromptFailure[] = [];
  const collector = new PromptCollector(indexById, options);

  const recordFailure = (frame: ErrorFrame): void => {
    const { message, status } = describeFailure(frame, {
      model,
      baseUrl: options.baseUrl,
      key: options.key,
    });
    // The prompt whose TextFrame this error answers (identical prompts are told apart by frame id).
    const index = frame.promptId === undefined ? -1 : (indexById.get(frame.promptId) ?? -1);
    const failure: PromptFailure = {
      index,
      prompt: frame.prompt,
      message,
      category: frame.category,
      status,
    };
    failures.push(failure);
    options.onFailure?.(failure);
  };

  const pipeline = new Pipeline([
    new ErrorTap(recordFailure, { name: "ErrorTap" }),
    service,
    collector,
  ]);
  const task = new PipelineTask(pipeline, { params: { enableMetrics: true } });
  const runner = new PipelineRunner({ handleSigint: false });
  let cancelled = false;
  const onAbort = (): void => {
    cancelled = true;
    void task.cancel();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });

  try {
    await task.queueFrames([...frames, new EndFrame()]);
    await runner.run(task);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
  return {
    images: collector.images,
    failures: failures.sort((a, b) => a.index - b.index),
    requests: collector.requests,
    cancelled,
    elapsedMs: performance.now() - started,
    model,
  };
}
