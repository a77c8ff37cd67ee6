// Retries with jittered exponential backoff that honour the server's Retry-After, for any provider.
// What is worth retrying is the caller's rule (fal's lives in services/fal/retry.ts); this module
// only decides how long to wait, and never retries once the caller has aborted. As the Vercel AI
// SDK's retryWithExponentialBackoff, with the wait a server asks for taking precedence.
import { isAbortError, sleep } from "./abort.js";

export interface RetryPolicy {
  /** Extra attempts after the first. Default 3. */
  maxRetries: number;
  /** First backoff, doubled each retry. Default 500 ms. */
  baseDelayMs: number;
  /** Cap for computed backoff. Default 10 s. */
  maxDelayMs: number;
  /** Longest Retry-After we are willing to wait; a longer one fails at once. Default 60 s. */
  maxRetryAfterMs: number;
  /** HTTP statuses worth retrying. Default 429, 502, 503, 504. */
  retryableStatuses: readonly number[];
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxRetries: 3,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
  retryableStatuses: Object.freeze([429, 502, 503, 504]),
});

/** How backoff is jittered: the computed delay times a factor in [0.75, 1.25). */
const JITTER_MIN = 0.75;
const JITTER_SPAN = 0.5;

/** The caller's rules: which failures are worth another attempt, and how long the server asked. */
export interface RetryRules {
  /** True when another attempt may succeed (e.g. HTTP 503, a connection refused). */
  isRetryable: (error: unknown) => boolean;
  /** The wait the server asked for (its Retry-After), in ms; undefined to use the backoff. */
  retryAfterMs?: (error: unknown) => number | undefined;
  /** Injected for tests: a number in [0, 1). Default Math.random. */
  random?: () => number;
}

export interface RetryOptions extends RetryRules {
  policy: RetryPolicy;
  /** The caller's signal: an abort ends the wait, and nothing is retried once it has aborted. */
  signal?: AbortSignal | undefined;
  /** Called before each wait; for logs and progress. `attempt`: the attempt about to be made (1 = first retry). */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Injected for tests: how to wait. Default: an abortable sleep. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * How long to wait before retrying after `error` (the `attempt`th retry, 0-based), or undefined
 * when it must not be retried: not retryable by the rules, or a Retry-After longer than the policy
 * accepts. Otherwise the server's Retry-After, else `baseDelayMs * 2^attempt` capped at
 * `maxDelayMs`, jittered by ±25 %: whole ms, at least ⌊0.75 × backoff⌋ and always below
 * 1.25 × backoff.
 */
export function retryDelayMs(
  error: unknown,
  attempt: number,
  policy: RetryPolicy,
  rules: RetryRules,
): number | undefined {
  if (!rules.isRetryable(error)) return undefined;
  const asked = rules.retryAfterMs?.(error);
  if (asked !== undefined) return asked <= policy.maxRetryAfterMs ? asked : undefined;
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jitter = JITTER_MIN + JITTER_SPAN * (rules.random ?? Math.random)();
  // The range is half-open: rounding to the nearest ms, or the float sum itself for a random
  // number close to 1, can reach 1.25 × exactly, so round down and stay below that bound.
  const below = Math.ceil(exponential * (JITTER_MIN + JITTER_SPAN));
  return Math.min(Math.floor(exponential * jitter), below - 1);
}

/**
 * Runs `call` until it succeeds, fails for good, or the signal aborts; then resolves to its value
 * and the number of attempts made, or rejects with the last error, unwrapped. `call` gets the
 * attempt number (0-based). Abort errors are never retried.
 */
export async function retryWithBackoff<T>(
  call: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<{ value: T; attempts: number }> {
  const wait = options.sleep ?? sleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return { value: await call(attempt), attempts: attempt + 1 };
    } catch (error) {
      if (options.signal?.aborted || isAbortError(error) || attempt >= options.policy.maxRetries)
        throw error;
      const delayMs = retryDelayMs(error, attempt, options.policy, options);
      if (delayMs === undefined) throw error;
      options.onRetry?.({ attempt: attempt + 1, delayMs, error });
      await wait(delayMs, options.signal);
    }
  }
}
