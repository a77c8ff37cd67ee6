// runTest: runs one processor inside a PipelineTask between two recorders and returns what
// reached each end. Like Pipecat's tests/utils.py run_test.
import { type Frame, SystemFrame } from "../../src/frames/base.js";
import { EndFrame, StartFrame } from "../../src/frames/lifecycle.js";
import { MetricsFrame } from "../../src/frames/metrics.js";
import type { BaseObserver } from "../../src/observers/base-observer.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import {
  PipelineTask,
  type FrameClass,
  type PipelineTaskOptions,
} from "../../src/pipeline/task.js";
import { FrameDirection } from "../../src/processors/direction.js";
import { FrameProcessor } from "../../src/processors/frame-processor.js";

/** Not sent: runTest waits `ms` before sending the next frame. */
export class SleepFrame extends SystemFrame {
  constructor(readonly ms = 200) {
    super();
  }
}

/**
 * Not sent: runTest awaits `until()` before sending the next frame. For a state the test needs
 * (a server saw a request, a request is in flight) instead of a sleep that hopes it was reached.
 */
export class WaitFrame extends SystemFrame {
  constructor(readonly until: () => Promise<unknown>) {
    super();
  }
}

/** A direct-mode processor that records the frames travelling in one direction and forwards everything. */
export class RecorderProcessor extends FrameProcessor {
  readonly frames: Frame[] = [];
  constructor(
    readonly recordDirection: FrameDirection,
    name?: string,
  ) {
    super({ name, directMode: true });
  }
  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (direction === this.recordDirection) this.frames.push(frame);
    await this.pushFrame(frame, direction);
  }
}

export interface RunTestOptions {
  /** Sent downstream from the top, in order, after the pipeline started; Sleep/WaitFrames pause. */
  framesToSend: Frame[];
  /** Checked by class (instanceof), in order, same length. */
  expectedDownFrames?: FrameClass[];
  expectedUpFrames?: FrameClass[];
  /** Queue an EndFrame after the frames (default true). Without it, framesToSend must end the task. */
  sendEndFrame?: boolean;
  /** Sent upstream from the bottom, after framesToSend. */
  framesToSendUpstream?: Frame[];
  /** Keep StartFrames in the results (default false). */
  includeStartFrame?: boolean;
  /** Keep MetricsFrames in the results (default false). */
  includeMetricsFrames?: boolean;
  observers?: BaseObserver[];
  /** Extra task options (params, timeouts...). */
  taskOptions?: Omit<PipelineTaskOptions, "observers">;
}

export interface RunTestResult {
  down: Frame[];
  up: Frame[];
}

function describeList(frames: readonly (Frame | FrameClass)[]): string {
  return `[${frames.map((f) => (typeof f === "function" ? f.name : f.constructor.name)).join(", ")}]`;
}

function check(kind: string, received: Frame[], expected: FrameClass[] | undefined): void {
  if (!expected) return;
  const ok =
    received.length === expected.length &&
    received.every((frame, i) => frame instanceof (expected[i] as FrameClass));
  if (!ok) {
    throw new Error(
      `${kind} frames mismatch:\n  received: ${describeList(received)}\n  expected: ${describeList(expected)}`,
    );
  }
}

export async function runTest(
  processor: FrameProcessor,
  options: RunTestOptions,
): Promise<RunTestResult> {
  const sendEndFrame = options.sendEndFrame ?? true;
  const upRecorder = new RecorderProcessor(FrameDirection.UPSTREAM, "UpstreamRecorder");
  const downRecorder = new RecorderProcessor(FrameDirection.DOWNSTREAM, "DownstreamRecorder");
  const task = new PipelineTask(new Pipeline([upRecorder, processor, downRecorder]), {
    ...options.taskOptions,
    observers: options.observers,
  });

  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  task.on("pipelineStarted", () => markStarted());
  const running = task.run();
  await Promise.race([started, running]);

  for (const frame of options.framesToSend) {
    if (frame instanceof SleepFrame) await new Promise((resolve) => setTimeout(resolve, frame.ms));
    else if (frame instanceof WaitFrame) await frame.until();
    else await task.queueFrame(frame);
  }
  for (const frame of options.framesToSendUpstream ?? [])
    await task.queueFrame(frame, FrameDirection.UPSTREAM);
  if (sendEndFrame) await task.queueFrame(new EndFrame());
  await running;

  const keep = (frame: Frame): boolean =>
    !(frame instanceof StartFrame && !options.includeStartFrame) &&
    !(frame instanceof MetricsFrame && !options.includeMetricsFrames) &&
    !(frame instanceof EndFrame && sendEndFrame);
  const down = downRecorder.frames.filter(keep);
  const up = upRecorder.frames.filter(keep);
  check("DOWN", down, options.expectedDownFrames);
  check("UP", up, options.expectedUpFrames);
  return { down, up };
}
