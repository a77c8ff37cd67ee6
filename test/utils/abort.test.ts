import { describe, expect, it, vi } from "vitest";
import { LinkedAbort, sleep } from "../../src/utils/abort.js";

describe("LinkedAbort", () => {
  it("aborts with a source's reason", () => {
    const source = new AbortController();
    const linked = new LinkedAbort([source.signal, undefined]);
    source.abort(new Error("stop"));
    expect(linked.signal.aborted).toBe(true);
    expect((linked.signal.reason as Error).message).toBe("stop");
    expect(linked.timedOut).toBe(false);
  });

  it("starts aborted when a source already is", () => {
    const source = new AbortController();
    source.abort("early");
    expect(new LinkedAbort([source.signal]).signal.reason).toBe("early");
  });

  it("times out with the given reason", async () => {
    const linked = new LinkedAbort([], {
      timeoutMs: 10,
      timeoutReason: () => new Error("deadline"),
    });
    await sleep(40);
    expect((linked.signal.reason as Error).message).toBe("deadline");
    expect(linked.timedOut).toBe(true);
  });

  it("dispose() removes its listener from long-lived sources and stops the timer", async () => {
    const longLived = new AbortController();
    const add = vi.spyOn(longLived.signal, "addEventListener");
    const remove = vi.spyOn(longLived.signal, "removeEventListener");
    for (let i = 0; i < 100; i++) new LinkedAbort([longLived.signal], { timeoutMs: 5 }).dispose();
    expect(add).toHaveBeenCalledTimes(100);
    expect(remove).toHaveBeenCalledTimes(100);
    expect(remove.mock.calls.map((c) => c[1])).toEqual(add.mock.calls.map((c) => c[1]));
    await sleep(20);
    longLived.abort();
  });

  it("a disposed link no longer follows its sources", () => {
    const source = new AbortController();
    const linked = new LinkedAbort([source.signal]);
    linked.dispose();
    source.abort();
    expect(linked.signal.aborted).toBe(false);
  });

  it("rejects a bad timeout", () => {
    expect(() => new LinkedAbort([], { timeoutMs: -1 })).toThrow(RangeError);
  });
});
