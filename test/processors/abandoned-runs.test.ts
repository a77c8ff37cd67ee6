// What happens to a run abandoned by an interruption: its pushes are dropped; the default mode
// waits for it (bounded) before the next frame, isolateAbandonedRuns tells its pushes apart with
// AsyncLocalStorage instead; work started through runDetached() keeps pushing.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Frame } from "../../src/frames/base.js";
import { EndFrame, InterruptionFrame, StartFrame } from "../../src/frames/lifecycle.js";
import { TextFrame } from "../../src/frames/text.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import { FrameDirection } from "../../src/processors/direction.js";
import {
  FrameProcessor,
  type FrameProcessorOptions,
} from "../../src/processors/frame-processor.js";
import { ABANDONED_RUN_GRACE_MS, runDetached } from "../../src/processors/lanes.js";
import { sleep as abortableSleep } from "../../src/utils/abort.js";
import { runTest, SleepFrame, WaitFrame } from "../helpers/run-test.js";
import {
  CaptureProcessor,
  silenceLogs,
  sleep,
  TaggedFrame,
  UninterruptibleTaggedFrame,
  UrgentFrame,
} from "../helpers/test-processors.js";

let restoreLogs: () => void;
beforeEach(() => {
  restoreLogs = silenceLogs();
});
afterEach(() => restoreLogs());

const describeFrames = (frames: Frame[]): string[] =>
  frames.map((f) =>
    f instanceof TaggedFrame || f instanceof UninterruptibleTaggedFrame
      ? `tag:${f.tag}`
      : f instanceof TextFrame
        ? `text:${f.text}`
        : f.constructor.name,
  );

/** For each TextFrame: waits `ms` ignoring its signal, then pushes a new TaggedFrame and the TextFrame. */
class IgnoresSignal extends FrameProcessor {
  readonly log: string[] = [];
  constructor(
    readonly ms: number,
    options?: FrameProcessorOptions,
  ) {
    super(options);
  }
  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof TextFrame) {
      this.log.push(`start ${frame.text}`);
      await sleep(this.ms);
      this.log.push(`end ${frame.text}`);
      await this.pushFrame(new TaggedFrame(`made by ${frame.text}`));
    }
    await this.pushFrame(frame, direction);
  }
}

describe("default mode: the lane waits for an abandoned run and drops its pushes", () => {
  it("drops the frame an interrupted run forwards late and the frames it creates; the next frame starts after it settled", async () => {
    const p = new IgnoresSignal(80);
    const { down } = await runTest(p, {
      framesToSend: [
        new TextFrame("slow"),
        new SleepFrame(20),
        new InterruptionFrame(),
        new TextFrame("next"),
      ],
    });
    expect(describeFrames(down)).toEqual(["InterruptionFrame", "tag:made by next", "text:next"]);
    // Pipecat-like: "next" was not started while the abandoned run was still going.
    expect(p.log).toEqual(["start slow", "end slow", "start next", "end next"]);
  });

  it("while it waits, system and uninterruptible frames still go through (whoever pushes them); other frames do not", async () => {
    const p = new IgnoresSignal(100);
    const capture = new CaptureProcessor({ directMode: true });
    p.link(capture);
    await p.queueFrame(new StartFrame());
    await p.queueFrame(new TextFrame("slow"));
    await sleep(10);
    await p.queueFrame(new InterruptionFrame());
    await sleep(10);
    // Pushed by code other than the abandoned run, during the wait.
    await p.pushFrame(new UrgentFrame("system"));
    await p.pushFrame(new UninterruptibleTaggedFrame("uninterruptible"));
    await p.pushFrame(new TaggedFrame("data, dropped"));
    await sleep(120);
    await p.pushFrame(new TaggedFrame("data, after the wait"));
    expect(describeFrames(capture.seen.map((s) => s.frame))).toEqual([
      "StartFrame",
      "InterruptionFrame",
      "UrgentFrame",
      "tag:uninterruptible",
      "tag:data, after the wait",
    ]);
    await p.cleanup();
  });

  it(`a run ignoring its signal longer than ${ABANDONED_RUN_GRACE_MS} ms: the lane goes on without it, and its later pushes are not dropped`, async () => {
    const p = new IgnoresSignal(ABANDONED_RUN_GRACE_MS + 300);
    const capture = new CaptureProcessor({ directMode: true });
    p.link(capture);
    await p.queueFrame(new StartFrame());
    await p.queueFrame(new TextFrame("stuck"));
    await sleep(10);
    await p.queueFrame(new InterruptionFrame());
    await p.queueFrame(new TaggedFrame("queued after the interruption"));
    await sleep(ABANDONED_RUN_GRACE_MS - 200);
    expect(describeFrames(capture.seen.map((s) => s.frame))).toEqual([
      "StartFrame",
      "InterruptionFrame",
    ]);
    await sleep(300);
    expect(describeFrames(capture.seen.map((s) => s.frame))).toEqual([
      "StartFrame",
      "InterruptionFrame",
      "tag:queued after the interruption",
    ]);
    await sleep(400);
    // Like a Pipecat task that swallowed its cancellation: once given up on, its output goes on.
    expect(describeFrames(capture.seen.map((s) => s.frame)).slice(3)).toEqual([
      "tag:made by stuck",
      "text:stuck",
    ]);
    await p.cleanup();
  });

  it("a run that honours its signal settles at once: no visible wait", async () => {
    class Honours extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof TextFrame && frame.text === "slow")
          await abortableSleep(5_000, signal);
        await this.pushFrame(frame, direction);
      }
    }
    let interruptedAt = 0;
    const { down } = await runTest(new Honours(), {
      framesToSend: [
        new TextFrame("slow"),
        new SleepFrame(20),
        new WaitFrame(async () => void (interruptedAt = Date.now())),
        new InterruptionFrame(),
        new TextFrame("next"),
      ],
    });
    // Had the lane waited for the run, the grace alone would have taken this long after the
    // interruption (the clock starts there, not at the pipeline's start-up).
    expect(Date.now() - interruptedAt).toBeLessThan(ABANDONED_RUN_GRACE_MS);
    expect(describeFrames(down)).toEqual(["InterruptionFrame", "text:next"]);
  });

  it("background work started through runDetached() keeps pushing after an interruption of the run that started it", async () => {
    class StartsBackgroundWork extends FrameProcessor {
      background: Promise<void> | undefined;
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof TextFrame) {
          this.background = runDetached(async () => {
            for (let i = 0; i < 4; i++) {
              await sleep(50);
              await this.pushFrame(new TaggedFrame(`bg ${i}`));
            }
          });
          await abortableSleep(5_000, signal); // interrupted here
        }
        await this.pushFrame(frame, direction);
      }
    }
    const p = new StartsBackgroundWork();
    const { down } = await runTest(p, {
      framesToSend: [
        new TextFrame("starts work"),
        new SleepFrame(75),
        new InterruptionFrame(),
        new SleepFrame(250),
      ],
    });
    expect(describeFrames(down)).toEqual([
      "tag:bg 0",
      "InterruptionFrame",
      "tag:bg 1",
      "tag:bg 2",
      "tag:bg 3",
    ]);
  });
});

describe("isolateAbandonedRuns: pushes are attributed to their run", () => {
  it("drops everything the abandoned run pushes, and the lane goes on at once", async () => {
    const p = new IgnoresSignal(80, { isolateAbandonedRuns: true });
    const { down } = await runTest(p, {
      framesToSend: [
        new TextFrame("slow"),
        new SleepFrame(20),
        new InterruptionFrame(),
        new TextFrame("next"),
      ],
    });
    expect(describeFrames(down)).toEqual(["InterruptionFrame", "tag:made by next", "text:next"]);
    // "next" started while the abandoned run was still sleeping.
    expect(p.log).toEqual(["start slow", "start next", "end slow", "end next"]);
  });

  it("work started through runDetached() keeps pushing while the run that started it lingers; work started without it is dropped until the run settles", async () => {
    class Mixed extends FrameProcessor {
      constructor() {
        super({ isolateAbandonedRuns: true });
      }
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof TextFrame) {
          const work = (label: string) => async (): Promise<void> => {
            for (let i = 0; i < 3; i++) {
              await sleep(60);
              await this.pushFrame(new TaggedFrame(`${label} ${i}`));
            }
          };
          void runDetached(work("detached"));
          void work("attached")();
          await sleep(90); // ignores its signal; interrupted at ~20 ms, settles at ~90 ms
        }
        await this.pushFrame(frame, direction);
      }
    }
    const { down } = await runTest(new Mixed(), {
      framesToSend: [
        new TextFrame("go"),
        new SleepFrame(20),
        new InterruptionFrame(),
        new SleepFrame(250),
      ],
    });
    const tags = describeFrames(down);
    expect(tags.filter((t) => t.startsWith("tag:detached"))).toEqual([
      "tag:detached 0",
      "tag:detached 1",
      "tag:detached 2",
    ]);
    // The run settled at ~90 ms: the attached work's push at ~60 ms was dropped, those at ~120 and
    // ~180 ms went on.
    expect(tags.filter((t) => t.startsWith("tag:attached"))).toEqual([
      "tag:attached 1",
      "tag:attached 2",
    ]);
    expect(tags).not.toContain("text:go");
  });
});

describe("signals", () => {
  it("consecutive interruptible frames share a signal until a run is abandoned; uninterruptible frames get their own; finished frames are not aborted by cleanup", async () => {
    const seen = new Map<string, AbortSignal>();
    class Records extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof TextFrame) {
          seen.set(frame.text, signal);
          if (frame.text === "slow") await abortableSleep(5_000, signal);
        }
        if (frame instanceof UninterruptibleTaggedFrame) seen.set("uninterruptible", signal);
        await this.pushFrame(frame, direction);
      }
    }
    await runTest(new Records(), {
      framesToSend: [
        new TextFrame("a"),
        new TextFrame("b"),
        new UninterruptibleTaggedFrame(),
        new TextFrame("slow"),
        new SleepFrame(20),
        new InterruptionFrame(),
        new TextFrame("c"),
      ],
    });
    expect(seen.get("a")).toBe(seen.get("b"));
    expect(seen.get("uninterruptible")).not.toBe(seen.get("a"));
    expect(seen.get("slow")?.aborted).toBe(true);
    expect(seen.get("c")).not.toBe(seen.get("slow"));
    expect(seen.get("c")?.aborted).toBe(false);
    expect(seen.get("uninterruptible")?.aborted).toBe(false);
  });
});

describe("ordering under load", () => {
  it("many frames through a chain keep their order; system frames mixed in all arrive; nothing is lost or doubled", async () => {
    class PassThrough extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        await this.pushFrame(frame, direction);
      }
    }
    const capture = new CaptureProcessor();
    const pipeline = new Pipeline([...Array.from({ length: 5 }, () => new PassThrough()), capture]);
    const frames: Frame[] = [];
    for (let i = 0; i < 5_000; i++) {
      frames.push(new TextFrame(String(i)));
      if (i % 500 === 0) frames.push(new UrgentFrame(String(i)));
    }
    const { down } = await runTest(pipeline, { framesToSend: frames });
    const texts = down
      .filter((f): f is TextFrame => f instanceof TextFrame)
      .map((f) => Number(f.text));
    expect(texts).toEqual(Array.from({ length: 5_000 }, (_, i) => i));
    expect(down.filter((f) => f instanceof UrgentFrame)).toHaveLength(10);
    expect(capture.framesOf(EndFrame)).toHaveLength(1);
  });

  it("frames queued in the same tick are taken by priority: an interruption overtakes data frames still in the input queue, which survive it", async () => {
    const capture = new CaptureProcessor({ directMode: true });
    const p = new IgnoresSignal(0);
    p.link(capture);
    await p.queueFrame(new StartFrame());
    await sleep(5);
    void p.queueFrame(new TaggedFrame("queued first"));
    void p.queueFrame(new InterruptionFrame());
    await sleep(20);
    expect(describeFrames(capture.seen.map((s) => s.frame))).toEqual([
      "StartFrame",
      "InterruptionFrame",
      "tag:queued first",
    ]);
    await p.cleanup();
  });
});

describe("event hooks", () => {
  it("per-frame hooks fire only while registered; off() of one handler keeps the others", async () => {
    const p = new IgnoresSignal(0);
    const capture = new CaptureProcessor({ directMode: true });
    p.link(capture);
    const calls: string[] = [];
    const before = (_p: FrameProcessor, frame: Frame): void =>
      void calls.push(`before ${frame.constructor.name}`);
    const other = (_p: FrameProcessor, frame: Frame): void =>
      void calls.push(`other ${frame.constructor.name}`);
    p.on("beforeProcessFrame", before);
    p.on("beforeProcessFrame", other);
    await p.queueFrame(new StartFrame());
    await sleep(5);
    p.off("beforeProcessFrame", before);
    await p.queueFrame(new TaggedFrame());
    await sleep(5);
    p.off("beforeProcessFrame", other);
    await p.queueFrame(new TaggedFrame());
    await sleep(5);
    expect(calls).toEqual(["before StartFrame", "other StartFrame", "other TaggedFrame"]);
    expect(capture.framesOf(TaggedFrame)).toHaveLength(2);
    await p.cleanup();
  });

  it("beforePushFrame/afterPushFrame fire around a push, also when there is no neighbour", async () => {
    const p = new FrameProcessor({ directMode: true });
    const calls: string[] = [];
    p.on("beforePushFrame", () => void calls.push("before"));
    p.on("afterPushFrame", () => void calls.push("after"));
    await p.pushFrame(new TaggedFrame(), FrameDirection.DOWNSTREAM);
    expect(calls).toEqual(["before", "after"]);
  });
});
