// The task's feed loop and the observer proxy's "nobody listens" fast path.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Frame } from "../../src/frames/base.js";
import { CancelFrame, EndFrame } from "../../src/frames/lifecycle.js";
import { TextFrame } from "../../src/frames/text.js";
import {
  BaseObserver,
  type FrameProcessed,
  type FramePushed,
  type ObserverProxyLike,
} from "../../src/observers/base-observer.js";
import { TaskObserver } from "../../src/observers/task-observer.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import { PipelineTask } from "../../src/pipeline/task.js";
import type { FrameDirection } from "../../src/processors/direction.js";
import { FrameProcessor } from "../../src/processors/frame-processor.js";
import { IdentityFilter } from "../../src/processors/identity-filter.js";
import { CaptureProcessor, silenceLogs, TaggedFrame } from "../helpers/test-processors.js";

let restoreLogs: () => void;
beforeEach(() => {
  restoreLogs = silenceLogs();
});
afterEach(() => restoreLogs());

describe("PipelineTask feed", () => {
  it("cancel() ends the task while a direct-mode processor at the head hangs on a frame; later frames never enter", async () => {
    const entered: string[] = [];
    class HangsOnText extends FrameProcessor {
      constructor() {
        super({ directMode: true });
      }
      override async processFrame(
        frame: Frame,
        direction: FrameDirection,
        signal: AbortSignal,
      ): Promise<void> {
        await super.processFrame(frame, direction, signal);
        if (frame instanceof TextFrame) {
          entered.push(frame.text);
          if (frame.text === "hang") await new Promise(() => undefined);
        }
        await this.pushFrame(frame, direction);
      }
    }
    const task = new PipelineTask(new Pipeline([new HangsOnText()]));
    let finished: Frame | undefined;
    task.on("pipelineFinished", (_t, frame) => void (finished = frame));
    await task.queueFrames([
      new TextFrame("ok"),
      new TextFrame("hang"),
      new TextFrame("never"),
      new EndFrame(),
    ]);
    const running = task.run();
    await vi.waitFor(() => expect(entered).toContain("hang")); // hanging now, not after a sleep
    const t0 = Date.now();
    await task.cancel("stop");
    await running;
    // Well within the cancel timeout (20 s) that would end it if the CancelFrame were stuck.
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(entered).toEqual(["ok", "hang"]);
    expect(finished).toBeInstanceOf(CancelFrame);
  });

  it("queueFrames() with a big array keeps the order; a CancelFrame in it cancels", async () => {
    const capture = new CaptureProcessor();
    const task = new PipelineTask(new Pipeline([new IdentityFilter(), capture]));
    const frames = Array.from({ length: 2_000 }, (_, i) => new TextFrame(String(i)));
    await task.queueFrames([...frames, new EndFrame()]);
    await task.run();
    expect(capture.framesOf(TextFrame).map((f) => f.text)).toEqual(frames.map((f) => f.text));

    const cancelled = new PipelineTask(new Pipeline([new IdentityFilter()]));
    let finished: Frame | undefined;
    cancelled.on("pipelineFinished", (_t, frame) => void (finished = frame));
    await cancelled.queueFrames([new TextFrame("x"), new CancelFrame("in the list")]);
    await cancelled.run();
    expect((finished as CancelFrame).reason).toBe("in the list");
  });
});

describe("observer proxy fast path", () => {
  it("TaskObserver says whether anyone wants process/push events", () => {
    const proxy = new TaskObserver();
    expect([proxy.wantsProcessFrame, proxy.wantsPushFrame]).toEqual([false, false]);
    const pushOnly = new (class extends BaseObserver {
      override onPushFrame(): void {}
    })();
    proxy.addObserver(pushOnly);
    expect([proxy.wantsProcessFrame, proxy.wantsPushFrame]).toEqual([false, true]);
    const both = { onProcessFrame(): void {}, onPushFrame(): void {} } as BaseObserver;
    proxy.addObserver(both);
    proxy.addObserver(both); // already there: counted once
    expect([proxy.wantsProcessFrame, proxy.wantsPushFrame]).toEqual([true, true]);
    proxy.removeObserver(both);
    proxy.removeObserver(both);
    expect([proxy.wantsProcessFrame, proxy.wantsPushFrame]).toEqual([false, true]);
    proxy.removeObserver(pushOnly);
    expect(proxy.wantsPushFrame).toBe(false);
    proxy.pushTap = () => undefined;
    expect(proxy.wantsPushFrame).toBe(true);
  });

  it("processors skip an observer proxy that wants nothing, and call one that does not say", async () => {
    const calls: string[] = [];
    const quiet: ObserverProxyLike = {
      wantsProcessFrame: false,
      wantsPushFrame: false,
      onProcessFrame: () => void calls.push("quiet process"),
      onPushFrame: () => void calls.push("quiet push"),
    };
    const plain: ObserverProxyLike = {
      onProcessFrame: (e: FrameProcessed) => void calls.push(`process ${e.frame.constructor.name}`),
      onPushFrame: (e: FramePushed) => void calls.push(`push ${e.frame.constructor.name}`),
    };
    for (const observer of [quiet, plain]) {
      const a = new IdentityFilter({ directMode: true });
      const b = new CaptureProcessor({ directMode: true });
      a.link(b);
      await a.setup({ observer });
      await a.queueFrame(new TaggedFrame());
    }
    expect(calls).toEqual(["process TaggedFrame", "push TaggedFrame"]);
  });
});
