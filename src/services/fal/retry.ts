// Retries with jittered exponential backoff that honour Retry-After.
import { sleep } from "../../utils/abort.js";
import { FalApiError, FalNetworkError, FalTimeoutError } from "./errors.js";

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

export interface RetryContext {
  /** `false` for calls that must not be repeated once the server may have acted on them (queue submit, sync run). */
  idempotent: boolean;
  signal?: AbortSignal;
  /** Called before each wait; for logs and progress. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Injected for tests: how to wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injected for tests: a number in [0, 1). */
  random?: () => number;
}

/**
 * How long to wait before retrying after `error`, or undefined when it must not be retried.
 * Never retries validation/auth errors, fal's own start-timeout 504, or (for non-idempotent calls)
 * a network failure or attempt timeout after the request may have reached the server.
 */
export function retryDelay(
  error: unknown,
  attempt: number,
  policy: RetryPolicy,
  ctx: Pick<RetryContext, "idempotent" | "random">,
): number | undefined {
  if (error instanceof FalApiError) {
    if (error.userTimeout || !policy.retryableStatuses.includes(error.status)) return undefined;
    if (error.retryAfterMs !== undefined) {
      return error.retryAfterMs <= policy.maxRetryAfterMs ? error.retryAfterMs : undefined;
    }
  } else if (error instanceof FalNetworkError) {
    if (!ctx.idempotent && !error.notSent) return undefined;
  } else if (error instanceof FalTimeoutError) {
    if (!ctx.idempotent) return undefined;
  } else {
    return undefined;
  }
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jitter = 0.75 + 0.5 * (ctx.random ?? Math.random)(); // ±25 %
  return Math.round(exp * jitter);
}

/** Runs `call` until it succeeds, fails for good, or the signal aborts. `call` gets the attempt number (0-based). */
export async function withRetries<T>(
  call: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  ctx: RetryContext,
): Promise<{ value: T; attempts: number }> {
  const wait = ctx.sleep ?? sleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return { value: await call(attempt), attempts: attempt + 1 };
    } catch (error) {
      if (ctx.signal?.aborted || attempt >= policy.maxRetries) throw error;
      const delayMs = retryDelay(error, attempt, policy, ctx);
      if (delayMs === undefined) throw error;
      ctx.onRetry?.({ attempt: attempt + 1, delayMs, error });
      await wait(delayMs, ctx.signal);
    }
  }
}

/** Parses a Retry-After header (delta-seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
