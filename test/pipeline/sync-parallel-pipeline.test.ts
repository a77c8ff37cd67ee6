import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Frame } from "../../src/frames/base.js";
import { ErrorFrame } from "../../src/frames/error.js";
import {
  CancelFrame,
  EndFrame,
  InterruptionFrame,
  StartFrame,
} from "../../src/frames/lifecycle.js";
import { MetricsFrame } from "../../src/frames/metrics.js";
import { TextFrame } from "../../src/frames/text.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import { FrameOrder, SyncParallelPipeline } from "../../src/pipeline/sync-parallel-pipeline.js";
import { PipelineTask } from "../../src/pipeline/task.js";
import { FrameDirection } from "../../src/processors/direction.js";
import { FrameProcessor } from "../../src/processors/frame-processor.js";
import { IdentityFilter } from "../../src/processors/identity-filter.js";
import { runTest, SleepFrame } from "../helpers/run-test.js";
import {
  CaptureProcessor,
  silenceLogs,
  sleep,
  TaggedFrame,
  UrgentFrame,
} from "../helpers/test-processors.js";

let restoreLogs: () => void;
beforeEach(() => {
  restoreLogs = silenceLogs();
});
afterEach(() => restoreLogs());

/** Emits a TaggedFrame for every TextFrame (after an optional delay); forwards everything else. */
class EmitTagged extends FrameProcessor {
  constructor(
    readonly tag: string,
    readonly delayMs = 0,
  ) {
    super();
  }
  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof TextFrame) {
      if (this.delayMs > 0) await sleep(this.delayMs);
      await this.pushFrame(new TaggedFrame(this.tag));
    } else {
      await this.pushFrame(frame, direction);
    }
  }
}

const tags = (frames: Frame[]): string[] =>
  frames.filter((f) => f instanceof TaggedFrame).map((f) => (f as TaggedFrame).tag);

describe("SyncParallelPipeline (Pipecat's tests)", () => {
  it("test_dedup_multiple_frames", async () => {
    await runTest(new SyncParallelPipeline([new IdentityFilter()], [new IdentityFilter()]), {
      framesToSend: [new TextFrame("one"), new TextFrame("two")],
      expectedDownFrames: [TextFrame, TextFrame],
    });
  });

  it("test_arrival_order: fast before slow in each batch", async () => {
    const spp = new SyncParallelPipeline([new EmitTagged("slow", 50)], [new EmitTagged("fast")], {
      frameOrder: FrameOrder.ARRIVAL,
    });
    const { down } = await runTest(spp, {
      framesToSend: [new TextFrame("one"), new TextFrame("two")],
    });
    expect(tags(down)).toEqual(["fast", "slow", "fast", "slow"]);
  });

  it("test_pipeline_order: branch order whatever the speed", async () => {
    const spp = new SyncParallelPipeline([new EmitTagged("slow", 50)], [new EmitTagged("fast")], {
      frameOrder: FrameOrder.PIPELINE,
    });
    const { down } = await runTest(spp, {
      framesToSend: [new TextFrame("one"), new TextFrame("two")],
    });
    expect(tags(down)).toEqual(["slow", "fast", "slow", "fast"]);
  });

  it("test_default_is_arrival", () => {
    expect(new SyncParallelPipeline([new IdentityFilter()]).frameOrder).toBe(FrameOrder.ARRIVAL);
  });
});

describe("SyncParallelPipeline (fixed behaviours)", () => {
  it("test_sync_parallel_does_not_emit_downstream_system_frames_twice", async () => {
    const after = new CaptureProcessor();
    const spp = new SyncParallelPipeline([new IdentityFilter()], [new IdentityFilter()]);
    const { down } = await runTest(new Pipeline([spp, after]), {
      framesToSend: [
        new UrgentFrame("u"),
        new TextFrame("one"),
        new InterruptionFrame(),
        new SleepFrame(20),
        new TextFrame("two"),
      ],
      includeStartFrame: true,
      includeMetricsFrames: true,
      taskOptions: { params: { enableMetrics: true } },
    });
    const count = (type: abstract new (...args: never[]) => Frame): number =>
      down.filter((f) => f instanceof type).length;
    expect(count(StartFrame)).toBe(1);
    expect(count(MetricsFrame)).toBe(1); // the task's initial MetricsFrame
    expect(count(UrgentFrame)).toBe(1);
    expect(count(InterruptionFrame)).toBe(1);
    expect(count(TextFrame)).toBe(2);
    // The processor after it saw one StartFrame (Pipecat ran a downstream service's start twice).
    expect(after.framesOf(StartFrame)).toHaveLength(1);
  });

  it("test_sync_parallel_pushes_upstream_frames_from_a_branch_promptly", async () => {
    // Branch 0 fails at once (a 401: permanent); branch 1 is slow. Pipecat kept the ErrorFrame in
    // the branch until some other frame travelled upstream, so it never reached the task.
    class FailingService extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof TextFrame) {
          await this.pushError("generation failed", {
            cause: Object.assign(new Error("Unauthorized"), { status: 401 }),
          });
        }
        await this.pushFrame(frame, direction);
      }
    }
    const failing = new FailingService();
    const spp = new SyncParallelPipeline([failing], [new EmitTagged("slow", 2_000)]);
    const task = new PipelineTask(new Pipeline([spp]), { processorUnusablePolicy: "end" });
    const t0 = Date.now();
    let errorAfterMs: number | undefined;
    task.on("pipelineError", (_t, frame) => {
      expect(frame.processor).toBe(failing);
      errorAfterMs ??= Date.now() - t0;
    });
    let finished: Frame | undefined;
    task.on("pipelineFinished", (_t, frame) => void (finished = frame));
    await task.queueFrame(new TextFrame("a prompt"));
    // No EndFrame is queued: the unusable policy "end" must end the task.
    await task.run();
    expect(errorAfterMs).toBeDefined();
    // t0 is before the slow branch's 2 s began: sooner means before it was done.
    expect(errorAfterMs as number).toBeLessThan(2_000);
    expect(finished).toBeInstanceOf(EndFrame);
    expect(task.unusableProcessors.has(failing)).toBe(true);
  });

  it("the ErrorFrame reaches the top while the batch is still running", async () => {
    class FailingService extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof TextFrame) await this.pushError("failed");
        await this.pushFrame(frame, direction);
      }
    }
    const { up, down } = await runTest(
      new SyncParallelPipeline([new FailingService()], [new EmitTagged("slow", 100)]),
      {
        framesToSend: [new TextFrame("x")],
        expectedUpFrames: [ErrorFrame],
      },
    );
    expect(tags(down)).toEqual(["slow"]);
    expect(up).toHaveLength(1);
  });

  it("an interruption mid-batch drops that batch; the next batch works", async () => {
    const spp = new SyncParallelPipeline([new EmitTagged("a", 80)], [new EmitTagged("b")]);
    const { down } = await runTest(spp, {
      framesToSend: [
        new TextFrame("one"),
        new SleepFrame(20),
        new InterruptionFrame(),
        new TextFrame("two"),
      ],
    });
    expect(down.map((f) => f.constructor.name)).toEqual([
      "InterruptionFrame",
      "TaggedFrame",
      "TaggedFrame",
    ]);
    expect(tags(down)).toEqual(["b", "a"]);
  });

  it("in an EndFrame batch the EndFrame goes out after everything the branches produced (pipeline order)", async () => {
    class EmitOnEnd extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof EndFrame) await this.pushFrame(new TaggedFrame("flushed at end"));
        await this.pushFrame(frame, direction);
      }
    }
    const spp = new SyncParallelPipeline([new IdentityFilter()], [new EmitOnEnd()], {
      frameOrder: FrameOrder.PIPELINE,
    });
    const { down } = await runTest(spp, { framesToSend: [new EndFrame()], sendEndFrame: false });
    expect(down.map((f) => f.constructor.name)).toEqual(["TaggedFrame", "EndFrame"]);
  });

  it("upstream frames from below pass once; system frames made inside a branch go out at once", async () => {
    class Progress extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof TextFrame && direction === FrameDirection.DOWNSTREAM) {
          await this.pushFrame(new UrgentFrame("progress"));
          await sleep(60);
        }
        await this.pushFrame(frame, direction);
      }
    }
    const seen: Array<{ name: string; at: number }> = [];
    const t0 = Date.now();
    const tap = new CaptureProcessor({ directMode: true });
    tap.on(
      "beforeProcessFrame",
      (_p, frame) => void seen.push({ name: frame.constructor.name, at: Date.now() - t0 }),
    );
    const { up } = await runTest(
      new Pipeline([new SyncParallelPipeline([new Progress()], [new IdentityFilter()]), tap]),
      {
        framesToSend: [new TextFrame("x")],
        framesToSendUpstream: [new TaggedFrame("up")],
      },
    );
    expect(up.map((f) => f.constructor.name)).toEqual(["TaggedFrame"]);
    const urgent = seen.find((s) => s.name === "UrgentFrame");
    const text = seen.find((s) => s.name === "TextFrame");
    expect(urgent && text).toBeTruthy();
    expect((text?.at ?? 0) - (urgent?.at ?? 0)).toBeGreaterThanOrEqual(40);
  });

  it("a CancelFrame ends a stuck batch", async () => {
    const spp = new SyncParallelPipeline([new EmitTagged("slow", 5_000)], [new IdentityFilter()]);
    const task = new PipelineTask(new Pipeline([spp]));
    let finished: Frame | undefined;
    task.on("pipelineFinished", (_t, f) => void (finished = f));
    await task.queueFrames([new TextFrame("x"), new EndFrame()]);
    const t0 = Date.now(); // before the 5 s batch began: ending sooner means it was not awaited
    const running = task.run();
    await sleep(40);
    await task.cancel();
    await running;
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(finished).toBeInstanceOf(CancelFrame);
  });

  it("checks its arguments", () => {
    expect(() => new SyncParallelPipeline()).toThrow(/at least one branch/);
    expect(() => new SyncParallelPipeline("x" as never)).toThrow(TypeError);
    expect(
      () => new SyncParallelPipeline([new IdentityFilter()], { frameOrder: "random" as never }),
    ).toThrow(TypeError);
  });
});
