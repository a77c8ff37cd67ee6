// AbortSignal helpers: abortable sleep, and a linked signal with an optional deadline that
// releases everything it holds when disposed.
//
// Why not AbortSignal.any() / AbortSignal.timeout(): on Node 20 a timeout signal inside any() is
// held only weakly (a GC can collect it and the timeout never fires), and any() over a long-lived
// signal leaves a WeakRef behind on it for every call (nodejs/node#55351), a slow leak in a
// service that serves thousands of prompts.

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** True for the errors fetch and friends throw when a signal aborts or times out. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

export interface LinkedAbortOptions {
  /** Abort by itself after this many ms (none when undefined). */
  timeoutMs?: number;
  /** The reason given when the deadline passes. */
  timeoutReason?: () => unknown;
}

/**
 * A signal that aborts when any source signal does, or when its own deadline passes. Call
 * `dispose()` (in a `finally`) when the work is done: it removes the listeners from the sources and
 * clears the timer, so nothing outlives the work.
 */
export class LinkedAbort {
  readonly #controller = new AbortController();
  readonly #sources: AbortSignal[];
  readonly #onAbort: () => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(sources: readonly (AbortSignal | undefined)[], options: LinkedAbortOptions = {}) {
    this.#sources = sources.filter((s): s is AbortSignal => s !== undefined);
    const aborted = this.#sources.find((s) => s.aborted);
    this.#onAbort = () => {
      const source = this.#sources.find((s) => s.aborted);
      this.#abort(source?.reason);
    };
    if (aborted) {
      this.#controller.abort(aborted.reason);
      return;
    }
    for (const source of this.#sources)
      source.addEventListener("abort", this.#onAbort, { once: true });
    const { timeoutMs } = options;
    if (timeoutMs !== undefined) {
      if (!Number.isFinite(timeoutMs) || timeoutMs < 0)
        throw new RangeError(`timeoutMs must be a finite number >= 0, got ${timeoutMs}`);
      this.#timer = setTimeout(
        () =>
          this.#abort(
            options.timeoutReason?.() ??
              new DOMException("The operation timed out", "TimeoutError"),
          ),
        timeoutMs,
      );
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** True when the deadline (not a source) aborted it. */
  get timedOut(): boolean {
    return (
      this.#controller.signal.aborted &&
      !this.#sources.some((s) => s.aborted && s.reason === this.#controller.signal.reason)
    );
  }

  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const source of this.#sources) source.removeEventListener("abort", this.#onAbort);
  }

  #abort(reason: unknown): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
    this.dispose();
  }
}
