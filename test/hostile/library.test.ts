// Hostile inputs and faults through the library API (FalImageGenService, settings, frames): each
// test is a row of docs/hostile-inputs.md ("Library API").
import { getEventListeners } from "node:events";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { URLImageRawFrame } from "../../src/frames/image.js";
import { TextFrame } from "../../src/frames/text.js";
import { FalImageGenService } from "../../src/services/fal/image.js";
import { LinkedAbort } from "../../src/utils/abort.js";
import { startFakeFal, type FakeFal } from "../helpers/fake-fal.js";
import { runTest } from "../helpers/run-test.js";

const KEY = "library-hostile-key-0123456789";
let fake: FakeFal;

beforeAll(async () => {
  fake = await startFakeFal();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.respond(async (_req, f) => ({ ...(await f.imagesReply(1)), delayMs: 30 }));
});

/** Collects process warnings while `run` runs. */
async function warningsDuring(run: () => Promise<void>): Promise<Error[]> {
  const seen: Error[] = [];
  const onWarning = (warning: Error): void => {
    seen.push(warning);
  };
  process.on("warning", onWarning);
  try {
    await run();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", onWarning);
  }
  return seen;
}

describe("abort listeners stay flat under concurrency", () => {
  it("maxConcurrency 16 with 40 prompts emits no MaxListenersExceededWarning", async () => {
    const service = new FalImageGenService({ key: KEY, baseUrl: fake.url, maxConcurrency: 16 });
    const prompts = Array.from({ length: 40 }, (_, i) => new TextFrame(`prompt ${i}`));
    let down: unknown[] = [];
    const warnings = await warningsDuring(async () => {
      ({ down } = await runTest(service, { framesToSend: prompts }));
    });
    expect(warnings.map((w) => w.name)).not.toContain("MaxListenersExceededWarning");
    expect(down.filter((f) => f instanceof URLImageRawFrame)).toHaveLength(40);
  });

  it("one caller signal shared by 40 concurrent runImageGen calls holds one listener", async () => {
    const service = new FalImageGenService({ key: KEY, baseUrl: fake.url, maxConcurrency: 16 });
    const shared = new AbortController();
    let peak = 0;
    const warnings = await warningsDuring(async () => {
      const runs = Array.from({ length: 40 }, async (_, i) => {
        const frames = [];
        for await (const frame of service.runImageGen(`p${i}`, { signal: shared.signal })) {
          peak = Math.max(peak, getEventListeners(shared.signal, "abort").length);
          frames.push(frame);
        }
        return frames;
      });
      const results = await Promise.all(runs);
      expect(results.flat().filter((f) => f instanceof URLImageRawFrame)).toHaveLength(40);
    });
    expect(warnings.map((w) => w.name)).not.toContain("MaxListenersExceededWarning");
    expect(peak).toBeLessThanOrEqual(1);
    expect(getEventListeners(shared.signal, "abort")).toHaveLength(0);
  });

  it("LinkedAbort: 100 links on one source add one listener; disposing all removes it", () => {
    const source = new AbortController();
    const links = Array.from({ length: 100 }, () => new LinkedAbort([source.signal]));
    expect(getEventListeners(source.signal, "abort")).toHaveLength(1);
    for (const link of links.slice(0, 99)) link.dispose();
    expect(getEventListeners(source.signal, "abort")).toHaveLength(1);
    links[99]?.dispose();
    expect(getEventListeners(source.signal, "abort")).toHaveLength(0);
  });

  it("LinkedAbort: a source abort still reaches every live link, not the disposed ones", () => {
    const source = new AbortController();
    const live = Array.from({ length: 20 }, () => new LinkedAbort([source.signal]));
    const gone = new LinkedAbort([source.signal]);
    gone.dispose();
    source.abort(new Error("stop"));
    expect(
      live.every((l) => l.signal.aborted && (l.signal.reason as Error).message === "stop"),
    ).toBe(true);
    expect(gone.signal.aborted).toBe(false);
  });
});
