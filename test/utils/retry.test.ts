// The provider-neutral backoff: the caller's rule decides what is retryable, a server's Retry-After
// beats the computed delay, and nothing is retried after an abort. (fal's own rules on top of it:
// test/services/fal/retry.test.ts.)
import { describe, expect, it } from "vitest";
import {
  DEFAULT_RETRY_POLICY,
  retryDelayMs,
  retryWithBackoff,
  type RetryRules,
} from "../../src/utils/retry.js";

class Busy extends Error {
  constructor(readonly retryAfterMs?: number) {
    super("busy");
  }
}

const rules: RetryRules = {
  isRetryable: (error) => error instanceof Busy,
  retryAfterMs: (error) => (error instanceof Busy ? error.retryAfterMs : undefined),
  random: () => 0.5,
};

describe("retryDelayMs", () => {
  it("backs off exponentially, capped, with ±25 % jitter", () => {
    expect(retryDelayMs(new Busy(), 0, DEFAULT_RETRY_POLICY, rules)).toBe(500);
    expect(retryDelayMs(new Busy(), 3, DEFAULT_RETRY_POLICY, rules)).toBe(4000);
    expect(retryDelayMs(new Busy(), 30, DEFAULT_RETRY_POLICY, rules)).toBe(10_000);
    expect(retryDelayMs(new Busy(), 0, DEFAULT_RETRY_POLICY, { ...rules, random: () => 0 })).toBe(
      375,
    );
  });

  it("keeps the jittered delay below 1.25 × the backoff, even for the largest random number", () => {
    // Math.random's largest value is 1 - 2^-53; 500 ms × (0.75 + 0.5 × that) is 624.99… ms.
    const largest = { ...rules, random: () => 1 - Number.EPSILON / 2 };
    expect(retryDelayMs(new Busy(), 0, DEFAULT_RETRY_POLICY, largest)).toBe(624);
    expect(retryDelayMs(new Busy(), 1, DEFAULT_RETRY_POLICY, largest)).toBe(1249);
  });

  it("takes the server's Retry-After instead, unless it is longer than the policy accepts", () => {
    expect(retryDelayMs(new Busy(42), 5, DEFAULT_RETRY_POLICY, rules)).toBe(42);
    expect(retryDelayMs(new Busy(61_000), 0, DEFAULT_RETRY_POLICY, rules)).toBeUndefined();
  });

  it("does not retry what the rule rejects", () => {
    expect(retryDelayMs(new Error("bug"), 0, DEFAULT_RETRY_POLICY, rules)).toBeUndefined();
  });
});

describe("retryWithBackoff", () => {
  it("retries until success, reporting each wait", async () => {
    const waits: number[] = [];
    const retries: number[] = [];
    let calls = 0;
    const result = await retryWithBackoff(
      async (attempt) => {
        expect(attempt).toBe(calls);
        calls += 1;
        if (calls < 3) throw new Busy(7 * calls);
        return "done";
      },
      {
        ...rules,
        policy: DEFAULT_RETRY_POLICY,
        sleep: async (ms) => void waits.push(ms),
        onRetry: ({ attempt }) => retries.push(attempt),
      },
    );
    expect(result).toEqual({ value: "done", attempts: 3 });
    expect(waits).toEqual([7, 14]);
    expect(retries).toEqual([1, 2]);
  });

  it("throws the last error, unwrapped, after maxRetries", async () => {
    let calls = 0;
    const last = new Busy(1);
    await expect(
      retryWithBackoff(
        async () => {
          calls += 1;
          throw calls === 3 ? last : new Busy(1);
        },
        { ...rules, policy: { ...DEFAULT_RETRY_POLICY, maxRetries: 2 }, sleep: async () => {} },
      ),
    ).rejects.toBe(last);
    expect(calls).toBe(3);
  });

  it("never retries an abort error, even one the rule would accept", async () => {
    let calls = 0;
    const abort = new DOMException("stopped", "AbortError");
    await expect(
      retryWithBackoff(
        async () => {
          calls += 1;
          throw abort;
        },
        { isRetryable: () => true, policy: DEFAULT_RETRY_POLICY, sleep: async () => {} },
      ),
    ).rejects.toBe(abort);
    expect(calls).toBe(1);
  });

  it("stops at once when the caller's signal aborts during a wait", async () => {
    const controller = new AbortController();
    let calls = 0;
    const pending = retryWithBackoff(
      async () => {
        calls += 1;
        throw new Busy(5_000);
      },
      { ...rules, policy: DEFAULT_RETRY_POLICY, signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error("caller gave up")), 10);
    await expect(pending).rejects.toThrow("caller gave up");
    expect(calls).toBe(1);
  });
});
