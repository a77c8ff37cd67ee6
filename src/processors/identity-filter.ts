// IdentityFilter: forwards every frame unchanged, in its direction (Pipecat's
// processors/filters/identity_filter.py).
import type { Frame } from "../frames/base.js";
import type { FrameDirection } from "./direction.js";
import { FrameProcessor } from "./frame-processor.js";

export class IdentityFilter extends FrameProcessor {
  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    await this.pushFrame(frame, direction);
  }
}
