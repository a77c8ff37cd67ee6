// A small typed event emitter, and the events every processor emits. Handlers may be sync or
// async; emit() awaits them in registration order. A handler that throws (or rejects) is logged,
// never rethrown, and the next one still runs.
import type { Frame } from "../frames/base.js";
import type { ErrorFrame } from "../frames/error.js";
import { describeError } from "../utils/errors.js";
import { logger } from "../utils/logger.js";
import type { FrameDirection } from "./direction.js";
import type { FrameProcessor } from "./frame-processor.js";

/** Handler arguments of the events every processor emits. */
export interface FrameProcessorEvents {
  beforeProcessFrame: [processor: FrameProcessor, frame: Frame, direction: FrameDirection];
  afterProcessFrame: [processor: FrameProcessor, frame: Frame, direction: FrameDirection];
  beforePushFrame: [processor: FrameProcessor, frame: Frame, direction: FrameDirection];
  afterPushFrame: [processor: FrameProcessor, frame: Frame, direction: FrameDirection];
  error: [processor: FrameProcessor, frame: ErrorFrame];
  usableChanged: [processor: FrameProcessor, usable: boolean];
}

export type EventHandler<A extends unknown[] = unknown[]> = (...args: A) => unknown;

/** `Events` maps each event name to its handler arguments, e.g. `{ error: [err: Error] }`. */
export class EventEmitter<
  Events extends { [K in keyof Events]: unknown[] } = Record<string, unknown[]>,
> {
  readonly #handlers = new Map<keyof Events, EventHandler<never[]>[]>();
  readonly #owner: string;

  constructor(owner = "EventEmitter") {
    this.#owner = owner;
  }

  on<K extends keyof Events>(event: K, handler: EventHandler<Events[K]>): void {
    const list = this.#handlers.get(event);
    if (list) list.push(handler as EventHandler<never[]>);
    else this.#handlers.set(event, [handler as EventHandler<never[]>]);
  }

  off<K extends keyof Events>(event: K, handler: EventHandler<Events[K]>): void {
    const list = this.#handlers.get(event);
    if (!list) return;
    const i = list.indexOf(handler as EventHandler<never[]>);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#handlers.delete(event);
  }

  /** True when at least one handler is registered for `event`. */
  has(event: keyof Events): boolean {
    return this.#handlers.has(event);
  }

  /** Calls every handler of `event` in order, awaiting each; errors are logged. */
  async emit<K extends keyof Events>(event: K, ...args: Events[K]): Promise<void> {
    const list = this.#handlers.get(event);
    if (!list) return;
    for (const handler of list.slice()) {
      try {
        await (handler as EventHandler<Events[K]>)(...args);
      } catch (error) {
        logger.error(`${this.#owner}: "${String(event)}" handler failed: ${describeError(error)}`);
      }
    }
  }
}
