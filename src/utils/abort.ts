// AbortSignal helpers: abortable sleep, linked signals, deadlines.

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

/** A signal that aborts when any of the given signals does (AbortSignal.any, tolerant of undefined). */
export function anySignal(signals: readonly (AbortSignal | undefined)[]): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 1) return present[0] as AbortSignal;
  return AbortSignal.any(present);
}

/** True for the errors fetch and friends throw when a signal aborts or times out. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

/** A deadline: a controller that aborts itself with `reason()` after `ms` (none when ms is undefined or <= 0). */
export class Deadline {
  readonly controller = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  constructor(ms: number | undefined, reason: () => Error) {
    if (ms !== undefined && ms > 0 && Number.isFinite(ms)) {
      this.#timer = setTimeout(() => this.controller.abort(reason()), ms);
      this.#timer.unref?.();
    }
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
