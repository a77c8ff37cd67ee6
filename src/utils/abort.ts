// AbortSignal helpers: abortable sleep, a linked signal with an optional deadline that releases
// everything it holds when disposed, and `onAbort`, which lets any number of waiters share ONE
// listener per signal.
//
// Why one listener: a service's long-lived signal (its interruption epoch, a caller's signal passed
// to many runImageGen calls) is watched by every generation in flight. With a listener each, 16
// prompts in flight pass Node's limit of 10 and print MaxListenersExceededWarning; raising the
// limit would only hide a count that grows with the work. `onAbort` keeps the handlers in a Set
// behind a single listener, so the count on a shared signal stays at one.
//
// Why not AbortSignal.any() / AbortSignal.timeout(): on Node 20 a timeout signal inside any() is
// held only weakly (a GC can collect it and the timeout never fires), and any() over a long-lived
// signal leaves a WeakRef behind on it for every call (nodejs/node#55351), a slow leak in a
// service that serves thousands of prompts.

interface FanOut {
  readonly handlers: Set<() => void>;
  readonly listener: () => void;
}

/** The one listener each watched signal carries, and the handlers behind it. */
const fanOuts = new WeakMap<AbortSignal, FanOut>();

/**
 * Calls `handler` once when `signal` aborts (never if it already has: check `signal.aborted`
 * first). Returns the function that unregisters it. However many handlers a signal has, it carries
 * one "abort" listener, removed with the last handler.
 */
export function onAbort(signal: AbortSignal, handler: () => void): () => void {
  let fanOut = fanOuts.get(signal);
  if (fanOut === undefined) {
    const handlers = new Set<() => void>();
    const listener = (): void => {
      fanOuts.delete(signal);
      const errors: unknown[] = [];
      for (const run of [...handlers]) {
        try {
          run();
        } catch (error) {
          errors.push(error);
        }
      }
      handlers.clear();
      // One failing handler must not keep the others from running; the first error still surfaces.
      if (errors.length > 0) throw errors[0];
    };
    fanOut = { handlers, listener };
    fanOuts.set(signal, fanOut);
    signal.addEventListener("abort", listener, { once: true });
  }
  // A wrapper of our own, so one function registered twice is two registrations.
  const entry = (): void => handler();
  const { handlers, listener } = fanOut;
  handlers.add(entry);
  return () => {
    if (!handlers.delete(entry) || handlers.size > 0) return;
    if (fanOuts.get(signal)?.handlers === handlers) fanOuts.delete(signal);
    signal.removeEventListener("abort", listener);
  };
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let unregister: (() => void) | undefined;
    const timer = setTimeout(() => {
      unregister?.();
      resolve();
    }, ms);
    if (signal)
      unregister = onAbort(signal, () => {
        clearTimeout(timer);
        reject(signal.reason);
      });
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
  #unregister: Array<() => void> = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(sources: readonly (AbortSignal | undefined)[], options: LinkedAbortOptions = {}) {
    this.#sources = sources.filter((s): s is AbortSignal => s !== undefined);
    const aborted = this.#sources.find((s) => s.aborted);
    if (aborted) {
      this.#controller.abort(aborted.reason);
      return;
    }
    this.#unregister = this.#sources.map((source) =>
      onAbort(source, () => this.#abort(source.reason)),
    );
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
    const unregister = this.#unregister;
    this.#unregister = [];
    for (const stop of unregister) stop();
  }

  #abort(reason: unknown): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
    this.dispose();
  }
}
