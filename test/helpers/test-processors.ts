// Small processors and frames shared by the core tests.
import { DataFrame, type Frame, SystemFrame } from "../../src/frames/base.js";
import type { FrameDirection } from "../../src/processors/direction.js";
import {
  FrameProcessor,
  type FrameProcessorOptions,
} from "../../src/processors/frame-processor.js";
import { setLogger, silentLogger, type Logger } from "../../src/utils/logger.js";

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Silences the package logger; returns a function restoring the previous one. */
export function silenceLogs(): () => void {
  const previous: Logger = setLogger(silentLogger);
  return () => void setLogger(previous);
}

/** A bare data frame with a tag. */
export class TaggedFrame extends DataFrame {
  constructor(readonly tag = "") {
    super();
  }
}

/** A data frame that survives interruptions. */
export class UninterruptibleTaggedFrame extends DataFrame {
  constructor(readonly tag = "") {
    super();
  }
  override get uninterruptible(): boolean {
    return true;
  }
}

/** A system frame with no meaning of its own (stands in for UserStartedSpeakingFrame & co). */
export class UrgentFrame extends SystemFrame {
  constructor(readonly tag = "") {
    super();
  }
}

/** Records every frame it processes (with direction), forwards everything. */
export class CaptureProcessor extends FrameProcessor {
  readonly seen: Array<{ frame: Frame; direction: FrameDirection }> = [];
  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    this.seen.push({ frame, direction });
    await this.pushFrame(frame, direction);
  }
  framesOf<T extends Frame>(
    type: abstract new (...args: never[]) => T,
    direction?: FrameDirection,
  ): T[] {
    return this.seen
      .filter(
        (s) => s.frame instanceof type && (direction === undefined || s.direction === direction),
      )
      .map((s) => s.frame as T);
  }
}

/** Delays non-system frames by `ms` (NOT abortable, like a library ignoring the signal), then forwards. */
export class DelayProcessor extends FrameProcessor {
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
    if (frame.kind !== "system") await sleep(this.ms);
    await this.pushFrame(frame, direction);
  }
}
