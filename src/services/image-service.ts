// ImageGenService: turns TextFrames into image frames. Several prompts may be in flight at once
// (maxConcurrency), yet output leaves in prompt order: each prompt's TextFrame, then its images.
// Interruptions and CancelFrames abort everything in flight; every prompt that is not interrupted
// ends in its images or an ErrorFrame.
import type { Frame } from "../frames/base.js";
import { ErrorFrame } from "../frames/error.js";
import type { URLImageRawFrame } from "../frames/image.js";
import { CancelFrame, EndFrame, InterruptionFrame } from "../frames/lifecycle.js";
import {
  MetricsFrame,
  type ImageGenRequestMetricsData,
  type MetricsData,
} from "../frames/metrics.js";
import { ImageGenProgressFrame, type ImageGenLog, type ImageGenStage } from "../frames/progress.js";
import { ImageGenUpdateSettingsFrame, type SettingsMapping } from "../frames/settings.js";
import { InterimTranscriptionFrame, TextFrame } from "../frames/text.js";
import { FrameDirection } from "../processors/direction.js";
import { runDetached } from "../processors/lanes.js";
import { OutputSequencer, type OutputSlot } from "../processors/output-sequencer.js";
import { LinkedAbort } from "../utils/abort.js";
import {
  PipecatError,
  SettingsValidationError,
  brandErrorClass,
  describeError,
} from "../utils/errors.js";
import { Semaphore } from "../utils/semaphore.js";
import { AIService, type AIServiceOptions } from "./ai-service.js";
import type { ImageGenSettings, ServiceSettings } from "./settings.js";

export const DEFAULT_MAX_CONCURRENCY = 4;
/** More prompts in flight than this only queues them at fal and holds their output in memory. */
export const MAX_CONCURRENCY_LIMIT = 64;

export interface ImageGenServiceOptions<S extends ImageGenSettings> extends AIServiceOptions<S> {
  /** Prompts generated at once. Output order is kept whatever the value. Default 4; 1 = Pipecat's serial behaviour. */
  maxConcurrency?: number;
}

/** What a generation reports while it runs. */
export interface ImageGenProgressUpdate {
  stage: ImageGenStage;
  requestId?: string;
  queuePosition?: number;
  logs?: ImageGenLog[];
}

/** Everything a concrete service needs to generate one prompt. */
export interface ImageGenContext<S extends ImageGenSettings> {
  /** Aborted on interruption, CancelFrame, or the caller's own signal. */
  signal: AbortSignal;
  /** A snapshot of the settings when the prompt arrived: later updates do not affect it. */
  settings: S;
  /** The id of the TextFrame that asked for it (or a fresh number outside a pipeline). */
  promptId: number;
  progress(update: ImageGenProgressUpdate): void;
  /** Per-request facts (request id, timings, seed, bytes...), for metrics and observers. */
  report(facts: Omit<ImageGenRequestMetricsData, "type" | "processor" | "prompt">): void;
}

export interface RunImageGenOptions {
  signal?: AbortSignal;
  onProgress?: (update: ImageGenProgressUpdate) => void;
}

/** Thrown (and turned into an ErrorFrame) when a prompt is interrupted, so callers can tell it apart. */
export class ImageGenCancelledError extends PipecatError {
  static {
    brandErrorClass(ImageGenCancelledError, "ImageGenCancelledError", "IMAGE_GEN_CANCELLED_ERROR");
  }

  constructor() {
    super("Image generation was cancelled", { category: "cancelled" });
  }
}

let standalonePromptIds = 0;

export abstract class ImageGenService<S extends ImageGenSettings> extends AIService<S> {
  readonly maxConcurrency: number;
  readonly #sequencer: OutputSequencer;
  readonly #slots: Semaphore;
  /** Aborted and replaced at each interruption/cancel: every generation listens to the current one. */
  #epoch = new AbortController();

  constructor(options: ImageGenServiceOptions<S>) {
    super(options);
    const concurrency = options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY_LIMIT) {
      throw new SettingsValidationError(
        "maxConcurrency",
        concurrency,
        `an integer from 1 to ${MAX_CONCURRENCY_LIMIT}`,
      );
    }
    this.maxConcurrency = concurrency;
    this.#slots = new Semaphore(concurrency);
    this.#sequencer = new OutputSequencer((frame, direction) => this.pushFrame(frame, direction));
  }

  /** Generates images for one prompt; yields image frames in order, throws typed errors. */
  protected abstract generate(
    prompt: string,
    context: ImageGenContext<S>,
  ): AsyncGenerator<URLImageRawFrame>;

  /**
   * Generates outside a pipeline (Pipecat's run_image_gen): yields the image frames, then ends;
   * a failure is yielded as an ErrorFrame rather than thrown.
   */
  async *runImageGen(
    prompt: string,
    options: RunImageGenOptions = {},
  ): AsyncGenerator<URLImageRawFrame | ErrorFrame> {
    standalonePromptIds -= 1;
    const context = this.#context(
      prompt,
      standalonePromptIds,
      this.settingsStore.copy() as S,
      options.signal ?? new AbortController().signal,
      (update) => options.onProgress?.(update),
      () => undefined,
    );
    try {
      // Nothing is sent for a caller that already gave up.
      if (options.signal?.aborted) throw new ImageGenCancelledError();
      yield* this.generate(prompt, context);
    } catch (error) {
      // The caller's own abort is a cancellation, whatever the aborted call threw.
      yield this.#errorFrame(
        prompt,
        undefined,
        options.signal?.aborted && !(error instanceof ImageGenCancelledError)
          ? new ImageGenCancelledError()
          : error,
      );
    }
  }

  /** Which TextFrames start a generation. Interim transcriptions and blank text do not (Pipecat generates from both). */
  protected shouldGenerate(frame: TextFrame): boolean {
    return !(frame instanceof InterimTranscriptionFrame) && frame.text.trim().length > 0;
  }

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);

    if (frame instanceof InterruptionFrame || frame instanceof CancelFrame) {
      this.#abortInFlight();
      await this.pushFrame(frame, direction);
    } else if (frame instanceof TextFrame && this.shouldGenerate(frame)) {
      await this.#startGeneration(frame, direction, signal);
    } else if (
      frame instanceof ImageGenUpdateSettingsFrame &&
      (frame.service === undefined || frame.service === this)
    ) {
      await this.#applySettingsFrame(frame);
    } else if (frame.kind === "system" || direction === FrameDirection.UPSTREAM) {
      await this.pushFrame(frame, direction);
    } else {
      // Data and control frames keep their place behind the images of earlier prompts.
      const flushed = this.#sequencer.passThrough(frame, direction);
      if (frame instanceof EndFrame) await flushed;
    }
  }

  override async cleanup(): Promise<void> {
    this.#abortInFlight();
    await super.cleanup();
  }

  async #applySettingsFrame(frame: ImageGenUpdateSettingsFrame): Promise<void> {
    try {
      // A settings object or a plain object; anything else is refused with what to pass.
      await this.updateSettings(frame.delta as ServiceSettings | SettingsMapping);
    } catch (error) {
      await this.pushError(`Settings update rejected: ${describeError(error)}`, { cause: error });
    }
  }

  async #startGeneration(
    frame: TextFrame,
    direction: FrameDirection,
    frameSignal: AbortSignal,
  ): Promise<void> {
    const epoch = this.#epoch.signal;
    const prompt = frame.text;
    // The settings in force when the prompt arrived: an update frame after it applies to the next
    // prompt.
    const settings = this.settingsStore.copy() as S;
    this.#progress(frame.id, prompt, { stage: "queued" });
    const waiting = new LinkedAbort([epoch, frameSignal]);
    try {
      // Backpressure: wait for a slot here, so later frames stay queued in this processor.
      await this.#slots.acquire(waiting.signal);
    } catch {
      this.#progress(frame.id, prompt, { stage: "cancelled" });
      return;
    } finally {
      waiting.dispose();
    }
    const slot = this.#sequencer.open();
    // The slot is given back once this prompt's output has left (or was dropped), which bounds
    // how far ahead of a slow prompt the later ones can run.
    void slot.flushed.then(() => this.#slots.release());
    slot.emit(frame, direction);
    // The generation outlives this processFrame call: detach it from the run so its pushes are
    // governed by our own epoch (interruption) rather than by the TextFrame's processing run.
    void runDetached(() => this.#generateInto(slot, frame.id, prompt, settings, epoch));
  }

  async #generateInto(
    slot: OutputSlot,
    promptId: number,
    prompt: string,
    settings: S,
    epoch: AbortSignal,
  ): Promise<void> {
    const started = performance.now();
    let firstImageAt: number | undefined;
    const facts: MetricsData[] = [];
    const context = this.#context(
      prompt,
      promptId,
      settings,
      epoch,
      (update) => this.#progress(promptId, prompt, update),
      (data) => facts.push(data),
    );
    try {
      for await (const image of this.generate(prompt, context)) {
        if (epoch.aborted) break;
        firstImageAt ??= performance.now();
        slot.emit(image, FrameDirection.DOWNSTREAM);
      }
      if (epoch.aborted) {
        this.#progress(promptId, prompt, { stage: "cancelled" });
        return;
      }
      this.#progress(promptId, prompt, { stage: "completed" });
      if (this.metricsEnabled) {
        const model = this.metricsModel;
        const timing: MetricsData[] = [];
        if (firstImageAt !== undefined)
          timing.push({
            type: "ttfb",
            processor: this.name,
            model,
            value: (firstImageAt - started) / 1000,
          });
        timing.push({
          type: "processing",
          processor: this.name,
          model,
          value: (performance.now() - started) / 1000,
        });
        await this.pushFrame(new MetricsFrame([...timing, ...facts]), FrameDirection.DOWNSTREAM);
      }
    } catch (error) {
      if (epoch.aborted) {
        this.#progress(promptId, prompt, { stage: "cancelled" });
        return;
      }
      this.#progress(promptId, prompt, { stage: "failed" });
      await this.pushErrorFrame(this.#errorFrame(prompt, promptId, error));
    } finally {
      slot.close();
    }
  }

  #context(
    prompt: string,
    promptId: number,
    settings: S,
    signal: AbortSignal,
    progress: (update: ImageGenProgressUpdate) => void,
    collect: (data: ImageGenRequestMetricsData) => void,
  ): ImageGenContext<S> {
    return {
      signal,
      settings,
      promptId,
      progress,
      report: (facts) =>
        collect({ type: "image_gen_request", processor: this.name, prompt, ...facts }),
    };
  }

  #errorFrame(prompt: string, promptId: number | undefined, error: unknown): ErrorFrame {
    const message = describeError(error);
    const category = error instanceof PipecatError ? error.category : undefined;
    return new ErrorFrame(
      `Image generation failed for prompt ${JSON.stringify(shorten(prompt))}: ${message}`,
      {
        cause: error,
        category,
        processor: this,
        prompt,
        promptId,
      },
    );
  }

  #progress(promptId: number, prompt: string, update: ImageGenProgressUpdate): void {
    void this.pushFrame(
      new ImageGenProgressFrame({ promptId, prompt, ...update }),
      FrameDirection.DOWNSTREAM,
    );
  }

  /** Aborts every generation in flight and drops their pending output (uninterruptible frames survive). */
  #abortInFlight(): void {
    const epoch = this.#epoch;
    this.#epoch = new AbortController();
    epoch.abort(new ImageGenCancelledError());
    this.#sequencer.clear((frame) => frame.uninterruptible);
  }
}

function shorten(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
