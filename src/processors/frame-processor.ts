// FrameProcessor: the unit every pipeline is made of (Pipecat's processors/frame_processor.py).
//
// Non-direct mode (the default), as in Pipecat:
// - queueFrame() puts frames in a 3-tier input queue (StartFrame, system, everything else).
//   Nothing is taken out before a StartFrame arrives; the StartFrame goes first.
// - The input lane processes system frames inline, one at a time, and moves data/control frames to
//   the process queue, which the process lane handles strictly one frame at a time.
// - An InterruptionFrame aborts the signal of the process-queue frame in progress (unless it is
//   uninterruptible) and abandons that run, and flushes the process queue except uninterruptible
//   frames. JavaScript cannot cancel a running async function, so an abandoned run keeps going in
//   the background until it notices its signal; what it pushes meanwhile is dropped (see
//   "Abandoned runs" below).
// - After a CancelFrame everything queued or arriving later is dropped.
// Direct mode: queueFrame() runs processFrame() right away; no queues, no gating.
//
// Hot path (bench/core-throughput.mjs measures it):
// - The lanes are not loops awaiting one promise per frame. queueFrame() schedules one microtask
//   that drains whatever the input queue holds; the process lane starts its next run from the end
//   of the previous one. The queues are ring buffers of (frame, direction) pairs.
// - No AbortController per frame: consecutive interruptible runs share one, which is aborted and
//   replaced only when the lane abandons its current run, so a run's signal still aborts when that
//   run is abandoned (and, for a frame already done, when a later run sharing it is).
// - Observers and event handlers cost nothing when nobody listens.
// - queueFrame() and pushFrame() return an already-settled promise when nothing is left to wait
// for.
//
// Abandoned runs: telling which run a push comes from needs an async context, and Node 20's
// AsyncLocalStorage slows every promise in the process down once used (here: half the throughput,
// +50 MB peak RSS). So by default a processor does what Pipecat does with a cancelled process
// task: its process lane waits for the abandoned run to settle (at most ABANDONED_RUN_GRACE_MS,
// Pipecat's cancel timeout) before taking the next frame. While it waits, nothing else runs on the
// lane, and the processor drops the frames it pushes unless they are system frames (e.g. the
// InterruptionFrame being forwarded) or uninterruptible (EndFrame...): those cannot be an
// interrupted run's output. Well-behaved runs (that hand their signal to fetch, sleep...) settle
// within a few microtasks, so the wait is invisible. The cost of doing without an async context:
// data frames pushed during that wait by *other* code (background work, event handlers) are
// dropped too, and system frames an abandoned run pushes are not.
// Processors built with `isolateAbandonedRuns: true` track their runs with AsyncLocalStorage
// instead: the lane goes on at once, and exactly the pushes of the abandoned run (and of work it
// started, unless through runDetached()) are dropped until it settles, whatever their kind.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Frame } from "../frames/base.js";
import { ErrorFrame } from "../frames/error.js";
import { CancelFrame, InterruptionFrame, StartFrame } from "../frames/lifecycle.js";
import { MetricsFrame, type MetricsData } from "../frames/metrics.js";
import { monotonicNs, type ObserverProxyLike } from "../observers/base-observer.js";
import {
  classifyCause,
  describeError,
  isPermanentCategory,
  type ErrorCategory,
} from "../utils/errors.js";
import { nextObjectId, nextObjectName } from "../utils/ids.js";
import { logger } from "../utils/logger.js";
import { FrameDirection } from "./direction.js";
import { EventEmitter, type EventHandler } from "./events.js";
import { FrameProcessorMetrics } from "./metrics.js";
import { InputQueue, ProcessQueue } from "./queues.js";

export interface FrameProcessorOptions {
  name?: string;
  /** Process frames synchronously in queueFrame(), with no queues and no StartFrame gating. */
  directMode?: boolean;
  /**
   * Attribute every push to the run that made it (with AsyncLocalStorage): after an interruption
   * the process lane goes on at once, and exactly what the abandoned run (or work it started,
   * unless through runDetached()) pushes before it settles is dropped. Default false: the lane
   * waits for the abandoned run (1 s at most) and meanwhile drops this processor's interruptible
   * non-system pushes, whoever makes them (see the top of frame-processor.ts). Turning it on for
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
  task?: unknown;
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

/** Handler arguments of the events every processor emits. */
export interface FrameProcessorEvents {
  beforeProcessFrame: [processor: FrameProcessor, frame: Frame, direction: FrameDirection];
  afterProcessFrame: [processor: FrameProcessor, frame: Frame, direction: FrameDirection];
  beforePushFrame: [processor: FrameProcessor, frame: Frame, direction: FrameDirection];
  afterPushFrame: [processor: FrameProcessor, frame: Frame, direction: FrameDirection];
  error: [processor: FrameProcessor, frame: ErrorFrame];
  usableChanged: [processor: FrameProcessor, usable: boolean];
}

/** How long the process lane waits for an abandoned run that ignores its AbortSignal (Pipecat's cancel timeout). */
export const ABANDONED_RUN_GRACE_MS = 1000;

/** How long cleanup() waits for a system frame's handler that is still running. */
const CLEANUP_SYSTEM_RUN_WAIT_MS = 500;

/** What queueFrame()/pushFrame()/processFrame() return when nothing is left to wait for (never rejects). */
const RESOLVED: Promise<void> = Promise.resolve();

/**
 * True for the already-settled promise the core returns when nothing is left to wait for (internal:
 * lets the pipeline bookends skip an await). Any other promise, settled or not, gives false.
 */
export function isSettledNoop(promise: Promise<void>): boolean {
  return promise === RESOLVED;
}

/** The already-settled promise isSettledNoop() recognises (internal). */
export function settledNoop(): Promise<void> {
  return RESOLVED;
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

/** A run of a processor with `isolateAbandonedRuns`, as its pushes see it. */
interface RunToken {
  readonly owner: FrameProcessor;
  abandoned: boolean;
  settled: boolean;
}

/** Created when the first processor with `isolateAbandonedRuns` is built (its mere use costs). */
let runContext: AsyncLocalStorage<RunToken> | undefined;

/**
 * Runs `fn` outside any frame-processing run. Matters for processors built with
 * `isolateAbandonedRuns`: background work they start from processFrame() belongs to that run, and
 * if the run is abandoned by an interruption its pushes are dropped until the run settles; work
 * started through runDetached() is not. In the default mode work started from processFrame() never
 * belongs to the run (only the wait after an interruption affects it, see the top of this file),
 * and this just calls `fn`.
 */
export function runDetached<T>(fn: () => T): T {
  return runContext === undefined ? fn() : runContext.exit(fn);
}

function abortReason(message: string): DOMException {
  return new DOMException(message, "AbortError");
}

function isAbortOf(error: unknown, signal: AbortSignal): boolean {
  if (error === signal.reason) return true;
  const name = (error as { name?: unknown } | null)?.name;
  return name === "AbortError";
}

export class FrameProcessor {
  readonly id: number;
  readonly name: string;
  /** The model name reported in metrics (services keep it in sync with their settings). */
  protected metricsModel: string | undefined = undefined;

  readonly #directMode: boolean;
  readonly #isolated: boolean;
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
  #cancelling = false;
  #closed = false;
  #usable = true;
  readonly #forcePermanent = new WeakSet<ErrorFrame>();

  /** Aborted (and replaced) at each interruption; aborted for good at cancel/cleanup. */
  #generation = new AbortController();
  /** Aborted at cancel/cleanup; the signal of system and direct-mode frames. */
  #lifetime = new AbortController();
  /**
   * The signal of interruptible process-lane runs, shared by consecutive runs: aborted, and
   * replaced, only when the lane abandons its current run (interruption, cancel, cleanup). Created
   * lazily. Uninterruptible frames (rare: End/Stop, settings...) get a controller of their own.
   */
  #sharedController: AbortController | undefined;
  /** The controller of the current run's signal. */
  #runController: AbortController | undefined;

  // Non-direct machinery.
  readonly #inputQueue = new InputQueue();
  readonly #processQueue = new ProcessQueue();
  /** A StartFrame was queued: the input lane may take frames. */
  #inputOpen = false;
  /** The input lane is scheduled, draining, or processing a system frame. */
  #inputBusy = false;
  /** A system frame is being processed on the input lane. */
  #systemBusy = false;
  #systemRun: Promise<void> | undefined;
  #systemToken: RunToken | undefined;
  /** A StartFrame was processed: the process lane may run. */
  #processOpen = false;
  /** Id of the process lane's current run; 0 when the lane is idle. */
  #runId = 0;
  #lastRunId = 0;
  #currentFrame: Frame | undefined;
  #currentToken: RunToken | undefined;
  /** After an interruption, the process lane waits for the system frame in progress (e.g. to forward the InterruptionFrame). */
  #resumeAfterInput = false;
  /**
   * Default mode: the id of the abandoned run the process lane is waiting for (0: none). While it
   * is set, this processor's interruptible non-system pushes are dropped (see #fromAbandonedRun).
   */
  #abandonedRunId = 0;
  #graceTimer: NodeJS.Timeout | undefined;
  readonly #drain = (): void => this.#drainInput();

  constructor(options: FrameProcessorOptions = {}) {
    this.id = nextObjectId();
    this.name = options.name ?? nextObjectName(new.target.name);
    this.#directMode = options.directMode ?? false;
    this.#isolated = (options.isolateAbandonedRuns ?? false) && !this.#directMode;
    if (this.#isolated) runContext ??= new AsyncLocalStorage<RunToken>();
    this.#events = new EventEmitter(this.name);
    this.#metrics = new FrameProcessorMetrics(this.name);
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
    return this.#directMode;
  }

  /** True once a StartFrame was processed. */
  get started(): boolean {
    return this.#started;
  }

  /** True once a CancelFrame was processed: every later frame is dropped. */
  get cancelling(): boolean {
    return this.#cancelling;
  }

  /**
   * The signal of the current "generation": aborted, and replaced by a fresh one, at every
   * InterruptionFrame; aborted for good at CancelFrame and cleanup. Background work can listen to
   * it.
   */
  get interrupted(): AbortSignal {
    return this.#generation.signal;
  }

  /** What setup() received (undefined before setup). */
  protected get setupInfo(): FrameProcessorSetup | undefined {
    return this.#setup;
  }

  /** The task running this processor, as given to setup(). */
  get pipelineTask(): unknown {
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
    if (this.#closed) this.#reopen();
    this.#setup = setup;
    this.#observer = setup.observer;
    if (setup.reportOnlyInitialTtfb) this.#metrics.reportOnlyInitialTtfb = true;
  }

  /** Back to the state of a new processor (keeping links, event handlers and usability) after cleanup(). */
  #reopen(): void {
    if (this.#graceTimer !== undefined) clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    this.#closed = false;
    this.#cancelling = false;
    this.#started = false;
    this.#metricsFromStart = false;
    this.#generation = new AbortController();
    this.#lifetime = new AbortController();
    this.#sharedController = undefined;
    this.#runController = undefined;
    this.#inputQueue.clear();
    this.#processQueue.clear();
    this.#inputOpen = false;
    this.#inputBusy = false;
    this.#systemBusy = false;
    this.#systemRun = undefined;
    this.#systemToken = undefined;
    this.#processOpen = false;
    this.#runId = 0;
    this.#currentFrame = undefined;
    this.#currentToken = undefined;
    this.#resumeAfterInput = false;
    this.#abandonedRunId = 0;
  }

  /** Stops the lanes, abandons work in progress and aborts `interrupted`. Subclasses call super.cleanup(). */
  async cleanup(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#inputQueue.clear();
    this.#processQueue.clear();
    this.#abandonCurrent("processor cleaned up");
    this.#generation.abort(abortReason("processor cleaned up"));
    this.#lifetime.abort(abortReason("processor cleaned up"));
    const systemRun = this.#systemBusy ? this.#systemRun : undefined;
    if (systemRun !== undefined) {
      // A lane stuck in a system frame's handler is not waited for long.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLEANUP_SYSTEM_RUN_WAIT_MS);
        timer.unref?.();
      });
      await Promise.race([systemRun, timeout]);
      clearTimeout(timer);
    }
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
    if (this.#cancelling || this.#closed) return RESOLVED;
    if (this.#directMode) return this.#invokeDirect(frame, direction);
    this.#inputQueue.put(frame, direction);
    if (!this.#inputOpen) {
      if (!(frame instanceof StartFrame)) return RESOLVED;
      this.#inputOpen = true;
    }
    if (!this.#inputBusy) {
      this.#inputBusy = true;
      // A promise reaction rather than queueMicrotask(), which wraps every callback in an
      // AsyncResource.
      void RESOLVED.then(this.#drain);
    }
    return RESOLVED;
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
      else if (frame instanceof CancelFrame) this.#handleCancel();
    }
    return RESOLVED;
  }

  /** Moves data/control frames to the process queue and runs system frames, until the input queue is empty. */
  #drainInput(): void {
    const queue = this.#inputQueue;
    for (;;) {
      if (this.#cancelling || this.#closed) break;
      const frame = queue.take();
      if (frame === undefined) break;
      const direction = queue.direction;
      if (frame.kind === "system") {
        // Processed inline: the lane resumes draining when it is done.
        this.#systemBusy = true;
        this.#systemRun = this.#isolated
          ? this.#runSystemIsolated(frame, direction)
          : this.#runSystem(frame, direction);
        return;
      }
      this.#processQueue.put(frame, direction);
      if (this.#runId === 0) this.#pumpProcess();
    }
    this.#inputBusy = false;
  }

  #runSystemIsolated(frame: Frame, direction: FrameDirection): Promise<void> {
    this.#systemToken ??= { owner: this, abandoned: false, settled: false };
    return (runContext as AsyncLocalStorage<RunToken>).run(this.#systemToken, () =>
      this.#runSystem(frame, direction),
    );
  }

  async #runSystem(frame: Frame, direction: FrameDirection): Promise<void> {
    await this.#invokeDirectWithHooks(frame, direction);
    this.#systemBusy = false;
    if (this.#resumeAfterInput && this.#runId === 0) this.#pumpProcess();
    this.#drainInput();
  }

  /** Starts the next process-queue frame, if the lane is idle and allowed to run. */
  #pumpProcess(): void {
    if (
      this.#runId !== 0 ||
      this.#abandonedRunId !== 0 ||
      !this.#processOpen ||
      this.#cancelling ||
      this.#closed
    )
      return;
    if (this.#resumeAfterInput) {
      // After an interruption, let the input lane finish handling it (e.g. forward the
      // InterruptionFrame) before the next frame is processed.
      if (this.#systemBusy) return;
      this.#resumeAfterInput = false;
    }
    const queue = this.#processQueue;
    const frame = queue.take();
    if (frame === undefined) return;
    const direction = queue.direction;
    const runId = ++this.#lastRunId;
    this.#runId = runId;
    this.#currentFrame = frame;
    let controller: AbortController;
    if (frame.uninterruptible) controller = new AbortController();
    else controller = this.#sharedController ?? this.#newSharedController();
    this.#runController = controller;
    const signal = controller.signal;
    if (this.#isolated) {
      const token: RunToken = { owner: this, abandoned: false, settled: false };
      this.#currentToken = token;
      void (runContext as AsyncLocalStorage<RunToken>).run(token, () =>
        this.#process(frame, direction, signal, runId, token),
      );
    } else {
      void this.#process(frame, direction, signal, runId, undefined);
    }
  }

  /** One process-lane run. Never rejects. */
  async #process(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
    runId: number,
    token: RunToken | undefined,
  ): Promise<void> {
    try {
      if ((this.#hooks & BEFORE_PROCESS) !== 0)
        await this.#events.emit("beforeProcessFrame", this, frame, direction);
      await this.processFrame(frame, direction, signal);
      if ((this.#hooks & AFTER_PROCESS) !== 0)
        await this.#events.emit("afterProcessFrame", this, frame, direction);
    } catch (error) {
      await this.#processingFailed(frame, error, signal, this.#runId !== runId);
    }
    if (token !== undefined) token.settled = true;
    if (this.#runId === runId) {
      this.#runId = 0;
      this.#currentFrame = undefined;
      this.#currentToken = undefined;
      this.#runController = undefined;
      this.#pumpProcess();
    } else if (this.#abandonedRunId === runId) {
      // The abandoned run the lane was waiting for has finished unwinding.
      this.#endAbandonedWait();
    }
  }

  /**
   * Direct mode: processes at once. Never rejects. When processFrame() returns the core's settled
   * promise (the pipeline bookends do when everything downstream only queued), so does this.
   */
  #invokeDirect(frame: Frame, direction: FrameDirection): Promise<void> {
    if ((this.#hooks & PROCESS_HOOKS) !== 0) return this.#invokeDirectWithHooks(frame, direction);
    let result: Promise<void>;
    try {
      result = this.processFrame(frame, direction, this.#lifetime.signal);
    } catch (error) {
      return this.#processingFailed(frame, error, this.#lifetime.signal, false);
    }
    if (result === RESOLVED) return RESOLVED;
    return this.#awaitDirect(result, frame);
  }

  async #awaitDirect(result: Promise<void>, frame: Frame): Promise<void> {
    try {
      await result;
    } catch (error) {
      await this.#processingFailed(frame, error, this.#lifetime.signal, false);
    }
  }

  /** processFrame with the before/after events, on the lifetime signal (system frames, direct mode). */
  async #invokeDirectWithHooks(frame: Frame, direction: FrameDirection): Promise<void> {
    const signal = this.#lifetime.signal;
    try {
      if ((this.#hooks & BEFORE_PROCESS) !== 0)
        await this.#events.emit("beforeProcessFrame", this, frame, direction);
      await this.processFrame(frame, direction, signal);
      if ((this.#hooks & AFTER_PROCESS) !== 0)
        await this.#events.emit("afterProcessFrame", this, frame, direction);
    } catch (error) {
      await this.#processingFailed(frame, error, signal, false);
    }
  }

  async #processingFailed(
    frame: Frame,
    error: unknown,
    signal: AbortSignal,
    abandoned: boolean,
  ): Promise<void> {
    if (abandoned || (signal.aborted && isAbortOf(error, signal))) {
      logger.debug(`${this.name}: processing of ${frame} stopped: ${describeError(error)}`);
      return;
    }
    try {
      await this.pushError(`Error processing frame: ${describeError(error)}`, {
        cause: error,
        category: "unknown",
      });
    } catch (inner) {
      logger.error(`${this.name}: could not report an error: ${describeError(inner)}`);
    }
  }

  /**
   * The process lane gives up on its current run (interruption, cancel, cleanup) and aborts its
   * signal. With isolateAbandonedRuns the lane goes on at once (the run's pushes are told apart by
   * their async context). Otherwise, as Pipecat waits for a cancelled process task (1 s at most),
   * the lane waits for the run to settle, at most ABANDONED_RUN_GRACE_MS, before the next frame:
   * meanwhile nothing else runs on the lane, so the interruptible non-system frames this processor
   * pushes are the abandoned run's, and are dropped.
   */
  /** A fresh controller for the interruptible runs to come (see #sharedController). */
  #newSharedController(): AbortController {
    this.#sharedController = new AbortController();
    return this.#sharedController;
  }

  #abandonCurrent(why: string): void {
    if (this.#runId === 0) return;
    if (this.#currentToken !== undefined) {
      this.#currentToken.abandoned = true;
    } else {
      this.#abandonedRunId = this.#runId;
      this.#graceTimer = setTimeout(this.#graceExpired, ABANDONED_RUN_GRACE_MS);
      this.#graceTimer.unref?.();
    }
    this.#runId = 0;
    this.#currentFrame = undefined;
    this.#currentToken = undefined;
    this.#resumeAfterInput = true;
    const controller = this.#runController;
    this.#runController = undefined;
    if (controller === this.#sharedController) this.#sharedController = undefined;
    controller?.abort(abortReason(why));
    this.#pumpProcess();
  }

  readonly #graceExpired = (): void => {
    if (this.#abandonedRunId === 0) return;
    if (!this.#cancelling && !this.#closed) {
      logger.warn(
        `${this.name}: an interrupted run ignored its AbortSignal for ${ABANDONED_RUN_GRACE_MS} ms; going on without it (its later pushes are not dropped)`,
      );
    }
    this.#endAbandonedWait();
  };

  #endAbandonedWait(): void {
    this.#abandonedRunId = 0;
    if (this.#graceTimer !== undefined) clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    this.#pumpProcess();
  }

  #handleStart(frame: StartFrame): void {
    this.#started = true;
    this.#metricsFromStart = frame.enableMetrics;
    if (frame.reportOnlyInitialTtfb) this.#metrics.reportOnlyInitialTtfb = true;
    if (!this.#directMode && !this.#processOpen && !this.#closed) {
      this.#processOpen = true;
      this.#pumpProcess();
    }
  }

  #handleInterruption(): Promise<void> {
    if (!this.#directMode) {
      this.#processQueue.reset();
      const frame = this.#currentFrame;
      if (frame !== undefined && !frame.uninterruptible) this.#abandonCurrent("interrupted");
    }
    const previous = this.#generation;
    this.#generation = new AbortController();
    previous.abort(abortReason("interrupted"));
    return this.stopAllMetrics();
  }

  #handleCancel(): void {
    this.#cancelling = true;
    if (!this.#directMode) {
      this.#inputQueue.clear();
      this.#processQueue.clear();
      this.#abandonCurrent("cancelled");
    }
    this.#generation.abort(abortReason("cancelled"));
    this.#lifetime.abort(abortReason("cancelled"));
  }

  // ---------------------------------------------------------------------------------------------
  // Pushing

  /** True when this push is taken for one from an abandoned, unsettled run (see #abandonCurrent). */
  #fromAbandonedRun(frame: Frame): boolean {
    if (this.#isolated) {
      const token = (runContext as AsyncLocalStorage<RunToken>).getStore();
      return token !== undefined && token.owner === this && token.abandoned && !token.settled;
    }
    return frame.kind !== "system" && !frame.uninterruptible;
  }

  /**
   * Sends a frame to the next (downstream) or previous (upstream) processor; dropped when there is
   * none. Settles when the neighbour has queued it (or, for a direct-mode neighbour, processed it).
   * Never rejects: a failure becomes an ErrorFrame.
   */
  pushFrame(frame: Frame, direction: FrameDirection = FrameDirection.DOWNSTREAM): Promise<void> {
    if ((this.#isolated || this.#abandonedRunId !== 0) && this.#fromAbandonedRun(frame)) {
      logger.debug(`${this.name}: dropped ${frame} pushed by an abandoned (interrupted) run`);
      return RESOLVED;
    }
    if ((this.#hooks & PUSH_HOOKS) !== 0) return this.#pushWithHooks(frame, direction);
    const destination = direction === FrameDirection.DOWNSTREAM ? this.#next : this.#previous;
    if (destination === undefined) return RESOLVED;
    let queued: Promise<void>;
    try {
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
      queued = destination.queueFrame(frame, direction);
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
      if (destination) {
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
        await destination.queueFrame(frame, direction);
      }
      if ((this.#hooks & AFTER_PUSH) !== 0)
        await this.#events.emit("afterPushFrame", this, frame, direction);
    } catch (error) {
      await this.#pushFailed(frame, error);
    }
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
    const down = new frameClass(...args);
    const up = new frameClass(...args);
    down.broadcastSiblingId = up.id;
    up.broadcastSiblingId = down.id;
    await this.pushFrame(down, FrameDirection.DOWNSTREAM);
    await this.pushFrame(up, FrameDirection.UPSTREAM);
  }

  /**
   * Broadcasts shallow copies of `frame` (every own property except id and name, which are fresh).
   * ES private (#) fields cannot be copied; frames that have them are not suitable.
   */
  async broadcastFrameInstance(frame: Frame): Promise<void> {
    const down = copyFrame(frame);
    const up = copyFrame(frame);
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
    if (!this.#directMode) this.#processQueue.reset();
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
    if (!this.metricsEnabled) return;
    const data = this.#metrics.stopTtfb(this.metricsModel);
    if (data) await this.pushFrame(new MetricsFrame([data]), FrameDirection.DOWNSTREAM);
  }

  startProcessingMetrics(): void {
    if (this.metricsEnabled) this.#metrics.startProcessing();
  }

  async stopProcessingMetrics(): Promise<void> {
    if (!this.metricsEnabled) return;
    const data = this.#metrics.stopProcessing(this.metricsModel);
    if (data) await this.pushFrame(new MetricsFrame([data]), FrameDirection.DOWNSTREAM);
  }

  /** Reports (does not discard) every open measurement, in one MetricsFrame. */
  async stopAllMetrics(): Promise<void> {
    if (!this.metricsEnabled) return;
    const data: MetricsData[] = [];
    const ttfb = this.#metrics.stopTtfb(this.metricsModel);
    if (ttfb) data.push(ttfb);
    const processing = this.#metrics.stopProcessing(this.metricsModel);
    if (processing) data.push(processing);
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
