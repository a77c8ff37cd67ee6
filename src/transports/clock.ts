// The clock the output transport paces audio with: monotonic milliseconds and an abortable sleep.
// Injectable so tests can drive time by hand instead of waiting for it.
import { sleep } from "../utils/abort.js";

export interface OutputClock {
  /** Monotonic milliseconds (any origin). */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason as soon as it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** performance.now() and setTimeout(). */
export const realClock: OutputClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(Math.max(0, ms), signal),
};
