// A twin's life: the Host/Origin policy it checks requests against (set by whoever gives it a
// socket), and its closing. stop() flips it to closing once: new requests get 503 and the shutdown
// signal aborts, which ends the twin's streams, syntheses and jobs in flight.
import type { HostPolicy } from "../../server/host-guard.js";

export interface TwinLifecycleOptions {
  /** The policy to start with (undefined: none, for an app without a socket). */
  hostPolicy?: HostPolicy | undefined;
  /** The abort reason of the shutdown signal; default the platform's AbortError. */
  shutdownReason?: unknown;
}

export class TwinLifecycle {
  #hostPolicy: HostPolicy | undefined;
  readonly #shutdown = new AbortController();
  readonly #shutdownReason: unknown;

  constructor(options: TwinLifecycleOptions = {}) {
    this.#hostPolicy = options.hostPolicy;
    this.#shutdownReason = options.shutdownReason;
  }

  /** The Host/Origin policy every request is checked against now. */
  get hostPolicy(): HostPolicy | undefined {
    return this.#hostPolicy;
  }

  setHostPolicy(policy: HostPolicy | undefined): void {
    this.#hostPolicy = policy;
  }

  /** True once stop() has begun. */
  get closing(): boolean {
    // The shutdown signal is the one record of closing: only stop() aborts it.
    return this.#shutdown.signal.aborted;
  }

  /** Aborts when the twin begins to close. */
  get shutdown(): AbortSignal {
    return this.#shutdown.signal;
  }

  /** Begins closing: true the first time, false when it had already begun (idempotent). */
  stop(): boolean {
    if (this.closing) return false;
    if (this.#shutdownReason === undefined) this.#shutdown.abort();
    else this.#shutdown.abort(this.#shutdownReason);
    return true;
  }
}
