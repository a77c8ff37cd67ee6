// FrameProcessor: the unit every pipeline is made of (Pipecat's processors/frame_processor.py).
//
// Non-direct mode (the default), as in Pipecat:
// - queueFrame() puts frames in a 3-tier input queue (StartFrame, system, everything else).
//   Nothing is taken out before a StartFrame arrives; the StartFrame goes first.
// - The input loop processes system frames inline and moves data/control frames to the process
//   queue, which a second loop handles strictly one frame at a time.
// - An InterruptionFrame aborts the signal of the process-queue frame in progress (unless it is
//   uninterruptible) and abandons it, and flushes the process queue except uninterruptible frames.
//   JavaScript cannot cancel a running async function, so an abandoned run keeps going in the
//   background until it notices its signal; everything it pushes meanwhile is dropped.
// - After a CancelFrame everything queued or arriving later is dropped.
// Direct mode: queueFrame() runs processFrame() right away (awaited); no queues, no gating.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Frame } from "../frames/base.js";
import { ErrorFrame } from "../frames/error.js";
import { CancelFrame, InterruptionFrame, StartFrame } from "../frames/lifecycle.js";
import { MetricsFrame, type MetricsData } from "../frames/metrics.js";
import { monotonicNs, type ObserverProxyLike } from "../observers/base-observer.js";
import { categoryForHttpStatus, isPermanentCategory, PipecatError, type ErrorCategory } from "../utils/errors.js";
import { nextObjectId, nextObjectName } from "../utils/ids.js";
import { logger } from "../utils/logger.js";
import { FrameDirection } from "./direction.js";
import { describeError, EventEmitter, type EventHandler } from "./events.js";
import { FrameProcessorMetrics } from "./metrics.js";
import { InputQueue, ProcessQueue, type QueuedFrame } from "./queues.js";

export interface FrameProcessorOptions {
  name?: string;
  /** Process frames synchronously in queueFrame(), with no queues and no StartFrame gating. */
  directMode?: boolean;
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

/** What a processing run looks like to pushFrame(): pushes from an abandoned, unfinished run are dropped. */
interface RunContext {
  abandoned: boolean;
  settled: boolean;
  signal: AbortSignal;
}

const runContext = new AsyncLocalStorage<RunContext>();

/**
 * Runs `fn` outside any frame-processing run. Background work a processor starts from
 * processFrame() belongs to that run: if the run is abandoned by an interruption, the work's pushes
 * are dropped until the run finishes. Start long-lived work through runDetached() to opt out.
 */
export function runDetached<T>(fn: () => T): T {
  return runContext.exit(fn);
}

interface ActiveRun {
  frame: Frame;
  controller: AbortController;
  ctx: RunContext;
  abandon: () => void;
}

function abortReason(message: string): DOMException {
  return new DOMException(message, "AbortError");
}

function isAbortOf(error: unknown, signal: AbortSignal): boolean {
  if (error === signal.reason) return true;
  const name = (error as { name?: unknown } | null)?.name;
  return name === "AbortError";
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EPIPE",
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function httpStatusOf(error: object): number | undefined {
  const e = error as { status?: unknown; statusCode?: unknown; response?: { status?: unknown; statusCode?: unknown } };
  for (const candidate of [e.status, e.statusCode, e.response?.status, e.response?.statusCode]) {
    if (typeof candidate === "number" && Number.isInteger(candidate) && candidate >= 100 && candidate <= 599) return candidate;
  }
  return undefined;
}

/**
 * Pipecat's classify_http_exception, extended: a PipecatError's own category; else an HTTP status
 * (`status`, `statusCode`, `response.status`, `response.statusCode`); else AbortError → "cancelled",
 * TimeoutError → "timeout"; else connection errors (Node/undici codes, "fetch failed") → "network";
 * else "unknown". Looks through `cause` chains.
 */
export function classifyCause(cause: unknown, depth = 0): ErrorCategory {
  if (cause === null || typeof cause !== "object" || depth > 4) return "unknown";
  if (cause instanceof PipecatError && cause.category !== "unknown") return cause.category;
  const status = httpStatusOf(cause);
  if (status !== undefined && status >= 400) return categoryForHttpStatus(status);
  const { name, code, message } = cause as { name?: unknown; code?: unknown; message?: unknown };
  if (name === "AbortError") return "cancelled";
  if (name === "TimeoutError") return "timeout";
  if (typeof code === "string" && NETWORK_CODES.has(code)) return "network";
  const inner = (cause as { cause?: unknown }).cause;
  if (inner !== undefined) {
    const category = classifyCause(inner, depth + 1);
    if (category !== "unknown") return category;
  }
  if (cause instanceof TypeError && message === "fetch failed") return "network";
  return "unknown";
}

export class FrameProcessor {
  readonly id: number;
  readonly name: string;
  /** The model name reported in metrics (services keep it in sync with their settings). */
  protected metricsModel: string | undefined = undefined;

  readonly #directMode: boolean;
  #next: FrameProcessor | undefined;
  #previous: FrameProcessor | undefined;
  readonly #events: EventEmitter<Record<string, unknown[]>>;
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
  /** Aborted at cancel/cleanup; the signal system frames (and direct-mode frames) are processed with. */
  readonly #lifetime = new AbortController();
  readonly #systemContext: RunContext;

  // Non-direct machinery.
  readonly #inputQueue = new InputQueue();
  readonly #processQueue = new ProcessQueue();
  #inputLoop: Promise<void> | undefined;
  #processLoop: Promise<void> | undefined;
  #current: ActiveRun | undefined;
  #systemInFlight: Promise<void> | undefined;
  #resumeAfterInput = false;

  constructor(options: FrameProcessorOptions = {}) {
    this.id = nextObjectId();
    this.name = options.name ?? nextObjectName(new.target.name);
    this.#directMode = options.directMode ?? false;
    this.#events = new EventEmitter(this.name);
    this.#metrics = new FrameProcessorMetrics(this.name);
    this.#systemContext = { abandoned: false, settled: false, signal: this.#lifetime.signal };
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
   * InterruptionFrame; aborted for good at CancelFrame and cleanup. Background work can listen to it.
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
    this.#setup = setup;
    this.#observer = setup.observer;
    if (setup.reportOnlyInitialTtfb) this.#metrics.reportOnlyInitialTtfb = true;
  }

  /** Stops the loops, abandons work in progress and aborts `interrupted`. Subclasses call super.cleanup(). */
  async cleanup(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#inputQueue.clear();
    this.#inputQueue.close();
    this.#processQueue.clear();
    this.#processQueue.close();
    if (this.#current) this.#abandonRun(this.#current, "processor cleaned up");
    this.#generation.abort(abortReason("processor cleaned up"));
    this.#lifetime.abort(abortReason("processor cleaned up"));
    const loops = [this.#inputLoop, this.#processLoop].filter((p): p is Promise<void> => p !== undefined);
    if (loops.length > 0) {
      // A loop stuck in a system frame's handler is not waited for long.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 500);
        timer.unref?.();
      });
      await Promise.race([Promise.all(loops), timeout]);
      clearTimeout(timer);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  on<E extends keyof FrameProcessorEvents>(event: E, handler: EventHandler<FrameProcessorEvents[E]>): void;
  on(event: string, handler: EventHandler<never[]>): void;
  on(event: string, handler: EventHandler<never[]>): void {
    this.#events.on(event, handler as EventHandler<unknown[]>);
  }

  off<E extends keyof FrameProcessorEvents>(event: E, handler: EventHandler<FrameProcessorEvents[E]>): void;
  off(event: string, handler: EventHandler<never[]>): void;
  off(event: string, handler: EventHandler<never[]>): void {
    this.#events.off(event, handler as EventHandler<unknown[]>);
  }

  /** Emits an event (subclasses may define their own); handlers are awaited in order, errors logged. */
  protected emit(event: string, ...args: unknown[]): Promise<void> {
    return this.#events.emit(event, ...args);
  }

  // ---------------------------------------------------------------------------------------------
  // Queueing and processing

  /** The entry point neighbours (and the task) call. */
  async queueFrame(frame: Frame, direction: FrameDirection = FrameDirection.DOWNSTREAM): Promise<void> {
    if (this.#cancelling || this.#closed) return;
    if (this.#directMode) {
      const parent = runContext.getStore();
      await this.#invoke(frame, direction, parent?.signal ?? this.#lifetime.signal);
      return;
    }
    this.#inputQueue.put({ frame, direction });
    if (frame instanceof StartFrame && this.#inputLoop === undefined) {
      this.#inputLoop = runDetached(() => this.#runInputLoop());
    }
  }

  /**
   * Subclasses override this, call `await super.processFrame(frame, direction, signal)` first, then
   * push what they want. The base never forwards anything. `signal` aborts when an interruption
   * abandons this frame's processing, or on CancelFrame.
   */
  async processFrame(frame: Frame, direction: FrameDirection, _signal: AbortSignal): Promise<void> {
    this.#observer?.onProcessFrame({ processor: this, frame, direction, timestamp: monotonicNs() });
    if (frame instanceof StartFrame) this.#handleStart(frame);
    else if (frame instanceof InterruptionFrame) await this.#handleInterruption();
    else if (frame instanceof CancelFrame) this.#handleCancel();
  }

  async #invoke(frame: Frame, direction: FrameDirection, signal: AbortSignal): Promise<void> {
    try {
      if (this.#events.has("beforeProcessFrame")) await this.#events.emit("beforeProcessFrame", this, frame, direction);
      await this.processFrame(frame, direction, signal);
      if (this.#events.has("afterProcessFrame")) await this.#events.emit("afterProcessFrame", this, frame, direction);
    } catch (error) {
      if (runContext.getStore()?.abandoned || (signal.aborted && isAbortOf(error, signal))) {
        logger.debug(`${this.name}: processing of ${frame} stopped: ${describeError(error)}`);
        return;
      }
      try {
        await this.pushError(`Error processing frame: ${describeError(error)}`, { cause: error, category: "unknown" });
      } catch (inner) {
        logger.error(`${this.name}: could not report an error: ${describeError(inner)}`);
      }
    }
  }

  async #runInputLoop(): Promise<void> {
    for (;;) {
      const item = await this.#inputQueue.get();
      if (!item) return;
      if (item.frame.kind === "system") {
        let release!: () => void;
        this.#systemInFlight = new Promise<void>((resolve) => (release = resolve));
        try {
          await runContext.run(this.#systemContext, () => this.#invoke(item.frame, item.direction, this.#lifetime.signal));
        } finally {
          this.#systemInFlight = undefined;
          release();
        }
      } else if (!this.#cancelling) {
        this.#processQueue.put(item);
      }
    }
  }

  async #runProcessLoop(): Promise<void> {
    for (;;) {
      if (this.#resumeAfterInput) {
        // After an interruption, let the input loop finish handling it (e.g. forward the
        // InterruptionFrame) before the next frame is processed.
        this.#resumeAfterInput = false;
        if (this.#systemInFlight) await this.#systemInFlight;
      }
      const item = await this.#processQueue.get();
      if (!item) return;
      await this.#runOne(item);
    }
  }

  async #runOne(item: QueuedFrame): Promise<void> {
    const controller = new AbortController();
    const ctx: RunContext = { abandoned: false, settled: false, signal: controller.signal };
    let abandon!: () => void;
    const abandoned = new Promise<void>((resolve) => (abandon = resolve));
    const run: ActiveRun = { frame: item.frame, controller, ctx, abandon };
    this.#current = run;
    const done = runContext.run(ctx, () => this.#invoke(item.frame, item.direction, controller.signal)).finally(() => {
      ctx.settled = true;
    });
    await Promise.race([done, abandoned]);
    if (this.#current === run) this.#current = undefined;
  }

  #abandonRun(run: ActiveRun, why: string): void {
    run.ctx.abandoned = true;
    run.controller.abort(abortReason(why));
    run.abandon();
    if (this.#current === run) this.#current = undefined;
    this.#resumeAfterInput = true;
  }

  #handleStart(frame: StartFrame): void {
    this.#started = true;
    this.#metricsFromStart = frame.enableMetrics;
    if (frame.reportOnlyInitialTtfb) this.#metrics.reportOnlyInitialTtfb = true;
    if (!this.#directMode && this.#processLoop === undefined && !this.#closed) {
      this.#processLoop = runDetached(() => this.#runProcessLoop());
    }
  }

  async #handleInterruption(): Promise<void> {
    if (!this.#directMode) {
      this.#processQueue.reset();
      const run = this.#current;
      if (run && !run.frame.uninterruptible) this.#abandonRun(run, "interrupted");
    }
    const previous = this.#generation;
    this.#generation = new AbortController();
    previous.abort(abortReason("interrupted"));
    await this.stopAllMetrics();
  }

  #handleCancel(): void {
    this.#cancelling = true;
    if (!this.#directMode) {
      this.#inputQueue.clear();
      this.#inputQueue.close();
      this.#processQueue.clear();
      this.#processQueue.close();
      if (this.#current) this.#abandonRun(this.#current, "cancelled");
    }
    this.#generation.abort(abortReason("cancelled"));
    this.#lifetime.abort(abortReason("cancelled"));
  }

  // ---------------------------------------------------------------------------------------------
  // Pushing

  /** Sends a frame to the next (downstream) or previous (upstream) processor; dropped when there is none. */
  async pushFrame(frame: Frame, direction: FrameDirection = FrameDirection.DOWNSTREAM): Promise<void> {
    const ctx = runContext.getStore();
    if (ctx !== undefined && ctx.abandoned && !ctx.settled) {
      logger.debug(`${this.name}: dropped ${frame} pushed by an abandoned (interrupted) run`);
      return;
    }
    try {
      if (this.#events.has("beforePushFrame")) await this.#events.emit("beforePushFrame", this, frame, direction);
      const destination = direction === FrameDirection.DOWNSTREAM ? this.#next : this.#previous;
      if (destination) {
        this.#observer?.onPushFrame({ source: this, destination, frame, direction, timestamp: monotonicNs() });
        await destination.queueFrame(frame, direction);
      }
      if (this.#events.has("afterPushFrame")) await this.#events.emit("afterPushFrame", this, frame, direction);
    } catch (error) {
      if (frame instanceof ErrorFrame) {
        logger.error(`${this.name}: could not push ${frame}: ${describeError(error)}`);
        return;
      }
      await this.pushError(`Error pushing frame ${frame}: ${describeError(error)}`, { cause: error, category: "unknown" });
    }
  }

  /** Pushes two fresh instances, linked by broadcastSiblingId: one downstream, then one upstream. */
  async broadcastFrame<A extends unknown[]>(frameClass: new (...args: A) => Frame, ...args: A): Promise<void> {
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
    if (options.fatal) logger.warn(`${this.name}: fatal errors are deprecated; use forcePermanent and a processorUnusablePolicy`);
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
    if (this.#forcePermanent.has(frame) || isPermanentCategory(frame.category)) await this.setUsable(false);
    await this.#events.emit("error", this, frame);
    logger.error(`${this.name}: ${frame.error}${frame.category !== "unknown" ? ` (${frame.category})` : ""}`);
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
    return this.canGenerateMetrics() && (this.#setup?.enableMetrics === true || this.#metricsFromStart);
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

function copyFrame<T extends Frame>(frame: T): T {
  const copy = Object.create(Object.getPrototypeOf(frame) as object) as T;
  Object.assign(copy, frame);
  const mutable = copy as { id: number; name: string };
  mutable.id = nextObjectId();
  mutable.name = nextObjectName(frame.constructor.name);
  return copy;
}
