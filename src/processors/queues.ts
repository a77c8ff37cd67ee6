// Queues used by FrameProcessor: a generic FIFO, a (frame, direction) ring buffer, the 3-tier input
// queue and the process queue. The frame queues allocate nothing per item and never wait: the
// processor drains them in batches from its own loops.
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
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
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

const MIN_CAPACITY = 16;
/** Above this capacity, an emptied ring gives its memory back. */
const SHRINK_ABOVE = 1024;

/**
 * A FIFO of (frame, direction) pairs in a growable ring buffer: no allocation per item.
 * `shift()` returns the frame; its direction is then in `direction`.
 */
export class FrameFifo {
  /** Slot 2i holds a frame, slot 2i+1 its direction. */
  #slots: Array<Frame | FrameDirection | undefined> = new Array<undefined>(MIN_CAPACITY * 2);
  #capacity = MIN_CAPACITY;
  #head = 0;
  #size = 0;
  /** The direction of the frame the last shift() returned. */
  direction: FrameDirection = "downstream";

  get length(): number {
    return this.#size;
  }

  push(frame: Frame, direction: FrameDirection): void {
    if (this.#size === this.#capacity) this.#grow();
    const slot = ((this.#head + this.#size) & (this.#capacity - 1)) << 1;
    this.#slots[slot] = frame;
    this.#slots[slot + 1] = direction;
    this.#size += 1;
  }

  shift(): Frame | undefined {
    if (this.#size === 0) return undefined;
    const slot = this.#head << 1;
    const frame = this.#slots[slot] as Frame;
    this.direction = this.#slots[slot + 1] as FrameDirection;
    this.#slots[slot] = undefined;
    this.#size -= 1;
    this.#head = (this.#head + 1) & (this.#capacity - 1);
    if (this.#size === 0) {
      this.#head = 0;
      if (this.#capacity > SHRINK_ABOVE) this.clear();
    }
    return frame;
  }

  clear(): void {
    this.#slots = new Array<undefined>(MIN_CAPACITY * 2);
    this.#capacity = MIN_CAPACITY;
    this.#head = 0;
    this.#size = 0;
  }

  /** Keeps only the frames `keep` selects, in order. */
  retain(keep: (frame: Frame) => boolean): void {
    const kept: Array<[Frame, FrameDirection]> = [];
    for (let frame = this.shift(); frame !== undefined; frame = this.shift()) {
      if (keep(frame)) kept.push([frame, this.direction]);
    }
    this.clear();
    for (const [frame, direction] of kept) this.push(frame, direction);
  }

  #grow(): void {
    const old = this.#slots;
    const oldCapacity = this.#capacity;
    const slots = new Array<Frame | FrameDirection | undefined>(oldCapacity * 4);
    for (let i = 0; i < this.#size; i++) {
      const from = ((this.#head + i) & (oldCapacity - 1)) << 1;
      slots[i << 1] = old[from];
      slots[(i << 1) + 1] = old[from + 1];
    }
    this.#slots = slots;
    this.#capacity = oldCapacity * 2;
    this.#head = 0;
  }
}

/**
 * StartFrame first, then system frames, then everything else; FIFO within a tier.
 * `take()` returns the frame; its direction is then in `direction`.
 */
export class InputQueue {
  readonly #start = new FrameFifo();
  readonly #system = new FrameFifo();
  readonly #other = new FrameFifo();
  direction: FrameDirection = "downstream";

  get length(): number {
    return this.#start.length + this.#system.length + this.#other.length;
  }

  put(frame: Frame, direction: FrameDirection): void {
    if (frame.kind !== "system") this.#other.push(frame, direction);
    else if (frame instanceof StartFrame) this.#start.push(frame, direction);
    else this.#system.push(frame, direction);
  }

  take(): Frame | undefined {
    const tier =
      this.#start.length > 0 ? this.#start : this.#system.length > 0 ? this.#system : this.#other;
    const frame = tier.shift();
    this.direction = tier.direction;
    return frame;
  }

  clear(): void {
    this.#start.clear();
    this.#system.clear();
    this.#other.clear();
  }
}

/**
 * FIFO of data/control frames; reset() drops all but uninterruptible frames (kept in order).
 * `take()` returns the frame; its direction is then in `direction`.
 */
export class ProcessQueue {
  readonly #items = new FrameFifo();

  get direction(): FrameDirection {
    return this.#items.direction;
  }

  get length(): number {
    return this.#items.length;
  }

  put(frame: Frame, direction: FrameDirection): void {
    this.#items.push(frame, direction);
  }

  take(): Frame | undefined {
    return this.#items.shift();
  }

  reset(): void {
    this.#items.retain((frame) => frame.uninterruptible);
  }

  clear(): void {
    this.#items.clear();
  }
}
