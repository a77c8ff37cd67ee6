// ErrorTap: placed at the head of a pipeline, it hands the ErrorFrames services push upstream to a
// callback and stops them there (an application that shows errors itself needs no second report).
import type { Frame } from "../frames/base.js";
import { ErrorFrame } from "../frames/error.js";
import { FrameDirection } from "./direction.js";
import { FrameProcessor, type FrameProcessorOptions } from "./frame-processor.js";

export class ErrorTap extends FrameProcessor {
  readonly #onError: (frame: ErrorFrame) => void;

  constructor(onError: (frame: ErrorFrame) => void, options: FrameProcessorOptions = {}) {
    super(options);
    this.#onError = onError;
  }

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof ErrorFrame && direction === FrameDirection.UPSTREAM) {
      this.#onError(frame);
      return;
    }
    await this.pushFrame(frame, direction);
  }
}
