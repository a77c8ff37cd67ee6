// The proxy a PipelineTask hands to every processor. Each observer gets its own queue, drained
// asynchronously and in order, so a slow observer never blocks the pipeline (or other observers).
// With no observer interested in an event kind, processors skip it entirely (wantsProcessFrame /
// wantsPushFrame).
import type { Frame } from "../frames/base.js";
import { describeError } from "../utils/errors.js";
import { runDetached } from "../processors/lanes.js";
import { logger } from "../utils/logger.js";
import type {
  BaseObserver,
  FrameProcessed,
  FramePushed,
  ObserverProxyLike,
} from "./base-observer.js";

const PROCESS = 0;
const PUSH = 1;
const STARTED = 2;
type DeliveryKind = typeof PROCESS | typeof PUSH | typeof STARTED;

class ObserverQueue {
  /** Pairs: kind, event. */
  readonly #items: Array<DeliveryKind | FrameProcessed | FramePushed | undefined> = [];
  #head = 0;
  #running = false;
  #stopped = false;
  #idleWaiters: Array<() => void> = [];

  constructor(readonly observer: BaseObserver) {}

  push(kind: DeliveryKind, event: FrameProcessed | FramePushed | undefined): void {
    if (this.#stopped) return;
    this.#items.push(kind, event);
    if (!this.#running) {
      this.#running = true;
      runDetached(() => queueMicrotask(() => void this.#pump()));
    }
  }

  #deliver(
    kind: DeliveryKind,
    event: FrameProcessed | FramePushed | undefined,
  ): void | Promise<void> {
    const observer = this.observer;
    if (kind === PROCESS) return observer.onProcessFrame?.(event as FrameProcessed);
    if (kind === PUSH) return observer.onPushFrame?.(event as FramePushed);
    return observer.onPipelineStarted?.();
  }

  async #pump(): Promise<void> {
    while (!this.#stopped && this.#head < this.#items.length) {
      const kind = this.#items[this.#head] as DeliveryKind;
      const event = this.#items[this.#head + 1] as FrameProcessed | FramePushed | undefined;
      this.#items[this.#head + 1] = undefined;
      this.#head += 2;
      if (this.#head === this.#items.length) {
        this.#items.length = 0;
        this.#head = 0;
      } else if (this.#head > 2048 && this.#head * 2 > this.#items.length) {
        this.#items.splice(0, this.#head);
        this.#head = 0;
      }
      try {
        const result = this.#deliver(kind, event);
        if (result !== undefined) await result;
      } catch (error) {
        logger.error(`observer ${this.observer.constructor.name} failed: ${describeError(error)}`);
      }
    }
    this.#running = false;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when everything queued so far was delivered (or the queue was stopped). */
  idle(): Promise<void> {
    if (!this.#running || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  stop(): void {
    this.#stopped = true;
    this.#items.length = 0;
    this.#head = 0;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}

export class TaskObserver implements ObserverProxyLike {
  readonly #queues = new Map<BaseObserver, ObserverQueue>();
  #processObservers = 0;
  #pushObservers = 0;
  /** Called synchronously for every push (the task's idle monitor). */
  pushTap: ((frame: Frame) => void) | undefined;

  constructor(observers: Iterable<BaseObserver> = []) {
    for (const o of observers) this.addObserver(o);
  }

  get observers(): BaseObserver[] {
    return [...this.#queues.keys()];
  }

  /** False when no observer has onProcessFrame: processors then skip the call. */
  get wantsProcessFrame(): boolean {
    return this.#processObservers > 0;
  }

  /** False when no observer has onPushFrame and there is no pushTap: processors then skip the call. */
  get wantsPushFrame(): boolean {
    return this.#pushObservers > 0 || this.pushTap !== undefined;
  }

  addObserver(observer: BaseObserver): void {
    if (this.#queues.has(observer)) return;
    this.#queues.set(observer, new ObserverQueue(observer));
    this.#count(observer, 1);
  }

  /** Stops delivering to `observer`; events still queued for it are dropped. */
  removeObserver(observer: BaseObserver): void {
    const queue = this.#queues.get(observer);
    if (!queue) return;
    queue.stop();
    this.#queues.delete(observer);
    this.#count(observer, -1);
  }

  #count(observer: BaseObserver, delta: number): void {
    if (typeof observer.onProcessFrame === "function") this.#processObservers += delta;
    if (typeof observer.onPushFrame === "function") this.#pushObservers += delta;
  }

  onProcessFrame(event: FrameProcessed): void {
    if (this.#processObservers === 0) return;
    for (const [observer, queue] of this.#queues) {
      if (observer.onProcessFrame) queue.push(PROCESS, event);
    }
  }

  onPushFrame(event: FramePushed): void {
    this.pushTap?.(event.frame);
    if (this.#pushObservers === 0) return;
    for (const [observer, queue] of this.#queues) {
      if (observer.onPushFrame) queue.push(PUSH, event);
    }
  }

  onPipelineStarted(): void {
    for (const [observer, queue] of this.#queues) {
      if (observer.onPipelineStarted) queue.push(STARTED, undefined);
    }
  }

  /** Waits (at most `timeoutMs`) until every observer has caught up. */
  async drain(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref?.();
    });
    await Promise.race([Promise.all([...this.#queues.values()].map((q) => q.idle())), timeout]);
    clearTimeout(timer);
  }

  /** Stops every queue. */
  stop(): void {
    for (const queue of this.#queues.values()) queue.stop();
  }
}
