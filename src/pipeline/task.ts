// PipelineTask (Pipecat's PipelineWorker): runs a pipeline from StartFrame to EndFrame/CancelFrame.
//
// run(): sets the processors up, sends a StartFrame and waits for it to reach the bottom, then
// feeds the frames given to queueFrame() one after another. It returns when an EndFrame (or
// StopFrame) went all the way through, or when a CancelFrame ended the task. Unlike Pipecat,
// cancel() preempts everything: the CancelFrame does not wait behind a queued EndFrame.
import { DataFrame, Frame } from "../frames/base.js";
import { ErrorFrame } from "../frames/error.js";
import {
  CancelFrame,
  CancelTaskFrame,
  EndFrame,
  EndTaskFrame,
  InterruptionFrame,
  InterruptionTaskFrame,
  StartFrame,
  StopFrame,
} from "../frames/lifecycle.js";
import { MetricsFrame, type MetricsData } from "../frames/metrics.js";
import type { BaseObserver } from "../observers/base-observer.js";
import { TaskObserver } from "../observers/task-observer.js";
import { FrameDirection } from "../processors/direction.js";
import { EventEmitter, type EventHandler } from "../processors/events.js";
import { describeError } from "../utils/errors.js";
import { FrameProcessor } from "../processors/frame-processor.js";
import { isSettledNoop, runDetached, settledNoop } from "../processors/lanes.js";
import { Fifo } from "../processors/queues.js";
import { nextObjectId, nextObjectName } from "../utils/ids.js";
import { logger } from "../utils/logger.js";

/** Pipecat's defaults: how long to wait for the StartFrame, and for a CancelFrame, to reach the end. */
export const DEFAULT_START_TIMEOUT_SECS = 20;
export const DEFAULT_CANCEL_TIMEOUT_SECS = 20;
import { Pipeline, PipelineSink, PipelineSource } from "./pipeline.js";

/** Any frame class, abstract ones (DataFrame, SystemFrame...) included. */
export type FrameClass = abstract new (...args: never[]) => Frame;

/** What the task does when an ErrorFrame reports a processor that became unusable. */
export type ProcessorUnusablePolicy = "continue" | "end" | "cancel";
export const ProcessorUnusablePolicy = {
  CONTINUE: "continue",
  END: "end",
  CANCEL: "cancel",
} as const;

export interface PipelineParams {
  /** Sample rate of input audio, carried by the StartFrame; default 16000. */
  audioInSampleRate?: number;
  /** Sample rate of output audio (TTS, transports), carried by the StartFrame; default 24000. */
  audioOutSampleRate?: number;
  enableMetrics?: boolean;
  enableUsageMetrics?: boolean;
  reportOnlyInitialTtfb?: boolean;
  /** With metrics enabled, push one MetricsFrame with zero entries at start. Default true. */
  sendInitialEmptyMetrics?: boolean;
  /** Copied into StartFrame.metadata. */
  startMetadata?: Record<string, unknown>;
}

export interface PipelineTaskOptions {
  name?: string;
  params?: PipelineParams;
  observers?: BaseObserver[];
  /**
   * Cancel (see cancelOnIdleTimeout) after this many seconds without activity. Default undefined:
   * off (Pipecat's default of 300 s made image-only pipelines cancel themselves). null = off too.
   */
  idleTimeoutSecs?: number | null;
  /** Frames whose push anywhere counts as activity. Default [DataFrame]; a StartFrame always counts. */
  idleTimeoutFrames?: FrameClass[];
  /** Default true; when false the idleTimeout event still fires (once per idle period). */
  cancelOnIdleTimeout?: boolean;
  /** How long to wait for a CancelFrame to reach the bottom. Default 20. */
  cancelTimeoutSecs?: number;
  /** How long to wait for the StartFrame to reach the bottom before cancelling. Default 20. */
  startTimeoutSecs?: number;
  /** Default "continue". */
  processorUnusablePolicy?: ProcessorUnusablePolicy;
}

export interface PipelineTaskEvents {
  pipelineStarted: [task: PipelineTask, frame: StartFrame];
  pipelineFinished: [task: PipelineTask, frame: EndFrame | StopFrame | CancelFrame];
  pipelineError: [task: PipelineTask, frame: ErrorFrame];
  frameReachedUpstream: [task: PipelineTask, frame: Frame];
  frameReachedDownstream: [task: PipelineTask, frame: Frame];
  idleTimeout: [task: PipelineTask];
  pipelineTimeout: [task: PipelineTask, frame: Frame];
}

class Deferred<T> {
  resolve!: (value: T) => void;
  settled = false;
  readonly promise: Promise<T>;
  constructor() {
    this.promise = new Promise<T>((resolve) => {
      this.resolve = (value: T) => {
        this.settled = true;
        resolve(value);
      };
    });
  }
}

/** A timer as a promise; cancel() clears it so it never keeps the process alive. */
function timeout(ms: number): { promise: Promise<"timeout">; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/** The task's queue of downstream frames. wait() resolves at the next put() or wake(). */
class FrameInbox {
  readonly #items = new Fifo<Frame>();
  #waiter: (() => void) | undefined;

  put(frame: Frame): void {
    this.#items.push(frame);
    this.wake();
  }

  shift(): Frame | undefined {
    return this.#items.shift();
  }

  wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  wait(): Promise<void> {
    return new Promise<void>((resolve) => (this.#waiter = resolve));
  }
}

interface CancelRequest {
  cancel: CancelFrame;
}

function matches(frame: Frame, types: readonly FrameClass[]): boolean {
  for (const type of types) if (frame instanceof type) return true;
  return false;
}

export class PipelineTask {
  readonly id: number;
  readonly name: string;
  readonly #userPipeline: FrameProcessor;
  readonly #pipeline: Pipeline;
  readonly #source: PipelineSource;
  readonly #sink: PipelineSink;
  readonly #observer: TaskObserver;
  readonly #events: EventEmitter<PipelineTaskEvents>;
  readonly #pendingEvents = new Set<Promise<void>>();
  readonly #inbox = new FrameInbox();
  readonly #params: PipelineParams;
  readonly #options: PipelineTaskOptions;

  #state: "idle" | "running" | "finished" = "idle";
  readonly #cancelRequest = new Deferred<CancelRequest>();
  readonly #startReached = new Deferred<void>();
  readonly #endReached = new Deferred<EndFrame | StopFrame>();
  readonly #cancelReached = new Deferred<void>();
  #cancelSent = false;
  #finishedFired = false;
  readonly #unusable = new Set<FrameProcessor>();
  #reachedUpstream: FrameClass[] = [];
  #reachedDownstream: FrameClass[] = [];

  #idleTimer: NodeJS.Timeout | undefined;
  #lastActivity = 0;

  constructor(pipeline: FrameProcessor, options: PipelineTaskOptions = {}) {
    if (!(pipeline instanceof FrameProcessor))
      throw new TypeError("PipelineTask expects a FrameProcessor (usually a Pipeline)");
    this.id = nextObjectId();
    this.name = options.name ?? nextObjectName(new.target.name);
    this.#options = options;
    this.#params = options.params ?? {};
    this.#userPipeline = pipeline;
    this.#events = new EventEmitter<PipelineTaskEvents>(this.name);
    this.#observer = new TaskObserver(options.observers ?? []);
    this.#source = new PipelineSource((frame) => this.#onTop(frame), {
      name: `${this.name}::Source`,
    });
    this.#sink = new PipelineSink((frame) => this.#onBottom(frame), { name: `${this.name}::Sink` });
    this.#pipeline = new Pipeline([pipeline], {
      name: `${this.name}::Pipeline`,
      source: this.#source,
      sink: this.#sink,
    });
  }

  /** The pipeline given to the constructor. */
  get pipeline(): FrameProcessor {
    return this.#userPipeline;
  }

  get params(): Readonly<PipelineParams> {
    return this.#params;
  }

  // ---------------------------------------------------------------------------------------------
  // Events, observers, filters

  on<K extends keyof PipelineTaskEvents>(
    event: K,
    handler: EventHandler<PipelineTaskEvents[K]>,
  ): void {
    this.#events.on(event, handler);
  }

  off<K extends keyof PipelineTaskEvents>(
    event: K,
    handler: EventHandler<PipelineTaskEvents[K]>,
  ): void {
    this.#events.off(event, handler);
  }

  addObserver(observer: BaseObserver): void {
    this.#observer.addObserver(observer);
  }

  removeObserver(observer: BaseObserver): void {
    this.#observer.removeObserver(observer);
  }

  /** Frame types that fire frameReachedUpstream when they reach the top of the pipeline. */
  setReachedUpstreamFilter(types: Iterable<FrameClass>): void {
    this.#reachedUpstream = [...types];
  }

  addReachedUpstreamFilter(types: Iterable<FrameClass>): void {
    this.#reachedUpstream.push(...types);
  }

  /** Frame types that fire frameReachedDownstream when they reach the bottom of the pipeline. */
  setReachedDownstreamFilter(types: Iterable<FrameClass>): void {
    this.#reachedDownstream = [...types];
  }

  addReachedDownstreamFilter(types: Iterable<FrameClass>): void {
    this.#reachedDownstream.push(...types);
  }

  /** Fires an event in the background; run() waits for every handler before it returns. */
  #fire<K extends keyof PipelineTaskEvents>(event: K, ...args: PipelineTaskEvents[K]): void {
    if (!this.#events.has(event)) return;
    const pending = runDetached(() => this.#events.emit(event, ...args));
    this.#pendingEvents.add(pending);
    void pending.finally(() => this.#pendingEvents.delete(pending));
  }

  // ---------------------------------------------------------------------------------------------
  // Feeding the pipeline

  /**
   * Downstream frames go through the task's queue (after the StartFrame, one after another);
   * upstream frames enter at the bottom of the pipeline at once. A CancelFrame cancels.
   */
  async queueFrame(
    frame: Frame,
    direction: FrameDirection = FrameDirection.DOWNSTREAM,
  ): Promise<void> {
    if (this.#state === "finished") {
      logger.debug(`${this.name}: finished; ${frame} ignored`);
      return;
    }
    if (direction === FrameDirection.UPSTREAM) {
      await runDetached(() => this.#sink.queueFrame(frame, FrameDirection.UPSTREAM));
      return;
    }
    this.#queueDownstream(frame);
  }

  #queueDownstream(frame: Frame): void {
    if (this.#state === "finished") {
      logger.debug(`${this.name}: finished; ${frame} ignored`);
      return;
    }
    if (frame instanceof CancelFrame) {
      this.#requestCancel(frame);
      return;
    }
    this.#inbox.put(frame);
  }

  async queueFrames(
    frames: Iterable<Frame> | AsyncIterable<Frame>,
    direction: FrameDirection = FrameDirection.DOWNSTREAM,
  ): Promise<void> {
    if (direction === FrameDirection.DOWNSTREAM && Symbol.iterator in frames) {
      // Downstream frames only go to the task's queue: no need to await each one.
      for (const frame of frames) this.#queueDownstream(frame);
      return;
    }
    for await (const frame of frames) await this.queueFrame(frame, direction);
  }

  /** Ends gracefully once everything queued before has gone through (queues an EndFrame). */
  async stopWhenDone(): Promise<void> {
    await this.queueFrame(new EndFrame());
  }

  /** Cancels now: a CancelFrame goes straight into the pipeline, ahead of anything queued. */
  async cancel(reason?: string): Promise<void> {
    this.#requestCancel(new CancelFrame(reason));
  }

  #requestCancel(frame: CancelFrame): void {
    if (this.#state === "finished" || this.#cancelRequest.settled || this.#finishedFired) return;
    const request = { cancel: frame };
    this.#cancelRequest.resolve(request);
    this.#inbox.wake();
  }

  hasFinished(): boolean {
    return this.#state === "finished";
  }

  // ---------------------------------------------------------------------------------------------
  // Running

  async run(): Promise<void> {
    if (this.#state !== "idle") throw new Error(`${this.name}: run() was already called`);
    this.#state = "running";
    let terminal: Frame | undefined;
    try {
      await runDetached(() =>
        this.#pipeline.setup({
          observer: this.#observer,
          enableMetrics: this.#params.enableMetrics ?? false,
          reportOnlyInitialTtfb: this.#params.reportOnlyInitialTtfb ?? false,
          task: this,
        }),
      );
      this.#startIdleMonitor();
      terminal = await this.#drive();
    } finally {
      this.#stopIdleMonitor();
      if (!(terminal instanceof StopFrame)) {
        try {
          await runDetached(() => this.#pipeline.cleanup());
        } catch (error) {
          logger.error(`${this.name}: cleanup failed: ${describeError(error)}`);
        }
      }
      await this.#observer.drain(1000);
      this.#observer.stop();
      while (this.#pendingEvents.size > 0) await Promise.all([...this.#pendingEvents]);
      this.#state = "finished";
    }
  }

  async #drive(): Promise<Frame> {
    const cancelled = this.#cancelRequest.promise;
    const start = new StartFrame({
      audioInSampleRate: this.#params.audioInSampleRate,
      audioOutSampleRate: this.#params.audioOutSampleRate,
      enableMetrics: this.#params.enableMetrics,
      enableUsageMetrics: this.#params.enableUsageMetrics,
      reportOnlyInitialTtfb: this.#params.reportOnlyInitialTtfb,
      metadata: this.#params.startMetadata,
    });
    this.#inject(start);
    const startTimer = timeout(
      (this.#options.startTimeoutSecs ?? DEFAULT_START_TIMEOUT_SECS) * 1000,
    );
    const started = await Promise.race([
      this.#startReached.promise.then(() => "started" as const),
      cancelled,
      startTimer.promise,
    ]);
    startTimer.cancel();
    if (started === "timeout") {
      logger.warn(
        `${this.name}: the StartFrame did not reach the end of the pipeline in time; cancelling`,
      );
      this.#fire("pipelineTimeout", this, start);
      return this.#cancelPipeline(new CancelFrame("start timeout"));
    }
    if (started !== "started") return this.#cancelPipeline(started.cancel);

    this.#fire("pipelineStarted", this, start);
    this.#observer.onPipelineStarted();
    if (this.#params.enableMetrics && this.#params.sendInitialEmptyMetrics !== false) {
      const data: MetricsData[] = this.#pipeline
        .processorsWithMetrics()
        .flatMap((p): MetricsData[] => [
          { type: "ttfb", processor: p.name, value: 0 },
          { type: "processing", processor: p.name, value: 0 },
        ]);
      this.#inject(new MetricsFrame(data));
    }

    // One race for the whole feed (a race per frame against the never-settling cancel promise
    // would pile a reaction onto it per frame). On a cancel the feed is abandoned: it stops at its
    // next step, and a queueFrame() that hangs (a direct-mode processor at the head) is not waited
    // for.
    const outcome = await Promise.race([this.#feed(), cancelled]);
    if (outcome === undefined) return this.#cancelPipeline((await cancelled).cancel);
    if (!(outcome instanceof Frame)) return this.#cancelPipeline(outcome.cancel);
    return outcome;
  }

  /**
   * Feeds the task's queue into the pipeline, one frame after another, until an EndFrame or
   * StopFrame has gone through (returned), or a cancel was requested (undefined).
   */
  async #feed(): Promise<EndFrame | StopFrame | undefined> {
    let sinceYield = 0;
    for (;;) {
      if (this.#cancelRequest.settled) return undefined;
      const frame = this.#inbox.shift();
      if (frame === undefined) {
        sinceYield = 0;
        await this.#inbox.wait(); // put() or a cancel request wakes it
        continue;
      }
      const queued = this.#pipeline.queueFrame(frame);
      // Usually settled at once (the first processor only queues the frame): no need to await
      // each frame, but let the pipeline run every so often.
      if (!isSettledNoop(queued)) {
        sinceYield = 0;
        await queued;
      } else if (++sinceYield >= 64) {
        sinceYield = 0;
        await queued;
      }
      if (frame instanceof EndFrame || frame instanceof StopFrame) {
        if (this.#cancelRequest.settled) return undefined;
        return this.#endReached.promise;
      }
    }
  }

  /** Sends a frame straight into the pipeline (not through the task's queue). */
  #inject(frame: Frame): void {
    runDetached(() => this.#pipeline.queueFrame(frame)).catch((error: unknown) => {
      logger.error(`${this.name}: could not queue ${frame}: ${describeError(error)}`);
    });
  }

  async #cancelPipeline(frame: CancelFrame): Promise<CancelFrame> {
    this.#cancelSent = true;
    logger.debug(`${this.name}: cancelling${frame.reason ? ` (${frame.reason})` : ""}`);
    this.#inject(frame);
    const secs = this.#options.cancelTimeoutSecs ?? DEFAULT_CANCEL_TIMEOUT_SECS;
    const timer = timeout(secs * 1000);
    const outcome = await Promise.race([
      this.#cancelReached.promise.then(() => "reached" as const),
      timer.promise,
    ]);
    timer.cancel();
    if (outcome === "timeout") {
      logger.warn(
        `${this.name}: the CancelFrame did not reach the end of the pipeline within ${secs} s`,
      );
      this.#fire("pipelineTimeout", this, frame);
    }
    this.#fireFinished(frame);
    return frame;
  }

  #fireFinished(frame: EndFrame | StopFrame | CancelFrame): void {
    if (this.#finishedFired) return;
    this.#finishedFired = true;
    this.#fire("pipelineFinished", this, frame);
  }

  // ---------------------------------------------------------------------------------------------
  // Frames reaching either end

  // Both ends are synchronous and return the core's settled promise, so the pushes reaching them
  // need no await (see isSettledNoop).

  /** A frame travelling upstream left the top of the pipeline. */
  #onTop(frame: Frame): Promise<void> {
    if (matches(frame, this.#reachedUpstream)) this.#fire("frameReachedUpstream", this, frame);
    if (!this.#handleTaskFrame(frame) && frame instanceof ErrorFrame) this.#handleError(frame);
    return settledNoop();
  }

  /** A frame travelling downstream left the bottom of the pipeline. */
  #onBottom(frame: Frame): Promise<void> {
    this.#atBottom(frame);
    return settledNoop();
  }

  #atBottom(frame: Frame): void {
    if (matches(frame, this.#reachedDownstream)) this.#fire("frameReachedDownstream", this, frame);
    if (frame instanceof StartFrame) {
      this.#startReached.resolve();
    } else if (frame instanceof EndFrame || frame instanceof StopFrame) {
      if (this.#cancelSent || this.#endReached.settled) return;
      this.#fireFinished(frame);
      this.#endReached.resolve(frame);
    } else if (frame instanceof CancelFrame) {
      this.#cancelReached.resolve();
    } else {
      this.#handleTaskFrame(frame);
    }
  }

  /** EndTaskFrame, CancelTaskFrame and InterruptionTaskFrame, from either end. */
  #handleTaskFrame(frame: Frame): boolean {
    if (frame instanceof EndTaskFrame) {
      void this.queueFrame(new EndFrame(frame.reason));
    } else if (frame instanceof CancelTaskFrame) {
      this.#requestCancel(new CancelFrame(frame.reason));
    } else if (frame instanceof InterruptionTaskFrame) {
      this.#inject(new InterruptionFrame());
    } else {
      return false;
    }
    return true;
  }

  #handleError(frame: ErrorFrame): void {
    this.#fire("pipelineError", this, frame);
    if (frame.fatal) {
      logger.error(
        `${this.name}: fatal error from ${frame.processor?.name ?? "?"}: ${frame.error}; cancelling`,
      );
      this.#requestCancel(new CancelFrame(`fatal error: ${frame.error}`));
      return;
    }
    const processor = frame.processor;
    if (processor instanceof FrameProcessor && !processor.isUsable) {
      if (this.#unusable.has(processor)) return;
      this.#unusable.add(processor);
      const policy = this.#options.processorUnusablePolicy ?? "continue";
      logger.warn(
        `${this.name}: ${processor.name} is unusable (${frame.error}); policy: ${policy}`,
      );
      if (policy === "end") void this.stopWhenDone();
      else if (policy === "cancel")
        this.#requestCancel(new CancelFrame(`${processor.name} is unusable`));
    }
  }

  /** Processors the unusable policy was applied to. */
  get unusableProcessors(): ReadonlySet<FrameProcessor> {
    return this.#unusable;
  }

  // ---------------------------------------------------------------------------------------------
  // Idle monitor

  #startIdleMonitor(): void {
    const secs = this.#options.idleTimeoutSecs;
    if (secs === undefined || secs === null || !(secs > 0)) return;
    const ms = secs * 1000;
    const activity = this.#options.idleTimeoutFrames ?? [DataFrame];
    this.#lastActivity = performance.now();
    this.#observer.pushTap = (frame) => {
      if (frame instanceof StartFrame || matches(frame, activity))
        this.#lastActivity = performance.now();
    };
    const check = (): void => {
      this.#idleTimer = undefined;
      if (this.#state !== "running") return;
      if (performance.now() - this.#lastActivity >= ms - 1) {
        this.#lastActivity = performance.now();
        logger.warn(`${this.name}: idle for ${secs} s`);
        this.#fire("idleTimeout", this);
        if (this.#options.cancelOnIdleTimeout ?? true)
          this.#requestCancel(new CancelFrame("idle timeout"));
      }
      const remaining = ms - (performance.now() - this.#lastActivity);
      this.#idleTimer = setTimeout(check, Math.max(1, remaining));
    };
    this.#idleTimer = setTimeout(check, ms);
  }

  #stopIdleMonitor(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#observer.pushTap = undefined;
  }
}

export { PipelineTask as PipelineWorker };
export type {
  PipelineTaskOptions as PipelineWorkerOptions,
  PipelineTaskEvents as PipelineWorkerEvents,
};
