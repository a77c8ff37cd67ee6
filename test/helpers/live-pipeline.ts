// A processor running inside a PipelineTask that a test drives frame by frame while it runs:
// queue frames, wait for a frame to come out either end, then end the task. runTest (run-test.ts)
// sends everything at once; this is for tests that act in the middle (interrupt during audio,
// release a held server answer).
import type { Frame } from "../../src/frames/base.js";
import { EndFrame, StartFrame } from "../../src/frames/lifecycle.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import { PipelineTask, type PipelineParams } from "../../src/pipeline/task.js";
import { FrameDirection } from "../../src/processors/direction.js";
import { FrameProcessor } from "../../src/processors/frame-processor.js";

type Watcher = { test: (frame: Frame) => boolean; resolve: (frame: Frame) => void };

class Tap extends FrameProcessor {
  readonly frames: Frame[] = [];
  readonly #watchers = new Set<Watcher>();
  constructor(
    readonly recordDirection: FrameDirection,
    name: string,
  ) {
    super({ name, directMode: true });
  }
  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (direction === this.recordDirection && !(frame instanceof StartFrame)) {
      this.frames.push(frame);
      for (const watcher of this.#watchers) {
        if (watcher.test(frame)) {
          this.#watchers.delete(watcher);
          watcher.resolve(frame);
        }
      }
    }
    await this.pushFrame(frame, direction);
  }
  waitFor(test: (frame: Frame) => boolean, timeoutMs: number): Promise<Frame> {
    const seen = this.frames.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#watchers.delete(watcher);
        reject(new Error(`${this.name}: no matching frame within ${timeoutMs} ms`));
      }, timeoutMs);
      const watcher: Watcher = {
        test,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      };
      this.#watchers.add(watcher);
    });
  }
}

export interface LivePipeline {
  task: PipelineTask;
  /** Frames that reached the bottom (StartFrame left out). */
  down: Frame[];
  /** Frames that reached the top (StartFrame left out). */
  up: Frame[];
  send(frame: Frame): Promise<void>;
  /** The first downstream frame (already seen or still to come) that passes `test`. */
  waitDown(test: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  waitUp(test: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  /** Queues an EndFrame and waits for the task to finish. */
  end(): Promise<void>;
}

export async function startLivePipeline(
  processor: FrameProcessor,
  params: PipelineParams = {},
): Promise<LivePipeline> {
  const top = new Tap(FrameDirection.UPSTREAM, "TopTap");
  const bottom = new Tap(FrameDirection.DOWNSTREAM, "BottomTap");
  const task = new PipelineTask(new Pipeline([top, processor, bottom]), { params });
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  task.on("pipelineStarted", () => markStarted());
  const running = task.run();
  await Promise.race([started, running]);
  return {
    task,
    down: bottom.frames,
    up: top.frames,
    send: (frame) => task.queueFrame(frame),
    waitDown: (test, timeoutMs = 5000) => bottom.waitFor(test, timeoutMs),
    waitUp: (test, timeoutMs = 5000) => top.waitFor(test, timeoutMs),
    async end() {
      await task.queueFrame(new EndFrame());
      await running;
    },
  };
}
