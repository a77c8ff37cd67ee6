import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Frame } from "../../src/frames/base.js";
import type { ErrorFrame } from "../../src/frames/error.js";
import { OutputImageRawFrame } from "../../src/frames/image.js";
import {
  CancelFrame,
  CancelTaskFrame,
  EndFrame,
  EndTaskFrame,
  InterruptionFrame,
  InterruptionTaskFrame,
  StartFrame,
  StopFrame,
} from "../../src/frames/lifecycle.js";
import { MetricsFrame } from "../../src/frames/metrics.js";
import { TextFrame } from "../../src/frames/text.js";
import {
  BaseObserver,
  type FrameProcessed,
  type FramePushed,
} from "../../src/observers/base-observer.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import {
  PipelineTask,
  PipelineWorker,
  type ProcessorUnusablePolicy,
} from "../../src/pipeline/task.js";
import { FrameDirection } from "../../src/processors/direction.js";
import { FrameProcessor } from "../../src/processors/frame-processor.js";
import { IdentityFilter } from "../../src/processors/identity-filter.js";
import {
  CaptureProcessor,
  DelayProcessor,
  silenceLogs,
  sleep,
  TaggedFrame,
} from "../helpers/test-processors.js";

let restoreLogs: () => void;
beforeEach(() => {
  restoreLogs = silenceLogs();
});
afterEach(() => restoreLogs());

class PushObserver extends BaseObserver {
  readonly pushed: FramePushed[] = [];
  readonly processed: FrameProcessed[] = [];
  started = 0;
  override onPushFrame(event: FramePushed): void {
    this.pushed.push(event);
  }
  override onProcessFrame(event: FrameProcessed): void {
    this.processed.push(event);
  }
  override onPipelineStarted(): void {
    this.started += 1;
  }
  texts(): string[] {
    return this.pushed
      .filter((e) => e.frame instanceof TextFrame)
      .map((e) => (e.frame as TextFrame).text);
  }
}

const image = (): OutputImageRawFrame =>
  new OutputImageRawFrame({
    image: new Uint8Array(3),
    size: { width: 1, height: 1 },
    format: "RGB",
  });

describe("PipelineTask lifecycle", () => {
  it("test_task_single: frames queued before run() plus an EndFrame; run() returns, hasFinished()", async () => {
    const task = new PipelineTask(new Pipeline([new IdentityFilter()]));
    await task.queueFrame(new TextFrame("Hello!"));
    await task.queueFrames([new TextFrame("Bye!"), new EndFrame()]);
    expect(task.hasFinished()).toBe(false);
    await task.run();
    expect(task.hasFinished()).toBe(true);
    await expect(task.run()).rejects.toThrow(/already/);
    expect(PipelineWorker).toBe(PipelineTask);
  });

  it("test_task_started_ended_event_handler", async () => {
    const task = new PipelineTask(new Pipeline([new IdentityFilter()]));
    const events: string[] = [];
    task.on("pipelineStarted", (t, frame) => {
      expect(t).toBe(task);
      events.push(`started:${frame.constructor.name}`);
    });
    task.on(
      "pipelineFinished",
      (_t, frame) => void events.push(`finished:${frame.constructor.name}`),
    );
    await task.queueFrame(new EndFrame());
    await task.run();
    expect(events).toEqual(["started:StartFrame", "finished:EndFrame"]);
  });

  it("test_task_stopped_event_handler: a StopFrame finishes the task without cleaning processors up", async () => {
    let cleaned = false;
    class Tracked extends IdentityFilter {
      override async cleanup(): Promise<void> {
        cleaned = true;
        await super.cleanup();
      }
    }
    const task = new PipelineTask(new Pipeline([new Tracked()]));
    let finished: Frame | undefined;
    task.on("pipelineFinished", (_t, frame) => void (finished = frame));
    await task.queueFrame(new StopFrame());
    await task.run();
    expect(finished).toBeInstanceOf(StopFrame);
    expect(cleaned).toBe(false);
  });

  it("cleans processors up after an EndFrame", async () => {
    let cleaned = false;
    class Tracked extends IdentityFilter {
      override async cleanup(): Promise<void> {
        cleaned = true;
        await super.cleanup();
      }
    }
    const task = new PipelineTask(new Pipeline([new Tracked()]));
    await task.stopWhenDone();
    await task.run();
    expect(cleaned).toBe(true);
  });

  it("queueFrames takes an async iterable", async () => {
    const capture = new CaptureProcessor();
    const task = new PipelineTask(new Pipeline([capture]));
    async function* frames(): AsyncGenerator<Frame> {
      yield new TextFrame("a");
      await sleep(5);
      yield new TextFrame("b");
      yield new EndFrame();
    }
    const running = task.run();
    await task.queueFrames(frames());
    await running;
    expect(capture.framesOf(TextFrame).map((f) => f.text)).toEqual(["a", "b"]);
  });
});

describe("observers", () => {
  it("test_task_observers: observers see every push between processors, in order", async () => {
    const observer = new PushObserver();
    const a = new IdentityFilter();
    const b = new IdentityFilter();
    const task = new PipelineTask(new Pipeline([a, b]), { observers: [observer] });
    await task.queueFrames([new TextFrame("one"), new TextFrame("two"), new EndFrame()]);
    await task.run();
    const hop = observer.pushed.filter((e) => e.source === a && e.frame instanceof TextFrame);
    expect(hop.map((e) => [(e.frame as TextFrame).text, e.destination, e.direction])).toEqual([
      ["one", b, FrameDirection.DOWNSTREAM],
      ["two", b, FrameDirection.DOWNSTREAM],
    ]);
    expect(observer.processed.some((e) => e.processor === b && e.frame instanceof TextFrame)).toBe(
      true,
    );
    expect(observer.started).toBe(1);
    const stamps = observer.pushed.map((e) => e.timestamp);
    expect([...stamps].sort((x, y) => x - y)).toEqual(stamps);
  });

  it("test_task_add_observer: added at runtime sees later pushes; removed sees nothing more", async () => {
    const early = new PushObserver();
    const late = new PushObserver();
    const task = new PipelineTask(new Pipeline([new IdentityFilter()]), { observers: [early] });
    const running = task.run();
    await task.queueFrame(new TextFrame("first"));
    await sleep(20);
    task.addObserver(late);
    task.removeObserver(early);
    await task.queueFrame(new TextFrame("second"));
    await task.stopWhenDone();
    await running;
    expect(early.texts()).toContain("first");
    expect(early.texts()).not.toContain("second");
    expect(late.texts()).toContain("second");
    expect(late.texts()).not.toContain("first");
  });

  it("a slow observer never blocks the pipeline", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = new (class extends BaseObserver {
      calls = 0;
      override async onPushFrame(): Promise<void> {
        this.calls += 1;
        await gate;
      }
    })();
    const task = new PipelineTask(new Pipeline([new IdentityFilter(), new IdentityFilter()]), {
      observers: [slow],
    });
    task.setReachedDownstreamFilter([TextFrame]);
    const reached: string[] = [];
    task.on("frameReachedDownstream", (_t, frame) => void reached.push((frame as TextFrame).text));
    const running = task.run();
    await task.queueFrames([new TextFrame("a"), new TextFrame("b")]);
    await sleep(30);
    expect(reached).toEqual(["a", "b"]);
    expect(slow.calls).toBe(1); // still stuck on its first event
    release();
    await task.stopWhenDone();
    await running;
    expect(slow.calls).toBeGreaterThan(4);
  });
});

describe("events and frames reaching the ends", () => {
  it("test_task_frame_reached_event_handlers", async () => {
    const identity = new IdentityFilter();
    const task = new PipelineTask(new Pipeline([identity]));
    task.setReachedUpstreamFilter([TextFrame]);
    task.setReachedDownstreamFilter([TextFrame]);
    let upstream = false;
    let downstream = false;
    task.on("frameReachedDownstream", async (_t, frame) => {
      if (frame instanceof TextFrame && frame.text === "Hello Downstream!") {
        downstream = true;
        await identity.pushFrame(new TextFrame("Hello Upstream!"), FrameDirection.UPSTREAM);
      }
    });
    task.on("frameReachedUpstream", async (t, frame) => {
      if (frame instanceof TextFrame && frame.text === "Hello Upstream!") {
        upstream = true;
        await t.stopWhenDone();
      }
    });
    await task.queueFrame(new TextFrame("Hello Downstream!"));
    await task.run();
    expect(downstream).toBe(true);
    expect(upstream).toBe(true);
  });

  it("test_task_queue_frame_upstream / test_task_queue_frames_upstream: upstream frames enter at the bottom at once", async () => {
    const capture = new CaptureProcessor();
    const task = new PipelineTask(new Pipeline([capture]));
    task.setReachedUpstreamFilter([TextFrame]);
    const reached: string[] = [];
    task.on("frameReachedUpstream", (_t, frame) => void reached.push((frame as TextFrame).text));
    const running = task.run();
    await task.queueFrame(new TextFrame("one"), FrameDirection.UPSTREAM);
    await task.queueFrames([new TextFrame("two"), new TextFrame("three")], FrameDirection.UPSTREAM);
    await sleep(20);
    await task.stopWhenDone();
    await running;
    expect(reached).toEqual(["one", "two", "three"]);
    expect(capture.framesOf(TextFrame, FrameDirection.UPSTREAM)).toHaveLength(3);
  });

  it("test_task_error: pipelineError fires for an ErrorFrame reaching the top; the task keeps going", async () => {
    class Failing extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof TextFrame) await this.pushError("oops");
        await this.pushFrame(frame, direction);
      }
    }
    const failing = new Failing();
    const capture = new CaptureProcessor();
    const task = new PipelineTask(new Pipeline([failing, capture]));
    const errors: ErrorFrame[] = [];
    task.on("pipelineError", (_t, frame) => void errors.push(frame));
    await task.queueFrames([new TextFrame("a"), new TextFrame("b"), new EndFrame()]);
    await task.run();
    expect(errors.map((e) => [e.error, e.processor])).toEqual([
      ["oops", failing],
      ["oops", failing],
    ]);
    expect(capture.framesOf(TextFrame)).toHaveLength(2);
  });

  it("a fatal ErrorFrame cancels the task", async () => {
    class Fatal extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof TextFrame) await this.pushError("broken", { fatal: true });
        await this.pushFrame(frame, direction);
      }
    }
    const task = new PipelineTask(new Pipeline([new Fatal()]));
    let finished: Frame | undefined;
    task.on("pipelineFinished", (_t, f) => void (finished = f));
    await task.queueFrame(new TextFrame("x"));
    await task.run();
    expect(finished).toBeInstanceOf(CancelFrame);
    expect((finished as CancelFrame).reason).toMatch(/fatal/);
  });

  it("honours EndTaskFrame (upstream), CancelTaskFrame (downstream) and InterruptionTaskFrame", async () => {
    class Asker extends FrameProcessor {
      constructor(
        readonly ask: () => Frame,
        readonly dir: FrameDirection,
      ) {
        super();
      }
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        await this.pushFrame(frame, direction);
        if (frame instanceof TextFrame) await this.pushFrame(this.ask(), this.dir);
      }
    }
    const run = async (
      ask: () => Frame,
      dir: FrameDirection,
    ): Promise<{ finished: Frame | undefined; capture: CaptureProcessor }> => {
      const capture = new CaptureProcessor();
      const task = new PipelineTask(new Pipeline([capture, new Asker(ask, dir)]));
      let finished: Frame | undefined;
      task.on("pipelineFinished", (_t, f) => void (finished = f));
      await task.queueFrame(new TextFrame("go"));
      const running = task.run();
      if (ask() instanceof InterruptionTaskFrame) {
        await sleep(30);
        await task.stopWhenDone();
      }
      await running;
      return { finished, capture };
    };
    const ended = await run(() => new EndTaskFrame("done"), FrameDirection.UPSTREAM);
    expect(ended.finished).toBeInstanceOf(EndFrame);
    expect((ended.finished as EndFrame).reason).toBe("done");
    const cancelled = await run(() => new CancelTaskFrame("abort"), FrameDirection.DOWNSTREAM);
    expect(cancelled.finished).toBeInstanceOf(CancelFrame);
    expect((cancelled.finished as CancelFrame).reason).toBe("abort");
    const interrupted = await run(() => new InterruptionTaskFrame(), FrameDirection.UPSTREAM);
    expect(interrupted.capture.framesOf(InterruptionFrame, FrameDirection.DOWNSTREAM)).toHaveLength(
      1,
    );
    expect(interrupted.finished).toBeInstanceOf(EndFrame);
  });
});

describe("cancel", () => {
  it("test_task_cancel_timeout: a processor swallowing the CancelFrame still yields pipelineFinished(CancelFrame)", async () => {
    class Swallower extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (!(frame instanceof CancelFrame)) await this.pushFrame(frame, direction);
      }
    }
    const task = new PipelineTask(new Pipeline([new Swallower()]), { cancelTimeoutSecs: 0.1 });
    const events: string[] = [];
    task.on("pipelineTimeout", (_t, f) => void events.push(`timeout:${f.constructor.name}`));
    task.on("pipelineFinished", (_t, f) => void events.push(`finished:${f.constructor.name}`));
    const running = task.run();
    await sleep(20);
    await task.cancel();
    await running;
    expect(events).toEqual(["timeout:CancelFrame", "finished:CancelFrame"]);
  });

  it("test_cancel_preempts_end_frame_stuck_behind_slow_work", async () => {
    // Pipecat: the CancelFrame waits behind the EndFrame in the task's queue, and the EndFrame wait
    // has no timeout, so cancel() never ends the task.
    const slow = new DelayProcessor(5_000);
    const task = new PipelineTask(new Pipeline([slow]));
    let finished: Frame | undefined;
    task.on("pipelineFinished", (_t, f) => void (finished = f));
    await task.queueFrames([new TaggedFrame("slow work"), new EndFrame()]);
    const t0 = Date.now(); // before the 5 s work began: ending sooner means it was not awaited
    const running = task.run();
    await sleep(50);
    await task.cancel("user stop");
    await running;
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(finished).toBeInstanceOf(CancelFrame);
    expect((finished as CancelFrame).reason).toBe("user stop");
    expect(task.hasFinished()).toBe(true);
  });

  it("cancel() before run() ends it right after the start; a second cancel is ignored", async () => {
    const task = new PipelineTask(new Pipeline([new IdentityFilter()]));
    const finished: Frame[] = [];
    task.on("pipelineFinished", (_t, f) => void finished.push(f));
    await task.cancel("early");
    await task.cancel("again");
    await task.run();
    expect(finished).toHaveLength(1);
    expect((finished[0] as CancelFrame).reason).toBe("early");
  });

  it("a StartFrame that never reaches the bottom fires pipelineTimeout(StartFrame) and the task ends", async () => {
    class Blackhole extends FrameProcessor {}
    const task = new PipelineTask(new Pipeline([new Blackhole()]), {
      startTimeoutSecs: 0.05,
      cancelTimeoutSecs: 0.05,
    });
    const timeouts: string[] = [];
    task.on("pipelineTimeout", (_t, f) => void timeouts.push(f.constructor.name));
    await task.run();
    expect(timeouts).toEqual(["StartFrame", "CancelFrame"]);
  });
});

describe("idle timeout", () => {
  it("test_idle_timeout_off_by_default: an image-only pipeline does not cancel itself", async () => {
    const task = new PipelineTask(new Pipeline([new IdentityFilter()]));
    let idle = 0;
    task.on("idleTimeout", () => void (idle += 1));
    const running = task.run();
    await task.queueFrame(image());
    await sleep(150);
    expect(task.hasFinished()).toBe(false);
    await task.stopWhenDone();
    await running;
    expect(idle).toBe(0);
  });

  it("test_idle_task: with idleTimeoutSecs the task cancels itself when nothing happens", async () => {
    const task = new PipelineTask(new Pipeline([new IdentityFilter()]), { idleTimeoutSecs: 0.08 });
    const events: string[] = [];
    task.on("idleTimeout", () => void events.push("idle"));
    task.on(
      "pipelineFinished",
      (_t, f) => void events.push(`finished:${(f as CancelFrame).reason}`),
    );
    const t0 = Date.now();
    await task.run();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(70);
    expect(events).toEqual(["idle", "finished:idle timeout"]);
  });

  it("test_no_idle_task: with cancelOnIdleTimeout false the event fires but the task keeps running", async () => {
    const task = new PipelineTask(new Pipeline([new IdentityFilter()]), {
      idleTimeoutSecs: 0.05,
      cancelOnIdleTimeout: false,
    });
    // Wait for the events themselves, not a wall-clock window: under load the first idle period
    // may start late (setup) and end late (timers), so no fixed sleep is sure to hold two.
    const twice = new Promise<"idle twice">((resolve) => {
      let idle = 0;
      task.on("idleTimeout", () => {
        idle += 1;
        if (idle === 2) resolve("idle twice");
      });
    });
    const running = task.run();
    expect(await Promise.race([twice, running.then(() => "finished")])).toBe("idle twice");
    expect(task.hasFinished()).toBe(false);
    await task.cancel();
    await running;
  });

  describe("on a fake clock", () => {
    // The idle monitor runs on setTimeout and performance.now(); faking just those makes "no frame
    // for longer than the timeout" a fact of the test, not a hope about the machine's load.
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    /** Starts `task` and resolves once its StartFrame reached the bottom (the monitor is on). */
    const start = async (task: PipelineTask): Promise<{ running: Promise<void> }> => {
      const started = new Promise<void>((resolve) => task.on("pipelineStarted", () => resolve()));
      const running = task.run();
      await started;
      return { running }; // wrapped: an async function returning `running` would wait for it
    };
    /** Queues `frame` and resolves once it reached the bottom, or the task ended without it. */
    const deliver = async (
      task: PipelineTask,
      running: Promise<void>,
      frame: Frame,
    ): Promise<void> => {
      const reached = new Promise<void>((resolve) => {
        const onFrame = (_t: PipelineTask, f: Frame): void => {
          if (f !== frame) return;
          task.off("frameReachedDownstream", onFrame);
          resolve();
        };
        task.on("frameReachedDownstream", onFrame);
      });
      await task.queueFrame(frame);
      await Promise.race([reached, running]);
    };

    it("test_idle_task_frames: activity (any DataFrame by default, e.g. images) resets the timer", async () => {
      const task = new PipelineTask(new Pipeline([new IdentityFilter()]), {
        idleTimeoutSecs: 0.1,
      });
      task.setReachedDownstreamFilter([TextFrame, OutputImageRawFrame]);
      let idle = 0;
      task.on("idleTimeout", () => void (idle += 1));
      const { running } = await start(task);
      // 240 ms in all, never 100 ms without a frame.
      for (let i = 0; i < 6; i++) {
        await vi.advanceTimersByTimeAsync(40);
        await deliver(task, running, i % 2 ? image() : new TextFrame("still here"));
      }
      expect(idle).toBe(0);
      expect(task.hasFinished()).toBe(false);
      // And the timer was live all along: 100 ms of silence ends the task.
      await vi.advanceTimersByTimeAsync(100);
      expect(idle).toBe(1);
      await running;
    });

    it("idleTimeoutFrames restricts what counts as activity", async () => {
      const task = new PipelineTask(new Pipeline([new IdentityFilter()]), {
        idleTimeoutSecs: 0.08,
        idleTimeoutFrames: [TextFrame],
      });
      task.setReachedDownstreamFilter([OutputImageRawFrame]);
      let idle = 0;
      task.on("idleTimeout", () => void (idle += 1));
      const { running } = await start(task);
      // An image every 30 ms does not count: the task cancels itself at 80 ms.
      for (let i = 0; i < 2; i++) {
        await vi.advanceTimersByTimeAsync(30);
        await deliver(task, running, image());
      }
      expect(idle).toBe(0);
      await vi.advanceTimersByTimeAsync(20);
      expect(idle).toBe(1);
      await running;
      expect(task.hasFinished()).toBe(true);
    });
  });
});

describe("processor unusable policy", () => {
  class Unauthorized extends FrameProcessor {
    override async processFrame(
      frame: Frame,
      direction: FrameDirection,
      signal: AbortSignal,
    ): Promise<void> {
      await super.processFrame(frame, direction, signal);
      if (frame instanceof TextFrame) await this.pushError("denied", { cause: { status: 401 } });
      await this.pushFrame(frame, direction);
    }
  }

  const runWith = async (
    policy: ProcessorUnusablePolicy | undefined,
    processors: FrameProcessor[],
    frames: Frame[],
  ): Promise<{ finished: Frame | undefined; errors: number; task: PipelineTask }> => {
    const task = new PipelineTask(
      new Pipeline(processors),
      policy === undefined ? {} : { processorUnusablePolicy: policy },
    );
    let finished: Frame | undefined;
    let errors = 0;
    task.on("pipelineFinished", (_t, f) => void (finished = f));
    task.on("pipelineError", () => void (errors += 1));
    await task.queueFrames(frames);
    const running = task.run();
    if (policy === undefined || policy === "continue") {
      await sleep(30);
      await task.stopWhenDone();
    }
    await running;
    return { finished, errors, task };
  };

  it("continue (the default) keeps running; the policy is applied once per processor", async () => {
    const p = new Unauthorized();
    const { finished, errors, task } = await runWith(
      undefined,
      [p],
      [new TextFrame("a"), new TextFrame("b")],
    );
    expect(finished).toBeInstanceOf(EndFrame);
    expect(errors).toBe(2);
    expect([...task.unusableProcessors]).toEqual([p]);
  });

  it("end → EndFrame", async () => {
    const { finished } = await runWith("end", [new Unauthorized()], [new TextFrame("a")]);
    expect(finished).toBeInstanceOf(EndFrame);
  });

  it("cancel → CancelFrame, applied to each unusable processor separately", async () => {
    const a = new Unauthorized();
    const b = new Unauthorized();
    const { finished, task } = await runWith("cancel", [a, b], [new TextFrame("a")]);
    expect(finished).toBeInstanceOf(CancelFrame);
    expect(task.unusableProcessors.has(a)).toBe(true);
  });

  it("a transient category leaves the processor usable and running", async () => {
    class Flaky extends FrameProcessor {
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof TextFrame) await this.pushError("busy", { cause: { status: 503 } });
        await this.pushFrame(frame, direction);
      }
    }
    const p = new Flaky();
    const { finished, task } = await runWith("cancel", [p], [new TextFrame("a"), new EndFrame()]);
    expect(finished).toBeInstanceOf(EndFrame);
    expect(p.isUsable).toBe(true);
    expect(task.unusableProcessors.size).toBe(0);
  });
});

describe("metrics", () => {
  it("sends one initial MetricsFrame with zero entries for each metrics-capable processor", async () => {
    class Capable extends IdentityFilter {
      override canGenerateMetrics(): boolean {
        return true;
      }
    }
    const capable = new Capable();
    const capture = new CaptureProcessor();
    const task = new PipelineTask(
      new Pipeline([capable, new Pipeline([new IdentityFilter()]), capture]),
      { params: { enableMetrics: true } },
    );
    await task.queueFrame(new EndFrame());
    await task.run();
    const metrics = capture.framesOf(MetricsFrame);
    expect(metrics).toHaveLength(1);
    expect(metrics[0]?.data).toEqual([
      { type: "ttfb", processor: capable.name, value: 0 },
      { type: "processing", processor: capable.name, value: 0 },
    ]);
    expect(capture.seen[0]?.frame).toBeInstanceOf(StartFrame);
  });
});
