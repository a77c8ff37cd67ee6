// Observers watch frames move through a pipeline without taking part in it.
import type { Frame } from "../frames/base.js";
import type { FrameDirection } from "../processors/direction.js";
import type { FrameProcessor } from "../processors/frame-processor.js";

// The clock lives in utils/clock.ts (the core reads it without importing observers); re-exported
// here, where the public API has always offered it.
export { monotonicNs } from "../utils/clock.js";

/** A processor started processing a frame. `timestamp`: monotonic nanoseconds (performance.now() based). */
export interface FrameProcessed {
  processor: FrameProcessor;
  frame: Frame;
  direction: FrameDirection;
  timestamp: number;
}

/** `source` pushed `frame` to its neighbour `destination`. */
export interface FramePushed {
  source: FrameProcessor;
  destination: FrameProcessor;
  frame: Frame;
  direction: FrameDirection;
  timestamp: number;
}

/**
 * Base class for observers. Every hook is optional and may be async. Observers never block the
 * pipeline: the task delivers events to each observer through its own queue, in order, later.
 * Subclasses implement hooks with `override`; plain objects with the same optional methods work
 * too.
 */
export abstract class BaseObserver {
  onProcessFrame?(event: FrameProcessed): void | Promise<void>;
  onPushFrame?(event: FramePushed): void | Promise<void>;
  onPipelineStarted?(): void | Promise<void>;
}

/** What a processor calls: synchronous, never blocks (the task's proxy queues the events). */
export interface ObserverProxyLike {
  onProcessFrame(event: FrameProcessed): void;
  onPushFrame(event: FramePushed): void;
  /** When false, processors skip onProcessFrame() (and building its event). Undefined counts as true. */
  readonly wantsProcessFrame?: boolean;
  /** When false, processors skip onPushFrame() (and building its event). Undefined counts as true. */
  readonly wantsPushFrame?: boolean;
}
