// Queues used by FrameProcessor: a FIFO, the 3-tier input queue and the process queue.
import type { Frame } from "../frames/base.js";
import { StartFrame } from "../frames/lifecycle.js";
import type { FrameDirection } from "./direction.js";

export interface QueuedFrame {
  frame: Frame;
  direction: FrameDirection;
}

/** An array-backed FIFO with O(1) amortised shift. */
export class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head] as T;
    (this.#items as (T | undefined)[])[this.#head] = undefined;
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }

  /** Keeps only the items `keep` selects, in order. */
  retain(keep: (item: T) => boolean): void {
    this.#items = this.#items.slice(this.#head).filter(keep);
    this.#head = 0;
  }
}

/** Base for queues whose `get()` waits for an item and returns undefined once closed. */
abstract class WaitableQueue {
  #waiter: (() => void) | undefined;
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
    this.wake();
  }

  protected wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  protected abstract take(): QueuedFrame | undefined;

  async get(): Promise<QueuedFrame | undefined> {
    for (;;) {
      if (this.#closed) return undefined;
      const item = this.take();
      if (item) return item;
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
  }
}

/** StartFrame first, then system frames, then everything else; FIFO within a tier. */
export class InputQueue extends WaitableQueue {
  readonly #tiers = [new Fifo<QueuedFrame>(), new Fifo<QueuedFrame>(), new Fifo<QueuedFrame>()] as const;

  put(item: QueuedFrame): void {
    const tier = item.frame instanceof StartFrame ? 0 : item.frame.kind === "system" ? 1 : 2;
    this.#tiers[tier].push(item);
    this.wake();
  }

  protected take(): QueuedFrame | undefined {
    return this.#tiers[0].shift() ?? this.#tiers[1].shift() ?? this.#tiers[2].shift();
  }

  clear(): void {
    for (const tier of this.#tiers) tier.clear();
  }
}

/** FIFO of data/control frames; reset() drops all but uninterruptible frames (kept in order). */
export class ProcessQueue extends WaitableQueue {
  readonly #items = new Fifo<QueuedFrame>();

  put(item: QueuedFrame): void {
    this.#items.push(item);
    this.wake();
  }

  protected take(): QueuedFrame | undefined {
    return this.#items.shift();
  }

  get length(): number {
    return this.#items.length;
  }

  reset(): void {
    this.#items.retain((item) => item.frame.uninterruptible);
  }

  clear(): void {
    this.#items.clear();
  }
}
