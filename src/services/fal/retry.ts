// fal's retry rules on top of the generic backoff (utils/retry.ts): which fal failures are worth
// another attempt, and the queue-submit rule that keeps an accepted request from being queued twice.
import {
  DEFAULT_RETRY_POLICY,
  retryDelayMs,
  retryWithBackoff,
  type RetryPolicy,
  type RetryRules,
} from "../../utils/retry.js";
import { FalApiError, FalNetworkError, FalTimeoutError } from "./errors.js";

export { DEFAULT_RETRY_POLICY, type RetryPolicy };

/** Statuses after which a queue submit is certainly not queued, so it may be sent again. */
const SUBMIT_RETRYABLE_STATUSES: readonly number[] = [429, 503];

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
 * fal's rules: retry the policy's statuses (with fal's Retry-After), but never validation/auth
 * errors, fal's own start-timeout 504, or (for non-idempotent calls) a network failure or attempt
 * timeout after the request may have reached the server.
 */
function falRetryRules(
  policy: RetryPolicy,
  ctx: Pick<RetryContext, "idempotent" | "random">,
): RetryRules {
  return {
    isRetryable: (error) => {
      if (error instanceof FalApiError)
        return !error.userTimeout && policy.retryableStatuses.includes(error.status);
      if (error instanceof FalNetworkError) return ctx.idempotent || error.notSent;
      if (error instanceof FalTimeoutError) return ctx.idempotent;
      return false;
    },
    retryAfterMs: (error) => (error instanceof FalApiError ? error.retryAfterMs : undefined),
    ...(ctx.random ? { random: ctx.random } : {}),
  };
}

/** How long to wait before retrying after `error`, or undefined when it must not be retried. */
export function retryDelay(
  error: unknown,
  attempt: number,
  policy: RetryPolicy,
  ctx: Pick<RetryContext, "idempotent" | "random">,
): number | undefined {
  return retryDelayMs(error, attempt, policy, falRetryRules(policy, ctx));
}

/** Runs `call` until it succeeds, fails for good, or the signal aborts. `call` gets the attempt number (0-based). */
export function withRetries<T>(
  call: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  ctx: RetryContext,
): Promise<{ value: T; attempts: number }> {
  return retryWithBackoff(call, {
    ...falRetryRules(policy, ctx),
    policy,
    signal: ctx.signal,
    onRetry: ctx.onRetry,
    sleep: ctx.sleep,
  });
}

/**
 * The policy for one fal call. A queue submit answered 502/504 may have been forwarded and queued
 * by fal behind the gateway: only answers that certainly mean "not accepted" (429, 503) are worth
 * sending it again for.
 */
export function falPolicyFor(operation: string, policy: RetryPolicy): RetryPolicy {
  if (operation !== "submit") return policy;
  return {
    ...policy,
    retryableStatuses: policy.retryableStatuses.filter((s) =>
      SUBMIT_RETRYABLE_STATUSES.includes(s),
    ),
  };
}
