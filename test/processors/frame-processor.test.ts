import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DataFrame, type Frame } from "../../src/frames/base.js";
import { ErrorFrame } from "../../src/frames/error.js";
import {
  CancelFrame,
  EndFrame,
  InterruptionFrame,
  StartFrame,
  StopFrame,
} from "../../src/frames/lifecycle.js";
import { MetricsFrame, type TTFBMetricsData } from "../../src/frames/metrics.js";
import { TextFrame } from "../../src/frames/text.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import { FrameDirection } from "../../src/processors/direction.js";
import {
  FrameProcessor,
  type FrameProcessorOptions,
} from "../../src/processors/frame-processor.js";
import { IdentityFilter } from "../../src/processors/identity-filter.js";
import type { ErrorCategory } from "../../src/utils/errors.js";
import { runTest, SleepFrame } from "../helpers/run-test.js";
import {
  CaptureProcessor,
  DelayProcessor,
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

class BroadcastTestFrame extends DataFrame {
  constructor(
    readonly text = "",
    readonly value = 0,
    readonly items: string[] = [],
  ) {
    super();
  }
}

describe("events", () => {
  it("test_before_after_events: all four process/push events fire", async () => {
    const identity = new IdentityFilter();
    const fired = new Set<string>();
    for (const event of [
      "beforeProcessFrame",
      "afterProcessFrame",
      "beforePushFrame",
      "afterPushFrame",
    ] as const) {
      identity.on(event, (processor, frame) => {
        expect(processor).toBe(identity);
        if (frame instanceof TextFrame) fired.add(event);
      });
    }
    await runTest(new Pipeline([identity]), {
      framesToSend: [new TextFrame("Hello cat!")],
      expectedDownFrames: [TextFrame],
    });
    expect([...fired].sort()).toEqual([
      "afterProcessFrame",
      "afterPushFrame",
      "beforeProcessFrame",
      "beforePushFrame",
    ]);
  });
});

describe("interruptions", () => {
  it("test_interruptible_frames: a slow data frame in progress is lost (its late push is dropped)", async () => {
    const delay = new DelayProcessor(150);
    const { down } = await runTest(new Pipeline([delay]), {
      framesToSend: [new TaggedFrame("slow"), new SleepFrame(30), new InterruptionFrame()],
      expectedDownFrames: [InterruptionFrame],
    });
    expect(down).toHaveLength(1);
  });

  it("test_uninterruptible_frames: a slow uninterruptible frame is delivered after the InterruptionFrame", async () => {
    await runTest(new Pipeline([new DelayProcessor(100)]), {
      framesToSend: [
        new UninterruptibleTaggedFrame("keep"),
        new SleepFrame(30),
        new InterruptionFrame(),
      ],
      expectedDownFrames: [InterruptionFrame, UninterruptibleTaggedFrame],
    });
  });

  it("flushes queued interruptible frames but keeps queued uninterruptible ones, in order", async () => {
    const capture = new CaptureProcessor();
    const { down } = await runTest(new Pipeline([new DelayProcessor(80), capture]), {
      framesToSend: [
        new TaggedFrame("in progress"),
        new TaggedFrame("queued, dropped"),
        new UninterruptibleTaggedFrame("queued, kept 1"),
        new TaggedFrame("queued, dropped too"),
        new UninterruptibleTaggedFrame("queued, kept 2"),
        new SleepFrame(30),
        new InterruptionFrame(),
        new TaggedFrame("after"),
      ],
    });
    expect(
      down.map((f) => (f instanceof InterruptionFrame ? "interruption" : (f as TaggedFrame).tag)),
    ).toEqual(["interruption", "queued, kept 1", "queued, kept 2", "after"]);
  });

  class DelayAndInterruptProcessor extends FrameProcessor {
    override async processFrame(
      frame: Frame,
      direction: FrameDirection,
      signal: AbortSignal,
    ): Promise<void> {
      await super.processFrame(frame, direction, signal);
      if (frame instanceof TextFrame) {
        await sleep(50);
        await this.pushFrame(new InterruptionFrame(), direction);
      }
      await this.pushFrame(frame, direction);
    }
  }

  it("test_terminal_frames_survive_interruption: the EndFrame queued behind is not flushed", async () => {
    const capture = new CaptureProcessor();
    await runTest(new Pipeline([new DelayAndInterruptProcessor(), capture]), {
      framesToSend: [new TextFrame("trigger")],
      expectedDownFrames: [InterruptionFrame, TextFrame],
    });
    expect(capture.framesOf(EndFrame)).toHaveLength(1);
  });

  it("test_stop_frame_survives_interruption", async () => {
    const capture = new CaptureProcessor();
    await runTest(new Pipeline([new DelayAndInterruptProcessor(), capture]), {
      framesToSend: [new TextFrame("trigger"), new StopFrame()],
      expectedDownFrames: [InterruptionFrame, TextFrame, StopFrame],
      sendEndFrame: false,
    });
    expect(capture.framesOf(StopFrame)).toHaveLength(1);
  });

  it("aborts the AbortSignal handed to processFrame at an InterruptionFrame, and a later frame is still processed", async () => {
    const signals: AbortSignal[] = [];
    const generations: AbortSignal[] = [];
    class AbortableWork extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof TextFrame) {
          signals.push(signal);
          generations.push(this.interrupted);
          if (frame.text === "slow") {
            await new Promise<void>((resolve, reject) => {
              const timer = setTimeout(resolve, 5000);
              signal.addEventListener("abort", () => {
                clearTimeout(timer);
                reject(signal.reason);
              });
            });
          }
        }
        await this.pushFrame(frame, direction);
      }
    }
    const work = new AbortableWork();
    const started = Date.now();
    const { down, up } = await runTest(work, {
      framesToSend: [
        new TextFrame("slow"),
        new SleepFrame(30),
        new InterruptionFrame(),
        new TextFrame("fast"),
      ],
      expectedDownFrames: [InterruptionFrame, TextFrame],
    });
    // The 5 s work started after `started`: ending sooner means nobody waited for it.
    expect(Date.now() - started).toBeLessThan(5000);
    expect((down[1] as TextFrame).text).toBe("fast");
    expect(signals[0]?.aborted).toBe(true);
    expect((signals[0]!.reason as Error).name).toBe("AbortError");
    expect(signals[1]?.aborted).toBe(false);
    // The generation signal was aborted and replaced.
    expect(generations[0]?.aborted).toBe(true);
    expect(generations[1]).not.toBe(generations[0]);
    // The abort of the frame's own signal is not an error.
    expect(up.filter((f) => f instanceof ErrorFrame)).toHaveLength(0);
  });

  it("an uninterruptible frame's signal is not aborted by an interruption", async () => {
    let signal: AbortSignal | undefined;
    class Slow extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        s: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, s);
        if (frame instanceof UninterruptibleTaggedFrame) {
          signal = s;
          await sleep(80);
        }
        await this.pushFrame(frame, direction);
      }
    }
    await runTest(new Slow(), {
      framesToSend: [new UninterruptibleTaggedFrame(), new SleepFrame(20), new InterruptionFrame()],
      expectedDownFrames: [InterruptionFrame, UninterruptibleTaggedFrame],
    });
    expect(signal?.aborted).toBe(false);
  });

  it("a data frame still in the input queue when the interruption arrives survives (Pipecat's order)", async () => {
    // A system frame handler that blocks the input loop keeps B in the input queue.
    class BlockingSystem extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof UrgentFrame) await sleep(60);
        await this.pushFrame(frame, direction);
      }
    }
    const p = new BlockingSystem();
    const capture = new CaptureProcessor({ directMode: true } as FrameProcessorOptions);
    p.link(capture);
    await p.queueFrame(new StartFrame());
    await p.queueFrame(new UrgentFrame());
    await sleep(5);
    await p.queueFrame(new TaggedFrame("B"));
    await p.queueFrame(new InterruptionFrame());
    await sleep(100);
    expect(capture.seen.map((s) => s.frame.constructor.name)).toEqual([
      "StartFrame",
      "UrgentFrame",
      "InterruptionFrame",
      "TaggedFrame",
    ]);
    await p.cleanup();
  });
});

describe("StartFrame gating and cancel", () => {
  it("test_start_frame_is_processed_first", async () => {
    const processed: string[] = [];
    class Recording extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        processed.push(frame.constructor.name);
      }
    }
    const p = new Recording();
    await p.setup({});
    try {
      await p.queueFrame(new TextFrame("early"));
      await p.queueFrame(new UrgentFrame());
      await sleep(30);
      expect(processed).toEqual([]);
      expect(p.started).toBe(false);
      await p.queueFrame(new StartFrame());
      await sleep(30);
      expect(processed).toEqual(["StartFrame", "UrgentFrame", "TextFrame"]);
      expect(p.started).toBe(true);
    } finally {
      await p.cleanup();
    }
  });

  it("after a CancelFrame everything queued later is dropped and the frame in progress is abandoned", async () => {
    const processed: string[] = [];
    let inProgress: AbortSignal | undefined;
    class Recording extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        processed.push(frame.constructor.name);
        if (frame instanceof TaggedFrame) {
          inProgress = signal;
          await sleep(50);
        }
      }
    }
    const p = new Recording();
    await p.queueFrame(new StartFrame());
    await p.queueFrame(new TaggedFrame());
    await p.queueFrame(new TextFrame("queued before cancel"));
    await sleep(10);
    await p.queueFrame(new CancelFrame());
    await p.queueFrame(new TextFrame("after"));
    await p.queueFrame(new UrgentFrame());
    await sleep(80);
    expect(processed).toEqual(["StartFrame", "TaggedFrame", "CancelFrame"]);
    expect(p.cancelling).toBe(true);
    expect(inProgress?.aborted).toBe(true);
    expect(p.interrupted.aborted).toBe(true);
    await p.cleanup();
  });

  it("direct mode processes at once, without a StartFrame", async () => {
    const capture = new CaptureProcessor({ directMode: true });
    await capture.queueFrame(new TextFrame("now"));
    expect(capture.seen).toHaveLength(1);
    expect(capture.isDirectMode).toBe(true);
  });
});

describe("broadcast", () => {
  class UpDownCapture extends FrameProcessor {
    readonly frames: BroadcastTestFrame[] = [];
    constructor(readonly dir: FrameDirection) {
      super();
    }
    override async processFrame(
      frame: Frame,
      direction: FrameDirection,
      signal: AbortSignal,
    ): Promise<void> {
      await super.processFrame(frame, direction, signal);
      if (direction === this.dir && frame instanceof BroadcastTestFrame) this.frames.push(frame);
      await this.pushFrame(frame, direction);
    }
  }

  it("test_broadcast_frame: two fresh instances, linked siblings, shared arguments", async () => {
    class Broadcaster extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof TextFrame)
          await this.broadcastFrame(BroadcastTestFrame, "hello", 42, ["a", "b"]);
        else await this.pushFrame(frame, direction);
      }
    }
    const up = new UpDownCapture(FrameDirection.UPSTREAM);
    const down = new UpDownCapture(FrameDirection.DOWNSTREAM);
    await runTest(new Pipeline([up, new Broadcaster(), down]), {
      framesToSend: [new TextFrame("trigger")],
      expectedDownFrames: [BroadcastTestFrame],
      expectedUpFrames: [BroadcastTestFrame],
    });
    const [d] = down.frames;
    const [u] = up.frames;
    expect(d && u).toBeTruthy();
    expect(d?.id).not.toBe(u?.id);
    expect(d?.broadcastSiblingId).toBe(u?.id);
    expect(u?.broadcastSiblingId).toBe(d?.id);
    expect([d?.text, d?.value, u?.text, u?.value]).toEqual(["hello", 42, "hello", 42]);
    expect(d?.items).toBe(u?.items);
  });

  it("test_broadcast_frame_instance: shallow copies with new id and name", async () => {
    const originals: BroadcastTestFrame[] = [];
    class Broadcaster extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof BroadcastTestFrame) {
          frame.pts = 12345;
          frame.metadata = { key: "value", nested: { a: 1 } };
          originals.push(frame);
          await this.broadcastFrameInstance(frame);
        } else await this.pushFrame(frame, direction);
      }
    }
    const up = new UpDownCapture(FrameDirection.UPSTREAM);
    const down = new UpDownCapture(FrameDirection.DOWNSTREAM);
    await runTest(new Pipeline([up, new Broadcaster(), down]), {
      framesToSend: [new BroadcastTestFrame("test", 99, ["x", "y"])],
      expectedDownFrames: [BroadcastTestFrame],
      expectedUpFrames: [BroadcastTestFrame],
    });
    const [o] = originals;
    const [d] = down.frames;
    const [u] = up.frames;
    for (const copy of [d, u]) {
      expect(copy).toBeInstanceOf(BroadcastTestFrame);
      expect(copy?.id).not.toBe(o?.id);
      expect(copy?.name).not.toBe(o?.name);
      expect(copy?.name).toMatch(/^BroadcastTestFrame#\d+$/);
      expect([copy?.text, copy?.value, copy?.pts]).toEqual(["test", 99, 12345]);
      expect(copy?.items).toBe(o?.items);
      expect(copy?.metadata).toBe(o?.metadata);
    }
    expect(d?.id).not.toBe(u?.id);
  });

  class InterruptOnText extends FrameProcessor {
    codeAfterRan = false;
    override async processFrame(
      frame: Frame,
      direction: FrameDirection,
      signal: AbortSignal,
    ): Promise<void> {
      await super.processFrame(frame, direction, signal);
      if (frame instanceof TextFrame) {
        await this.broadcastInterruption();
        this.codeAfterRan = true;
        await this.pushFrame(new UrgentFrame(frame.text));
      } else await this.pushFrame(frame, direction);
    }
  }

  it("test_broadcast_interruption: InterruptionFrame both ways", async () => {
    await runTest(new Pipeline([new InterruptOnText()]), {
      framesToSend: [new TextFrame("Hello"), new SleepFrame(30)],
      expectedDownFrames: [InterruptionFrame, UrgentFrame],
      expectedUpFrames: [InterruptionFrame],
    });
  });

  it("test_broadcast_interruption_allows_subsequent_code", async () => {
    const p = new InterruptOnText();
    await runTest(new Pipeline([p]), {
      framesToSend: [new TextFrame("trigger")],
      expectedDownFrames: [InterruptionFrame, UrgentFrame],
    });
    expect(p.codeAfterRan).toBe(true);
  });
});

describe("errors", () => {
  it("an exception in processFrame becomes an upstream ErrorFrame and processing continues", async () => {
    class Thrower extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof TextFrame && frame.text === "boom")
          throw Object.assign(new Error("boom"), { status: 401 });
        await this.pushFrame(frame, direction);
      }
    }
    const p = new Thrower();
    const errors: ErrorFrame[] = [];
    p.on("error", (_p, frame) => void errors.push(frame));
    const { down, up } = await runTest(p, {
      framesToSend: [new TextFrame("boom"), new TextFrame("ok")],
      expectedDownFrames: [TextFrame],
      expectedUpFrames: [ErrorFrame],
    });
    expect((down[0] as TextFrame).text).toBe("ok");
    const error = up[0] as ErrorFrame;
    expect(error.error).toBe("Error processing frame: boom");
    // The catch-all passes "unknown" explicitly, so even a 401 does not make the processor
    // unusable.
    expect(error.category).toBe("unknown");
    expect(error.processor).toBe(p);
    expect((error.cause as Error).message).toBe("boom");
    expect(errors).toEqual([error]);
    expect(p.isUsable).toBe(true);
  });

  it("pushError classifies the cause, marks permanent failures unusable before 'error', and pushes upstream", async () => {
    const p = new CaptureProcessor({ directMode: true });
    const top = new CaptureProcessor({ directMode: true });
    top.link(p);
    const order: string[] = [];
    let usableChanges = 0;
    p.on("usableChanged", (_p, usable) => {
      usableChanges += 1;
      order.push(`usable:${usable}`);
    });
    p.on("error", (proc) => void order.push(`error (usable: ${proc.isUsable})`));
    await p.pushError("auth failed", {
      cause: Object.assign(new Error("nope"), { response: { status: 401 } }),
    });
    await p.pushError("auth failed again", {
      cause: Object.assign(new Error("nope"), { statusCode: 401 }),
    });
    expect(order).toEqual(["usable:false", "error (usable: false)", "error (usable: false)"]);
    expect(usableChanges).toBe(1);
    const errors = top.framesOf(ErrorFrame, FrameDirection.UPSTREAM);
    expect(errors.map((e) => e.category)).toEqual(["authentication", "authentication"]);
    expect(errors[0]?.processor).toBe(p);
    await p.setUsable(true);
    expect(p.isUsable).toBe(true);
    expect(usableChanges).toBe(2);
  });

  it.each<[string, unknown, ErrorCategory]>([
    ["status 429", { status: 429 }, "rate_limit"],
    ["response.status 503", { response: { status: 503 } }, "server"],
    ["statusCode 422", { statusCode: 422 }, "validation"],
    ["403", { status: 403 }, "authorization"],
    ["ECONNREFUSED", Object.assign(new Error("connect"), { code: "ECONNREFUSED" }), "network"],
    [
      "fetch failed",
      new TypeError("fetch failed", {
        cause: Object.assign(new Error("x"), { code: "UND_ERR_SOCKET" }),
      }),
      "network",
    ],
    ["AbortError", new DOMException("aborted", "AbortError"), "cancelled"],
    ["TimeoutError", new DOMException("timed out", "TimeoutError"), "timeout"],
    ["plain Error", new Error("what"), "unknown"],
  ])("classifies %s", async (_name, cause, category) => {
    const p = new FrameProcessor({ directMode: true });
    const errors: ErrorFrame[] = [];
    p.on("error", (_p, f) => void errors.push(f));
    await p.pushError("failed", { cause });
    expect(errors[0]?.category).toBe(category);
  });

  it("classifyError() wins, an explicit category needs no cause, forcePermanent marks unusable whatever the category", async () => {
    class Service extends FrameProcessor {
      protected override classifyError(cause: unknown): ErrorCategory | undefined {
        return (cause as { quota?: boolean }).quota ? "quota" : undefined;
      }
    }
    const s = new Service({ directMode: true });
    const errors: ErrorFrame[] = [];
    s.on("error", (_p, f) => void errors.push(f));
    await s.pushError("a", { cause: { quota: true, status: 401 } });
    await s.pushError("b", { category: "rate_limit" });
    await s.pushError("c");
    expect(errors.map((e) => e.category)).toEqual(["quota", "rate_limit", "unknown"]);
    expect(s.isUsable).toBe(true);
    await s.pushError("d", { category: "server", forcePermanent: true });
    expect(s.isUsable).toBe(false);
  });
});

describe("metrics", () => {
  class Measured extends FrameProcessor {
    constructor(options?: FrameProcessorOptions) {
      super(options);
      this.metricsModel = "test-model";
    }
    override canGenerateMetrics(): boolean {
      return true;
    }
    override async processFrame(
      frame: Frame,
      direction: FrameDirection,
      signal: AbortSignal,
    ): Promise<void> {
      await super.processFrame(frame, direction, signal);
      if (frame instanceof TextFrame) {
        this.startProcessingMetrics();
        this.startTtfbMetrics();
        await sleep(20);
        await this.stopTtfbMetrics();
        await this.stopTtfbMetrics(); // only the first stop after a start reports
        await this.stopProcessingMetrics();
      }
      await this.pushFrame(frame, direction);
    }
  }

  it("pushes TTFB and processing MetricsFrames downstream when enabled (after the initial empty one)", async () => {
    const p = new Measured();
    const { down } = await runTest(p, {
      framesToSend: [new TextFrame("x")],
      includeMetricsFrames: true,
      taskOptions: { params: { enableMetrics: true } },
    });
    expect(down.map((f) => f.constructor.name)).toEqual([
      "MetricsFrame",
      "MetricsFrame",
      "MetricsFrame",
      "TextFrame",
    ]);
    const [initial, ttfb, processing] = down as MetricsFrame[];
    expect(initial?.data).toEqual([
      { type: "ttfb", processor: p.name, value: 0 },
      { type: "processing", processor: p.name, value: 0 },
    ]);
    const t = ttfb?.data[0] as TTFBMetricsData;
    expect(t).toMatchObject({ type: "ttfb", processor: p.name, model: "test-model" });
    expect(t.value).toBeGreaterThanOrEqual(0.015);
    expect(t.value).toBeLessThan(1);
    expect(processing?.data[0]).toMatchObject({
      type: "processing",
      processor: p.name,
      model: "test-model",
    });
  });

  it("pushes nothing when metrics are off, or when the processor cannot generate metrics", async () => {
    const off = await runTest(new Measured(), {
      framesToSend: [new TextFrame("x")],
      includeMetricsFrames: true,
    });
    expect(off.down.map((f) => f.constructor.name)).toEqual(["TextFrame"]);
    const incapable = await runTest(new IdentityFilter(), {
      framesToSend: [new TextFrame("x")],
      includeMetricsFrames: true,
      taskOptions: { params: { enableMetrics: true, sendInitialEmptyMetrics: false } },
    });
    expect(incapable.down.map((f) => f.constructor.name)).toEqual(["TextFrame"]);
  });

  it("the StartFrame's enableMetrics turns metrics on without setup; an interruption reports open measurements", async () => {
    const p = new Measured();
    const capture = new CaptureProcessor({ directMode: true });
    p.link(capture);
    expect(p.metricsEnabled).toBe(false);
    await p.queueFrame(new StartFrame({ enableMetrics: true }));
    await sleep(5);
    expect(p.metricsEnabled).toBe(true);
    p.startTtfbMetrics();
    await p.queueFrame(new InterruptionFrame());
    await sleep(5);
    const metrics = capture.framesOf(MetricsFrame);
    expect(metrics).toHaveLength(1);
    expect(metrics[0]?.data[0]?.type).toBe("ttfb");
    await p.cleanup();
  });
});
