import { afterEach, describe, expect, it } from "vitest";
import { EventEmitter } from "../../src/processors/events.js";
import { logger, setLogger, type Logger } from "../../src/utils/logger.js";

describe("EventEmitter", () => {
  let restore: Logger | undefined;
  afterEach(() => {
    if (restore) setLogger(restore);
    restore = undefined;
  });

  it("awaits sync and async handlers in registration order; errors are logged, not thrown", async () => {
    const errors: string[] = [];
    restore = setLogger({ debug() {}, info() {}, warn() {}, error: (m) => void errors.push(m) });
    const emitter = new EventEmitter<{ ping: [n: number] }>("test");
    const calls: string[] = [];
    emitter.on("ping", async (n) => {
      await new Promise((r) => setTimeout(r, 10));
      calls.push(`slow ${n}`);
    });
    emitter.on("ping", () => {
      throw new Error("bad handler");
    });
    emitter.on("ping", async () => {
      throw new Error("bad async handler");
    });
    const last = (n: number): void => void calls.push(`last ${n}`);
    emitter.on("ping", last);
    await emitter.emit("ping", 1);
    expect(calls).toEqual(["slow 1", "last 1"]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/"ping" handler failed: bad handler/);

    emitter.off("ping", last);
    expect(emitter.has("ping")).toBe(true);
    await emitter.emit("ping", 2);
    expect(calls).toEqual(["slow 1", "last 1", "slow 2"]);
  });

  it("emitting an event with no handler does nothing", async () => {
    const emitter = new EventEmitter();
    expect(emitter.has("nothing")).toBe(false);
    await expect(emitter.emit("nothing")).resolves.toBeUndefined();
  });
});

describe("logger", () => {
  it("delegates to the sink set with setLogger", () => {
    const seen: string[] = [];
    const previous = setLogger({
      debug: (m) => void seen.push(`d:${m}`),
      info: (m) => void seen.push(`i:${m}`),
      warn: (m) => void seen.push(`w:${m}`),
      error: (m) => void seen.push(`e:${m}`),
    });
    try {
      logger.debug("a");
      logger.info("b");
      logger.warn("c");
      logger.error("d");
    } finally {
      setLogger(previous);
    }
    expect(seen).toEqual(["d:a", "i:b", "w:c", "e:d"]);
  });
});
