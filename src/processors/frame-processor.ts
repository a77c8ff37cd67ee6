// FrameProcessor: the unit every pipeline is made of (Pipecat's processors/frame_processor.py):
// linking, pushing, errors, metrics and events. How frames are queued and run (the input and
// process lanes, StartFrame gating, interruptions, abandoned runs) lives in lanes.ts, which each
// processor drives through one FrameLanes.
import type { Frame } from "../frames/base.js";
import { ErrorFrame } from "../frames/error.js";
import { CancelFrame, InterruptionFrame, StartFrame } from "../frames/lifecycle.js";
import { MetricsFrame, type MetricsData } from "../frames/metrics.js";
import type { ObserverProxyLike } from "../observers/base-observer.js";
import type { PipelineTask } from "../pipeline/task.js";
import { monotonicNs } from "../utils/clock.js";
import {
  classifyCause,
  describeError,
  isPermanentCategory,
  type ErrorCategory,
} from "../utils/errors.js";
import { nextObjectId, nextObjectName } from "../utils/ids.js";
import { logger } from "../utils/logger.js";
import { FrameDirection } from "./direction.js";
import { EventEmitter, type EventHandler, type FrameProcessorEvents } from "./events.js";
import { FrameProcessorMetrics } from "./metrics.js";
import { FrameLanes, RESOLVED } from "./lanes.js";

export interface FrameProcessorOptions {
  name?: string;
  /** Process frames synchronously in queueFrame(), with no queues and no StartFrame gating. */
  directMode?: boolean;
  /**
   * Attribute every push to the run that made it (with AsyncLocalStorage): after an interruption
   * the process lane goes on at once, and exactly what the abandoned run (or work it started,
   * unless through runDetached()) pushes before it settles is dropped. Default false: the lane
   * waits for the abandoned run (1 s at most) and meanwhile drops this processor's interruptible
   * non-system pushes, whoever makes them (see the top of lanes.ts). Turning it on for
   * any processor slows every promise in the process down (Node 20's AsyncLocalStorage); it suits
   * processors whose runs may ignore their AbortSignal while background work of theirs keeps
   * pushing data.
   */
  isolateAbandonedRuns?: boolean;
}

export interface FrameProcessorSetup {
  /** The task's observer proxy; the processor reports every processed and pushed frame to it. */
  observer?: ObserverProxyLike;
  enableMetrics?: boolean;
  reportOnlyInitialTtfb?: boolean;
  /** The PipelineTask running this processor. */
  task?: PipelineTask;
}

export interface PushErrorOptions {
  cause?: unknown;
  category?: ErrorCategory;
  /** Deprecated in Pipecat: the task cancels the pipeline when a fatal error reaches the top. */
  fatal?: boolean;
  /** Mark the processor unusable whatever the category. */
  forcePermanent?: boolean;
  prompt?: string;
}

/** Bits of FrameProcessor's hook mask: which per-frame events have handlers. */
const HOOK_BITS: Readonly<Record<string, number>> = {
  beforeProcessFrame: 1,
  afterProcessFrame: 2,
  beforePushFrame: 4,
  afterPushFrame: 8,
};
const BEFORE_PROCESS = 1;
const AFTER_PROCESS = 2;
const PROCESS_HOOKS = BEFORE_PROCESS | AFTER_PROCESS;
const BEFORE_PUSH = 4;
const AFTER_PUSH = 8;
const PUSH_HOOKS = BEFORE_PUSH | AFTER_PUSH;

export class FrameProcessor {
  readonly id: number;
  readonly name: string;
  /** The model name reported in metrics (services keep it in sync with their settings). */
  protected metricsModel: string | undefined = undefined;

  #next: FrameProcessor | undefined;
  #previous: FrameProcessor | undefined;
  readonly #events: EventEmitter<Record<string, unknown[]>>;
  /** HOOK_BITS of the per-frame events that have handlers. */
  #hooks = 0;
  #setup: FrameProcessorSetup | undefined;
  #observer: ObserverProxyLike | undefined;
  readonly #metrics: FrameProcessorMetrics;
  #metricsFromStart = false;

  #started = false;
  #usable = true;
  readonly #forcePermanent = new WeakSet<ErrorFrame>();

  /** Queues and runs this processor's frames (lanes.ts). */
  readonly #lanes: FrameLanes;

  constructor(options: FrameProcessorOptions = {}) {
    this.id = nextObjectId();
    this.name = options.name ?? nextObjectName(new.target.name);
    this.#events = new EventEmitter(this.name);
    this.#metrics = new FrameProcessorMetrics(this.name);
    this.#lanes = new FrameLanes(
      { run: this.#run, fail: this.#processingFailed },
      {
        name: this.name,
        direct: options.directMode ?? false,
        isolated: options.isolateAbandonedRuns ?? false,
      },
    );
  }

  toString(): string {
    return this.name;
  }

  // ---------------------------------------------------------------------------------------------
  // Linking and state

  get next(): FrameProcessor | undefined {
    return this.#next;
  }

  get previous(): FrameProcessor | undefined {
    return this.#previous;
  }

  link(next: FrameProcessor): void {
    this.#next = next;
    next.#previous = this;
  }

  get isDirectMode(): boolean {
    return this.#lanes.direct;
  }

  /** True once a StartFrame was processed. */
  get started(): boolean {
    return this.#started;
  }

  /** True once a CancelFrame was processed: every later frame is dropped. */
  get cancelling(): boolean {
    return this.#lanes.cancelling;
  }

  /**
   * The signal of the current "generation": aborted, and replaced by a fresh one, at every
   * InterruptionFrame; aborted for good at CancelFrame and cleanup. Background work can listen to
   * it.
   */
  get interrupted(): AbortSignal {
    return this.#lanes.interrupted;
  }

  /** What setup() received (undefined before setup). */
  protected get setupInfo(): FrameProcessorSetup | undefined {
    return this.#setup;
  }

  /** The task running this processor, as given to setup(). */
  get pipelineTask(): PipelineTask | undefined {
    return this.#setup?.task;
  }

  /** Processors inside this one (pipelines override this). */
  get subprocessors(): readonly FrameProcessor[] {
    return [];
  }

  /** This processor and every nested one that can generate metrics. */
  processorsWithMetrics(): FrameProcessor[] {
    const own: FrameProcessor[] = this.canGenerateMetrics() ? [this] : [];
    return own.concat(...this.subprocessors.map((p) => p.processorsWithMetrics()));
  }

  // ---------------------------------------------------------------------------------------------
  // Setup and cleanup

  async setup(setup: FrameProcessorSetup): Promise<void> {
    // A processor whose task ended can serve a new task: start again from a clean state.
    if (this.#lanes.closed) this.#reopen();
    this.#setup = setup;
    this.#observer = setup.observer;
    if (setup.reportOnlyInitialTtfb) this.#metrics.reportOnlyInitialTtfb = true;
  }

  /** Back to the state of a new processor (keeping links, event handlers and usability) after cleanup(). */
  #reopen(): void {
    this.#lanes.reopen();
    this.#started = false;
    this.#metricsFromStart = false;
  }

  /** Stops the lanes, abandons work in progress and aborts `interrupted`. Subclasses call super.cleanup(). */
  cleanup(): Promise<void> {
    return this.#lanes.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  on<E extends keyof FrameProcessorEvents>(
    event: E,
    handler: EventHandler<FrameProcessorEvents[E]>,
  ): void;
  on(event: string, handler: EventHandler<never[]>): void;
  on(event: string, handler: EventHandler<never[]>): void {
    this.#events.on(event, handler as EventHandler<unknown[]>);
    this.#hooks |= HOOK_BITS[event] ?? 0;
  }

  off<E extends keyof FrameProcessorEvents>(
    event: E,
    handler: EventHandler<FrameProcessorEvents[E]>,
  ): void;
  off(event: string, handler: EventHandler<never[]>): void;
  off(event: string, handler: EventHandler<never[]>): void {
    this.#events.off(event, handler as EventHandler<unknown[]>);
    const bit = HOOK_BITS[event];
    if (bit !== undefined && !this.#events.has(event)) this.#hooks &= ~bit;
  }

  /** Emits an event (subclasses may define their own); handlers are awaited in order, errors logged. */
  protected emit(event: string, ...args: unknown[]): Promise<void> {
    return this.#events.emit(event, ...args);
  }

  // ---------------------------------------------------------------------------------------------
  // Queueing and processing

  /**
   * The entry point neighbours (and the task) call. In the default mode it only queues the frame
   * and returns a settled promise; in direct mode the promise settles when processFrame() is done.
   * It never rejects: processing errors become ErrorFrames.
   */
  queueFrame(frame: Frame, direction: FrameDirection = FrameDirection.DOWNSTREAM): Promise<void> {
    return this.#lanes.queue(frame, direction);
  }

  /**
   * Subclasses override this, call `await super.processFrame(frame, direction, signal)` first, then
   * push what they want. The base never forwards anything. `signal` aborts when an interruption
   * abandons this frame's processing, or on CancelFrame.
   *
   * Process-queue frames share their signal with the frames before and after them until a run is
   * abandoned, so remove listeners you add to it once the frame is done (fetch and the abortable
   * sleep in utils/abort.ts do): a listener left behind accumulates on the shared signal, and one
   * left by a finished frame fires when a later frame's run is abandoned.
   */
  processFrame(frame: Frame, direction: FrameDirection, _signal: AbortSignal): Promise<void> {
    const observer = this.#observer;
    if (observer !== undefined && observer.wantsProcessFrame !== false) {
      observer.onProcessFrame({ processor: this, frame, direction, timestamp: monotonicNs() });
    }
    if (frame.kind === "system") {
      if (frame instanceof StartFrame) this.#handleStart(frame);
      else if (frame instanceof InterruptionFrame) return this.#handleInterruption();
      else if (frame instanceof CancelFrame) this.#lanes.cancel();
    }
    return RESOLVED;
  }

  /** The lanes' runner: processFrame() between the before/after events when they have handlers. */
  readonly #run = (frame: Frame, direction: FrameDirection, signal: AbortSignal): Promise<void> =>
    (this.#hooks & PROCESS_HOOKS) === 0
      ? this.processFrame(frame, direction, signal)
      : this.#runWithHooks(frame, direction, signal);

  async #runWithHooks(frame: Frame, direction: FrameDirection, signal: AbortSignal): Promise<void> {
    if ((this.#hooks & BEFORE_PROCESS) !== 0)
      await this.#events.emit("beforeProcessFrame", this, frame, direction);
    await this.processFrame(frame, direction, signal);
    if ((this.#hooks & AFTER_PROCESS) !== 0)
      await this.#events.emit("afterProcessFrame", this, frame, direction);
  }

  /** The lanes report a run that failed (neither abandoned nor aborted): an ErrorFrame. */
  readonly #processingFailed = async (_frame: Frame, error: unknown): Promise<void> => {
    try {
      await this.pushError(`Error processing frame: ${describeError(error)}`, {
        cause: error,
        category: "unknown",
      });
    } catch (inner) {
      logger.error(`${this.name}: could not report an error: ${describeError(inner)}`);
    }
  };

  #handleStart(frame: StartFrame): void {
    this.#started = true;
    this.#metricsFromStart = frame.enableMetrics;
    if (frame.reportOnlyInitialTtfb) this.#metrics.reportOnlyInitialTtfb = true;
    this.#lanes.open();
  }

  #handleInterruption(): Promise<void> {
    this.#lanes.interrupt();
    return this.stopAllMetrics();
  }

  // ---------------------------------------------------------------------------------------------
  // Pushing

  /**
   * Sends a frame to the next (downstream) or previous (upstream) processor; dropped when there is
   * none. Settles when the neighbour has queued it (or, for a direct-mode neighbour, processed it).
   * Never rejects: a failure becomes an ErrorFrame.
   */
  pushFrame(frame: Frame, direction: FrameDirection = FrameDirection.DOWNSTREAM): Promise<void> {
    if (this.#lanes.dropsPush(frame)) {
      logger.debug(`${this.name}: dropped ${frame} pushed by an abandoned (interrupted) run`);
      return RESOLVED;
    }
    if ((this.#hooks & PUSH_HOOKS) !== 0) return this.#pushWithHooks(frame, direction);
    const destination = direction === FrameDirection.DOWNSTREAM ? this.#next : this.#previous;
    if (destination === undefined) return RESOLVED;
    let queued: Promise<void>;
    try {
      queued = this.#deliver(destination, frame, direction);
    } catch (error) {
      return this.#pushFailed(frame, error);
    }
    // Our own queueFrame() never rejects; an override might.
    if (queued === RESOLVED || destination.queueFrame === baseQueueFrame) return queued;
    return this.#awaitQueued(queued, frame);
  }

  async #awaitQueued(queued: Promise<void>, frame: Frame): Promise<void> {
    try {
      await queued;
    } catch (error) {
      await this.#pushFailed(frame, error);
    }
  }

  async #pushWithHooks(frame: Frame, direction: FrameDirection): Promise<void> {
    try {
      if ((this.#hooks & BEFORE_PUSH) !== 0)
        await this.#events.emit("beforePushFrame", this, frame, direction);
      const destination = direction === FrameDirection.DOWNSTREAM ? this.#next : this.#previous;
      if (destination) await this.#deliver(destination, frame, direction);
      if ((this.#hooks & AFTER_PUSH) !== 0)
        await this.#events.emit("afterPushFrame", this, frame, direction);
    } catch (error) {
      await this.#pushFailed(frame, error);
    }
  }

  /** Tells the observer, then hands the frame to the neighbour. */
  #deliver(destination: FrameProcessor, frame: Frame, direction: FrameDirection): Promise<void> {
    const observer = this.#observer;
    if (observer !== undefined && observer.wantsPushFrame !== false) {
      observer.onPushFrame({
        source: this,
        destination,
        frame,
        direction,
        timestamp: monotonicNs(),
      });
    }
    return destination.queueFrame(frame, direction);
  }

  async #pushFailed(frame: Frame, error: unknown): Promise<void> {
    if (frame instanceof ErrorFrame) {
      logger.error(`${this.name}: could not push ${frame}: ${describeError(error)}`);
      return;
    }
    await this.pushError(`Error pushing frame ${frame}: ${describeError(error)}`, {
      cause: error,
      category: "unknown",
    });
  }

  /** Pushes two fresh instances, linked by broadcastSiblingId: one downstream, then one upstream. */
  async broadcastFrame<A extends unknown[]>(
    frameClass: new (...args: A) => Frame,
    ...args: A
  ): Promise<void> {
    await this.#broadcastPair(new frameClass(...args), new frameClass(...args));
  }

  /**
   * Broadcasts shallow copies of `frame` (every own property except id and name, which are fresh).
   * ES private (#) fields cannot be copied; frames that have them are not suitable.
   */
  async broadcastFrameInstance(frame: Frame): Promise<void> {
    await this.#broadcastPair(copyFrame(frame), copyFrame(frame));
  }

  async #broadcastPair(down: Frame, up: Frame): Promise<void> {
    down.broadcastSiblingId = up.id;
    up.broadcastSiblingId = down.id;
    await this.pushFrame(down, FrameDirection.DOWNSTREAM);
    await this.pushFrame(up, FrameDirection.UPSTREAM);
  }

  /**
   * Flushes this processor's own queue (the frame in progress goes on), reports open metrics and
   * broadcasts an InterruptionFrame both ways. Returns at once, so code after it runs.
   */
  async broadcastInterruption(): Promise<void> {
    this.#lanes.flush();
    await this.stopAllMetrics();
    await this.broadcastFrame(InterruptionFrame);
  }

  // ---------------------------------------------------------------------------------------------
  // Errors and usability

  async pushError(message: string, options: PushErrorOptions = {}): Promise<void> {
    const frame = new ErrorFrame(message, {
      fatal: options.fatal,
      cause: options.cause,
      category: options.category,
      processor: this,
      prompt: options.prompt,
    });
    if (options.fatal)
      logger.warn(
        `${this.name}: fatal errors are deprecated; use forcePermanent and a processorUnusablePolicy`,
      );
    if (options.forcePermanent) this.#forcePermanent.add(frame);
    await this.pushErrorFrame(frame);
  }

  /**
   * Classifies the error (classifyError() first, then classifyCause()), sets its processor, marks
   * this processor unusable when the category is permanent (or forcePermanent was asked), emits
   * "error", logs it and pushes it upstream.
   */
  async pushErrorFrame(frame: ErrorFrame): Promise<void> {
    frame.processor ??= this;
    if (frame.category === undefined && frame.cause !== undefined) {
      frame.category = this.classifyError(frame.cause) ?? classifyCause(frame.cause);
    }
    frame.category ??= "unknown";
    if (this.#forcePermanent.has(frame) || isPermanentCategory(frame.category))
      await this.setUsable(false);
    await this.#events.emit("error", this, frame);
    logger.error(
      `${this.name}: ${frame.error}${frame.category !== "unknown" ? ` (${frame.category})` : ""}`,
    );
    await this.pushFrame(frame, FrameDirection.UPSTREAM);
  }

  /** Hook for services: the category of a failure they understand better; undefined to fall back. */
  protected classifyError(_cause: unknown): ErrorCategory | undefined {
    return undefined;
  }

  get isUsable(): boolean {
    return this.#usable;
  }

  async setUsable(usable: boolean): Promise<void> {
    if (this.#usable === usable) return;
    this.#usable = usable;
    await this.#events.emit("usableChanged", this, usable);
  }

  // ---------------------------------------------------------------------------------------------
  // Metrics

  /** Processors that measure something return true (services). */
  canGenerateMetrics(): boolean {
    return false;
  }

  get metricsEnabled(): boolean {
    return (
      this.canGenerateMetrics() && (this.#setup?.enableMetrics === true || this.#metricsFromStart)
    );
  }

  startTtfbMetrics(): void {
    if (this.metricsEnabled) this.#metrics.startTtfb();
  }

  async stopTtfbMetrics(): Promise<void> {
    if (this.metricsEnabled) await this.#report([this.#metrics.stopTtfb(this.metricsModel)]);
  }

  startProcessingMetrics(): void {
    if (this.metricsEnabled) this.#metrics.startProcessing();
  }

  async stopProcessingMetrics(): Promise<void> {
    if (this.metricsEnabled) await this.#report([this.#metrics.stopProcessing(this.metricsModel)]);
  }

  /** Reports (does not discard) every open measurement, in one MetricsFrame. */
  async stopAllMetrics(): Promise<void> {
    if (!this.metricsEnabled) return;
    const model = this.metricsModel;
    await this.#report([this.#metrics.stopTtfb(model), this.#metrics.stopProcessing(model)]);
  }

  /** Pushes the closed measurements downstream, in one MetricsFrame (none when nothing was open). */
  async #report(measurements: (MetricsData | undefined)[]): Promise<void> {
    const data = measurements.filter((m): m is MetricsData => m !== undefined);
    if (data.length > 0) await this.pushFrame(new MetricsFrame(data), FrameDirection.DOWNSTREAM);
  }
}

/** FrameProcessor's own queueFrame(), which never rejects. */
const baseQueueFrame = FrameProcessor.prototype.queueFrame;

function copyFrame<T extends Frame>(frame: T): T {
  const copy = Object.create(Object.getPrototypeOf(frame) as object) as T;
  Object.assign(copy, frame);
  const mutable = copy as { id: number; name: string };
  mutable.id = nextObjectId();
  mutable.name = nextObjectName(frame.constructor.name);
  return copy;
}
