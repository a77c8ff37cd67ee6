import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Frame } from "../../src/frames/base.js";
import type { ErrorFrame } from "../../src/frames/error.js";
import { EndFrame, InterruptionFrame, StartFrame } from "../../src/frames/lifecycle.js";
import { TextFrame } from "../../src/frames/text.js";
import { ParallelPipeline } from "../../src/pipeline/parallel-pipeline.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import { PipelineTask } from "../../src/pipeline/task.js";
import { FrameDirection } from "../../src/processors/direction.js";
import { FrameProcessor, type FrameProcessorSetup } from "../../src/processors/frame-processor.js";
import { IdentityFilter } from "../../src/processors/identity-filter.js";
import { runTest, SleepFrame } from "../helpers/run-test.js";
import {
  CaptureProcessor,
  DelayProcessor,
  silenceLogs,
  TaggedFrame,
} from "../helpers/test-processors.js";

let restoreLogs: () => void;
beforeEach(() => {
  restoreLogs = silenceLogs();
});
afterEach(() => restoreLogs());

describe("Pipeline", () => {
  it("test_pipeline_single", async () => {
    await runTest(new Pipeline([new IdentityFilter()]), {
      framesToSend: [new TextFrame("Hello from Pipecat!")],
      expectedDownFrames: [TextFrame],
    });
  });

  it("test_pipeline_multiple", async () => {
    const { down } = await runTest(
      new Pipeline([new IdentityFilter(), new IdentityFilter(), new IdentityFilter()]),
      {
        framesToSend: [new TextFrame("Hello from Pipecat!")],
        expectedDownFrames: [TextFrame],
      },
    );
    expect((down[0] as TextFrame).text).toBe("Hello from Pipecat!");
  });

  it("test_pipeline_start_metadata", async () => {
    const { down } = await runTest(new Pipeline([new IdentityFilter()]), {
      framesToSend: [],
      expectedDownFrames: [StartFrame],
      includeStartFrame: true,
      taskOptions: { params: { startMetadata: { foo: "bar" } } },
    });
    expect(down[0]?.metadata).toEqual({ foo: "bar" });
  });

  it("nested pipelines are transparent in both directions, and order is kept", async () => {
    const inner = new Pipeline([new IdentityFilter(), new Pipeline([new IdentityFilter()])]);
    const texts = ["a", "b", "c"].map((t) => new TextFrame(t));
    const { down } = await runTest(
      new Pipeline([new IdentityFilter(), inner, new IdentityFilter()]),
      {
        framesToSend: texts,
        framesToSendUpstream: [new TaggedFrame("up")],
        expectedDownFrames: [TextFrame, TextFrame, TextFrame],
        expectedUpFrames: [TaggedFrame],
      },
    );
    expect(down).toEqual(texts);
    expect(inner.processors.map((p) => p.constructor.name)).toEqual([
      "PipelineSource",
      "IdentityFilter",
      "Pipeline",
      "PipelineSink",
    ]);
  });

  it("test_pipeline_setup_failures_are_reported: each failing setup gives an ErrorFrame, the processor is unusable, the task still ends", async () => {
    class FailingSetup extends IdentityFilter {
      override async setup(setup: FrameProcessorSetup): Promise<void> {
        await super.setup(setup);
        throw new Error(`${this.name} cannot connect`);
      }
    }
    const a = new FailingSetup();
    const b = new FailingSetup();
    const errors: ErrorFrame[] = [];
    const task = new PipelineTask(new Pipeline([a, new IdentityFilter(), b]));
    task.on("pipelineError", (_t, frame) => void errors.push(frame));
    let finished: Frame | undefined;
    task.on("pipelineFinished", (_t, frame) => void (finished = frame));
    await task.queueFrame(new EndFrame());
    await task.run();
    expect(
      errors.map((e) => e.processor).sort((x, y) => (x?.name ?? "").localeCompare(y?.name ?? "")),
    ).toEqual([a, b]);
    expect(errors[0]?.error).toMatch(
      /^Error setting up FailingSetup#\d+: FailingSetup#\d+ cannot connect$/,
    );
    expect(a.isUsable).toBe(false);
    expect(b.isUsable).toBe(false);
    expect(finished).toBeInstanceOf(EndFrame);
  });

  it("rejects non-processors", () => {
    expect(() => new Pipeline([{} as FrameProcessor])).toThrow(TypeError);
  });
});

describe("ParallelPipeline", () => {
  it("test_parallel_single", async () => {
    await runTest(new ParallelPipeline([new IdentityFilter()]), {
      framesToSend: [new TextFrame("Hello from Pipecat!")],
      expectedDownFrames: [TextFrame],
    });
  });

  it("test_parallel_multiple: one TextFrame out, by dedup", async () => {
    await runTest(new ParallelPipeline([new IdentityFilter()], [new IdentityFilter()]), {
      framesToSend: [new TextFrame("Hello from Pipecat!")],
      expectedDownFrames: [TextFrame],
    });
  });

  it("test_parallel_internal_frames_buffered_during_start: frames a branch pushes before every branch started follow the StartFrame", async () => {
    class PushOnStart extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof StartFrame) await this.pushFrame(new TextFrame("from start"));
        await this.pushFrame(frame, direction);
      }
    }
    class SlowStart extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof StartFrame) await new Promise((r) => setTimeout(r, 30));
        await this.pushFrame(frame, direction);
      }
    }
    const { down } = await runTest(new ParallelPipeline([new PushOnStart()], [new SlowStart()]), {
      framesToSend: [new TextFrame("input")],
      includeStartFrame: true,
      expectedDownFrames: [StartFrame, TextFrame, TextFrame],
    });
    expect(down.slice(1).map((f) => (f as TextFrame).text)).toEqual(["from start", "input"]);
  });

  it("holds the EndFrame until every branch emitted it; frames produced before it go first", async () => {
    const parallel = new ParallelPipeline([new DelayProcessor(60)], [new IdentityFilter()]);
    const { down } = await runTest(parallel, {
      framesToSend: [new TaggedFrame("x"), new EndFrame()],
      sendEndFrame: false,
    });
    expect(down.map((f) => f.constructor.name)).toEqual(["TaggedFrame", "EndFrame"]);
  });

  it("fans out system frames and upstream frames, deduplicated; frames each branch makes all go out", async () => {
    class Tagger extends FrameProcessor {
      constructor(readonly tag: string) {
        super();
      }
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        await this.pushFrame(frame, direction);
        if (frame instanceof TextFrame && direction === FrameDirection.DOWNSTREAM)
          await this.pushFrame(new TaggedFrame(this.tag));
      }
    }
    const { down, up } = await runTest(new ParallelPipeline([new Tagger("a")], [new Tagger("b")]), {
      framesToSend: [new TextFrame("t"), new InterruptionFrame(), new SleepFrame(20)],
      framesToSendUpstream: [new TextFrame("up")],
    });
    expect(down.filter((f) => f instanceof TextFrame)).toHaveLength(1);
    expect(down.filter((f) => f instanceof InterruptionFrame)).toHaveLength(1);
    expect(
      down
        .filter((f) => f instanceof TaggedFrame)
        .map((f) => (f as TaggedFrame).tag)
        .sort(),
    ).toEqual(["a", "b"]);
    expect(up.map((f) => f.constructor.name)).toEqual(["TextFrame"]);
  });

  it("a CancelFrame gets through while an EndFrame waits for a stuck branch", async () => {
    const capture = new CaptureProcessor();
    const task = new PipelineTask(
      new Pipeline([
        new ParallelPipeline([new DelayProcessor(5_000)], [new IdentityFilter()]),
        capture,
      ]),
    );
    await task.queueFrames([new TaggedFrame(), new EndFrame()]);
    const t0 = Date.now(); // before the 5 s delay began: ending sooner means it was not awaited
    const running = task.run();
    await new Promise((r) => setTimeout(r, 50));
    await task.cancel("stop");
    await running;
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(capture.framesOf(EndFrame)).toHaveLength(0);
  });

  it("requires at least one branch, each an array", () => {
    expect(() => new ParallelPipeline()).toThrow(/at least one branch/);
    expect(() => new ParallelPipeline([new IdentityFilter()], 3 as never)).toThrow(TypeError);
  });
});
