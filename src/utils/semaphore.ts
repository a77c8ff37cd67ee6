// A counting semaphore whose waits can be aborted.
import { onAbort } from "./abort.js";

export class Semaphore {
  #available: number;
  readonly #waiters: {
    resolve: () => void;
    reject: (reason: unknown) => void;
    unregister: (() => void) | undefined;
  }[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`Semaphore capacity must be a positive integer, got ${capacity}`);
    this.#available = capacity;
  }

  get available(): number {
    return this.#available;
  }

  /** Resolves once a permit is held; rejects with the signal's reason if it aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#available > 0) {
      this.#available -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve,
        reject,
        unregister: signal
          ? onAbort(signal, () => {
              const index = this.#waiters.indexOf(waiter);
              if (index >= 0) this.#waiters.splice(index, 1);
              reject(signal.reason);
            })
          : undefined,
      };
      this.#waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) {
      next.unregister?.();
      next.resolve();
    } else {
      this.#available = Math.min(this.capacity, this.#available + 1);
    }
  }
}
