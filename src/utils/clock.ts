// Monotonic clocks (performance.now() based) for observer timestamps and metrics. Kept apart from
// the observers so that the core can read the time without importing them.

/** Monotonic clock in nanoseconds, for observer timestamps. */
export function monotonicNs(): number {
  return Math.round(performance.now() * 1e6);
}

/** Monotonic clock in milliseconds (fractional), for durations. */
export function monotonicMs(): number {
  return performance.now();
}
