import { describe, expect, it } from "vitest";
import { FalApiError, FalNetworkError, FalTimeoutError } from "../../../src/services/fal/errors.js";
import { DEFAULT_RETRY_POLICY, retryDelay, withRetries } from "../../../src/services/fal/retry.js";

const api = (
  status: number,
  extra: Partial<ConstructorParameters<typeof FalApiError>[0]> = {},
): FalApiError => new FalApiError({ status, operation: "run", ...extra });
const fixed = { idempotent: true, random: () => 0.5 };

describe("retryDelay", () => {
  it.each([429, 502, 503, 504])("retries HTTP %i with exponential backoff", (status) => {
    expect(retryDelay(api(status), 0, DEFAULT_RETRY_POLICY, fixed)).toBe(500);
    expect(retryDelay(api(status), 2, DEFAULT_RETRY_POLICY, fixed)).toBe(2000);
  });

  it.each([400, 401, 403, 404, 422, 500])("never retries HTTP %i", (status) => {
    expect(retryDelay(api(status), 0, DEFAULT_RETRY_POLICY, fixed)).toBeUndefined();
  });

  it("honours Retry-After instead of the computed backoff", () => {
    expect(retryDelay(api(429, { retryAfterMs: 1234 }), 0, DEFAULT_RETRY_POLICY, fixed)).toBe(1234);
  });

  it("gives up when Retry-After is longer than the policy allows", () => {
    expect(
      retryDelay(api(503, { retryAfterMs: 120_000 }), 0, DEFAULT_RETRY_POLICY, fixed),
    ).toBeUndefined();
  });

  it("never retries fal's own start timeout (504 with timeout type user)", () => {
    expect(
      retryDelay(api(504, { userTimeout: true }), 0, DEFAULT_RETRY_POLICY, fixed),
    ).toBeUndefined();
  });

  it("caps backoff at maxDelayMs and jitters by ±25 %", () => {
    expect(retryDelay(api(503), 20, DEFAULT_RETRY_POLICY, fixed)).toBe(10_000);
    expect(
      retryDelay(api(503), 0, DEFAULT_RETRY_POLICY, { idempotent: true, random: () => 0 }),
    ).toBe(375);
    // The factor is in [0.75, 1.25): 624.9997 ms is rounded down, never up to 1.25 × 500.
    expect(
      retryDelay(api(503), 0, DEFAULT_RETRY_POLICY, { idempotent: true, random: () => 0.999999 }),
    ).toBe(624);
  });

  it("re-sends a non-idempotent call only when the request certainly never left", () => {
    const refused = new FalNetworkError("refused", { notSent: true });
    const reset = new FalNetworkError("reset", { notSent: false });
    expect(
      retryDelay(refused, 0, DEFAULT_RETRY_POLICY, { idempotent: false, random: () => 0.5 }),
    ).toBe(500);
    expect(
      retryDelay(reset, 0, DEFAULT_RETRY_POLICY, { idempotent: false, random: () => 0.5 }),
    ).toBeUndefined();
    expect(retryDelay(reset, 0, DEFAULT_RETRY_POLICY, fixed)).toBe(500);
  });

  it("retries an attempt timeout only for idempotent calls (status, result)", () => {
    const timeout = new FalTimeoutError("fal status", 100);
    expect(retryDelay(timeout, 0, DEFAULT_RETRY_POLICY, fixed)).toBe(500);
    expect(
      retryDelay(timeout, 0, DEFAULT_RETRY_POLICY, { idempotent: false, random: () => 0.5 }),
    ).toBeUndefined();
  });

  it("does not retry unknown errors", () => {
    expect(retryDelay(new Error("bug"), 0, DEFAULT_RETRY_POLICY, fixed)).toBeUndefined();
  });
});

describe("withRetries", () => {
  it("retries until success and reports attempts and waits", async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls += 1;
        if (calls < 3) throw api(503, { retryAfterMs: 10 * calls });
        return "ok";
      },
      DEFAULT_RETRY_POLICY,
      { idempotent: true, sleep: async (ms) => void waits.push(ms) },
    );
    expect(result).toEqual({ value: "ok", attempts: 3 });
    expect(waits).toEqual([10, 20]);
  });

  it("stops after maxRetries and throws the last error", async () => {
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls += 1;
          throw api(502);
        },
        { ...DEFAULT_RETRY_POLICY, maxRetries: 2 },
        { idempotent: true, sleep: async () => undefined },
      ),
    ).rejects.toMatchObject({ status: 502 });
    expect(calls).toBe(3);
  });

  it("stops waiting when the signal aborts", async () => {
    const controller = new AbortController();
    const pending = withRetries(
      async () => {
        throw api(503, { retryAfterMs: 5_000 });
      },
      DEFAULT_RETRY_POLICY,
      { idempotent: true, signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error("stopped")), 10);
    await expect(pending).rejects.toThrow("stopped");
  });
});
