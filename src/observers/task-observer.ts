// The proxy a PipelineTask hands to every processor. Each observer gets its own queue, drained
// asynchronously and in order, so a slow observer never blocks the pipeline (or other observers).
import type { Frame } from "../frames/base.js";
import { describeError } from "../processors/events.js";
import { runDetached } from "../processors/frame-processor.js";
import { logger } from "../utils/logger.js";
import type { BaseObserver, FrameProcessed, FramePushed, ObserverProxyLike } from "./base-observer.js";

type Delivery = () => void | Promise<void>;

class ObserverQueue {
  readonly #items: Delivery[] = [];
  #running = false;
  #stopped = false;
  #idleWaiters: Array<() => void> = [];

  constructor(readonly observer: BaseObserver) {}

  push(delivery: Delivery): void {
    if (this.#stopped) return;
    this.#items.push(delivery);
    if (!this.#running) {
      this.#running = true;
      runDetached(() => queueMicrotask(() => void this.#pump()));
    }
  }

  async #pump(): Promise<void> {
    while (!this.#stopped && this.#items.length > 0) {
      const delivery = this.#items.shift() as Delivery;
      try {
        await delivery();
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
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}

export class TaskObserver implements ObserverProxyLike {
  readonly #queues = new Map<BaseObserver, ObserverQueue>();
  /** Called synchronously for every push (the task's idle monitor). */
  pushTap: ((frame: Frame) => void) | undefined;

  constructor(observers: Iterable<BaseObserver> = []) {
    for (const o of observers) this.addObserver(o);
  }

  get observers(): BaseObserver[] {
    return [...this.#queues.keys()];
  }

  addObserver(observer: BaseObserver): void {
    if (!this.#queues.has(observer)) this.#queues.set(observer, new ObserverQueue(observer));
  }

  /** Stops delivering to `observer`; events still queued for it are dropped. */
  removeObserver(observer: BaseObserver): void {
    this.#queues.get(observer)?.stop();
    this.#queues.delete(observer);
  }

  onProcessFrame(event: FrameProcessed): void {
    for (const [observer, queue] of this.#queues) {
      if (observer.onProcessFrame) queue.push(() => observer.onProcessFrame?.(event));
    }
  }

  onPushFrame(event: FramePushed): void {
    this.pushTap?.(event.frame);
    for (const [observer, queue] of this.#queues) {
      if (observer.onPushFrame) queue.push(() => observer.onPushFrame?.(event));
    }
  }

  onPipelineStarted(): void {
    for (const [observer, queue] of this.#queues) {
      if (observer.onPipelineStarted) queue.push(() => observer.onPipelineStarted?.());
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
