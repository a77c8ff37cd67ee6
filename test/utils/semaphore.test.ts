import { describe, expect, it } from "vitest";
import { Semaphore } from "../../src/utils/semaphore.js";

describe("Semaphore", () => {
  it("admits up to capacity and queues the rest in order", async () => {
    const s = new Semaphore(2);
    const order: number[] = [];
    await s.acquire();
    await s.acquire();
    const third = s.acquire().then(() => order.push(3));
    const fourth = s.acquire().then(() => order.push(4));
    await Promise.resolve();
    expect(order).toEqual([]);
    s.release();
    await third;
    s.release();
    await fourth;
    expect(order).toEqual([3, 4]);
  });

  it("an aborted wait gives up its place", async () => {
    const s = new Semaphore(1);
    await s.acquire();
    const controller = new AbortController();
    const waiting = s.acquire(controller.signal);
    controller.abort(new Error("gone"));
    await expect(waiting).rejects.toThrow("gone");
    s.release();
    expect(s.available).toBe(1);
  });

  it("rejects a bad capacity", () => {
    expect(() => new Semaphore(0)).toThrow(/positive integer/);
  });
});
