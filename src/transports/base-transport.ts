// BaseTransport (Pipecat's transports/base_transport.py): a pair of processors, input() at the
// head of the pipeline and output() at its tail, plus events the application listens to.
import { EventEmitter, type EventHandler } from "../processors/events.js";
import { nextObjectName } from "../utils/ids.js";
import type { BaseInputTransport } from "./base-input.js";
import type { BaseOutputTransport } from "./base-output.js";

export abstract class BaseTransport<
  Events extends { [K in keyof Events]: unknown[] } = Record<string, unknown[]>,
> {
  readonly name: string;
  readonly #events: EventEmitter<Events>;

  constructor(name?: string) {
    this.name = name ?? nextObjectName(new.target.name);
    this.#events = new EventEmitter<Events>(this.name);
  }

  /** The processor that brings the client's input into the pipeline (put it first). */
  abstract input(): BaseInputTransport;

  /** The processor that sends the pipeline's output to the client (put it last). */
  abstract output(): BaseOutputTransport;

  /** Registers an event handler; handlers run in order and may be async; errors are logged. */
  on<K extends keyof Events>(event: K, handler: EventHandler<Events[K]>): void {
    this.#events.on(event, handler);
  }

  off<K extends keyof Events>(event: K, handler: EventHandler<Events[K]>): void {
    this.#events.off(event, handler);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): Promise<void> {
    return this.#events.emit(event, ...args);
  }
}
