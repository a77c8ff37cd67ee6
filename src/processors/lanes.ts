// The lanes of a FrameProcessor (the input and process tasks of Pipecat's
// processors/frame_processor.py): queueing, StartFrame gating, interruption and cancellation, and
// what becomes of a run that an interruption abandons. FrameProcessor owns one FrameLanes and hands
// it every frame; the lanes call back into the processor to run a frame and to report a failure.
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
import { StartFrame } from "../frames/lifecycle.js";
import { describeError } from "../utils/errors.js";
import { logger } from "../utils/logger.js";
import type { FrameDirection } from "./direction.js";
import { InputQueue, ProcessQueue } from "./queues.js";

/** How long the process lane waits for an abandoned run that ignores its AbortSignal (Pipecat's cancel timeout). */
export const ABANDONED_RUN_GRACE_MS = 1000;

/** How long cleanup() waits for a system frame's handler that is still running. */
const CLEANUP_SYSTEM_RUN_WAIT_MS = 500;

/** What queueFrame()/pushFrame()/processFrame() return when nothing is left to wait for (never rejects). */
export const RESOLVED: Promise<void> = Promise.resolve();

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

/** A run of a processor with `isolateAbandonedRuns`, as its pushes see it. */
interface RunToken {
  readonly owner: FrameLanes;
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

/** What the lanes need from their processor. */
export interface LaneRunner {
  /**
   * Processes one frame: processFrame() between the processor's before/after events. May throw or
   * reject; when it returns RESOLVED, direct mode returns it as is.
   */
  run(frame: Frame, direction: FrameDirection, signal: AbortSignal): Promise<void>;
  /**
   * Reports a run that failed. Not called for a run the lane had abandoned, nor for one its own
   * signal aborted: the lanes log those. Never rejects.
   */
  fail(frame: Frame, error: unknown): Promise<void>;
}

export interface FrameLanesOptions {
  /** The processor's name, for logs. */
  name: string;
  /** Run frames in queue() itself: no queues, no StartFrame gating. */
  direct: boolean;
  /** Track runs with AsyncLocalStorage (see FrameProcessorOptions.isolateAbandonedRuns). */
  isolated: boolean;
}

/** The input and process lanes of one processor, and the AbortControllers of its runs. */
export class FrameLanes {
  readonly direct: boolean;
  readonly #name: string;
  readonly #isolated: boolean;
  readonly #runner: LaneRunner;

  #cancelling = false;
  #closed = false;

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
   * is set, the processor's interruptible non-system pushes are dropped (see dropsPush()).
   */
  #abandonedRunId = 0;
  #graceTimer: NodeJS.Timeout | undefined;
  readonly #drain = (): void => this.#drainInput();

  constructor(runner: LaneRunner, options: FrameLanesOptions) {
    this.#runner = runner;
    this.#name = options.name;
    this.direct = options.direct;
    this.#isolated = options.isolated && !options.direct;
    if (this.#isolated) runContext ??= new AsyncLocalStorage<RunToken>();
  }

  /** True once a CancelFrame was processed: every later frame is dropped. */
  get cancelling(): boolean {
    return this.#cancelling;
  }

  /** True after close(), until reopen(). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The signal of the current generation (see FrameProcessor.interrupted). */
  get interrupted(): AbortSignal {
    return this.#generation.signal;
  }

  /** FrameProcessor.queueFrame(): queues (or, in direct mode, runs) a frame. Never rejects. */
  queue(frame: Frame, direction: FrameDirection): Promise<void> {
    if (this.#cancelling || this.#closed) return RESOLVED;
    if (this.direct) return this.#invokeDirect(frame, direction);
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
   * True when a push of `frame` by this processor is taken for one from an abandoned, unsettled
   * run, and must be dropped (see #abandonCurrent).
   */
  dropsPush(frame: Frame): boolean {
    if (this.#isolated) {
      const token = (runContext as AsyncLocalStorage<RunToken>).getStore();
      return token !== undefined && token.owner === this && token.abandoned && !token.settled;
    }
    return this.#abandonedRunId !== 0 && frame.kind !== "system" && !frame.uninterruptible;
  }

  /** A StartFrame was processed: the process lane may run. */
  open(): void {
    if (!this.direct && !this.#processOpen && !this.#closed) {
      this.#processOpen = true;
      this.#pumpProcess();
    }
  }

  /**
   * An InterruptionFrame was processed: flushes the process queue (but uninterruptible frames),
   * abandons the interruptible run in progress, and starts a new generation.
   */
  interrupt(): void {
    if (!this.direct) {
      this.#processQueue.reset();
      const frame = this.#currentFrame;
      if (frame !== undefined && !frame.uninterruptible) this.#abandonCurrent("interrupted");
    }
    const previous = this.#generation;
    this.#generation = new AbortController();
    previous.abort(abortReason("interrupted"));
  }

  /** Flushes the process queue but uninterruptible frames; the frame in progress goes on. */
  flush(): void {
    if (!this.direct) this.#processQueue.reset();
  }

  /** A CancelFrame was processed: drops everything queued or to come, abandons the run in progress. */
  cancel(): void {
    this.#cancelling = true;
    if (!this.direct) {
      this.#inputQueue.clear();
      this.#processQueue.clear();
      this.#abandonCurrent("cancelled");
    }
    this.#generation.abort(abortReason("cancelled"));
    this.#lifetime.abort(abortReason("cancelled"));
  }

  /** Stops the lanes, abandons work in progress and aborts every signal (FrameProcessor.cleanup()). */
  async close(): Promise<void> {
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

  /** Back to the state of new lanes after close(), for a processor that serves a new task. */
  reopen(): void {
    if (this.#graceTimer !== undefined) clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    this.#closed = false;
    this.#cancelling = false;
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
    await this.#invokeOnLifetime(frame, direction);
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
      await this.#runner.run(frame, direction, signal);
    } catch (error) {
      await this.#failed(frame, error, signal, this.#runId !== runId);
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
    let result: Promise<void>;
    try {
      result = this.#runner.run(frame, direction, this.#lifetime.signal);
    } catch (error) {
      return this.#failed(frame, error, this.#lifetime.signal, false);
    }
    if (result === RESOLVED) return RESOLVED;
    return this.#awaitDirect(result, frame);
  }

  async #awaitDirect(result: Promise<void>, frame: Frame): Promise<void> {
    try {
      await result;
    } catch (error) {
      await this.#failed(frame, error, this.#lifetime.signal, false);
    }
  }

  /** A run on the lifetime signal (system frames). Never rejects. */
  async #invokeOnLifetime(frame: Frame, direction: FrameDirection): Promise<void> {
    const signal = this.#lifetime.signal;
    try {
      await this.#runner.run(frame, direction, signal);
    } catch (error) {
      await this.#failed(frame, error, signal, false);
    }
  }

  /** A run failed: reported by the processor, unless it was abandoned or aborted. Never rejects. */
  #failed(frame: Frame, error: unknown, signal: AbortSignal, abandoned: boolean): Promise<void> {
    if (abandoned || (signal.aborted && isAbortOf(error, signal))) {
      logger.debug(`${this.#name}: processing of ${frame} stopped: ${describeError(error)}`);
      return RESOLVED;
    }
    return this.#runner.fail(frame, error);
  }

  /** A fresh controller for the interruptible runs to come (see #sharedController). */
  #newSharedController(): AbortController {
    this.#sharedController = new AbortController();
    return this.#sharedController;
  }

  /**
   * The process lane gives up on its current run (interruption, cancel, cleanup) and aborts its
   * signal. With isolateAbandonedRuns the lane goes on at once (the run's pushes are told apart by
   * their async context). Otherwise, as Pipecat waits for a cancelled process task (1 s at most),
   * the lane waits for the run to settle, at most ABANDONED_RUN_GRACE_MS, before the next frame:
   * meanwhile nothing else runs on the lane, so the interruptible non-system frames this processor
   * pushes are the abandoned run's, and are dropped.
   */
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
        `${this.#name}: an interrupted run ignored its AbortSignal for ${ABANDONED_RUN_GRACE_MS} ms; going on without it (its later pushes are not dropped)`,
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
}
