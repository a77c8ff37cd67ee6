// Keeps output in input order when work for several inputs runs at once.
// Each input reserves a slot; a slot's frames go out as soon as every earlier slot is finished,
// so a slow input never lets a later one overtake it, and the first slot streams without delay.
import type { Frame } from "../frames/base.js";
import { logger } from "../utils/logger.js";
import type { FrameDirection } from "./direction.js";

type Push = (frame: Frame, direction: FrameDirection) => Promise<void>;

interface Pending {
  frame: Frame;
  direction: FrameDirection;
}

/** A reserved place in the output order. */
export class OutputSlot {
  readonly items: Pending[] = [];
  closed = false;
  dropped = false;
  readonly flushed: Promise<void>;
  resolveFlushed!: () => void;

  constructor(private readonly owner: OutputSequencer) {
    this.flushed = new Promise((resolve) => (this.resolveFlushed = resolve));
  }

  /** Queues a frame behind everything emitted earlier in this slot. Ignored once the slot was dropped. */
  emit(frame: Frame, direction: FrameDirection): void {
    if (this.dropped || this.closed) return;
    this.items.push({ frame, direction });
    this.owner.drain();
  }

  /** No more frames for this slot: later slots may go. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.owner.drain();
  }
}

export class OutputSequencer {
  #slots: OutputSlot[] = [];
  #draining: Promise<void> = Promise.resolve();

  constructor(private readonly push: Push) {}

  /** Slots not yet fully pushed. */
  get pending(): number {
    return this.#slots.length;
  }

  open(): OutputSlot {
    const slot = new OutputSlot(this);
    this.#slots.push(slot);
    return slot;
  }

  /** A frame that needs no work of its own but must keep its place in the order. */
  passThrough(frame: Frame, direction: FrameDirection): Promise<void> {
    const slot = this.open();
    slot.emit(frame, direction);
    slot.close();
    return slot.flushed;
  }

  /**
   * Drops every frame not yet pushed, except those `keep` selects (uninterruptible frames such as
   * EndFrame), which go out in their original order. Returns the dropped slots' count.
   */
  clear(keep: (frame: Frame) => boolean): number {
    const slots = this.#slots;
    this.#slots = [];
    const kept = this.open();
    for (const slot of slots) {
      for (const item of slot.items) if (keep(item.frame)) kept.items.push(item);
      slot.items.length = 0;
      slot.dropped = true;
      slot.resolveFlushed();
    }
    kept.close();
    return slots.length;
  }

  /** Resolves when everything emitted so far has been pushed. */
  async idle(): Promise<void> {
    while (this.#slots.length > 0) {
      const last = this.#slots[this.#slots.length - 1] as OutputSlot;
      await last.flushed;
    }
    await this.#draining;
  }

  /** Pushes what can go now. Pushes are serialised so order holds across concurrent emitters. */
  drain(): void {
    this.#draining = this.#draining.then(async () => {
      while (this.#slots.length > 0) {
        const head = this.#slots[0] as OutputSlot;
        while (head.items.length > 0 && !head.dropped) {
          const item = head.items.shift() as Pending;
          // pushFrame reports its own failures; a rejection here must not stop the frames behind
          // it.
          await this.push(item.frame, item.direction).catch((error: unknown) =>
            logger.debug(`OutputSequencer: push of ${item.frame} failed: ${String(error)}`),
          );
        }
        if (!head.closed && !head.dropped) return;
        if (this.#slots[0] === head) this.#slots.shift();
        head.resolveFlushed();
      }
    });
  }
}
