// The Frame base class and its three kinds (system, data, control), as in Pipecat.
import { nextObjectId, nextObjectName } from "../utils/ids.js";

/**
 * How a frame is scheduled inside a processor:
 * - `system`: urgent, processed at once, overtakes queued data; never flushed by an interruption.
 * - `data` / `control`: processed in order, one at a time; flushed by an interruption unless
 *   the frame is `uninterruptible`.
 * - `other`: a bare Frame subclass (ordered and interruptible, like data).
 */
export type FrameKind = "system" | "data" | "control" | "other";

export abstract class Frame {
  /** Globally unique, increasing (shared counter with processors). */
  readonly id: number;
  /** `"<ClassName>#<n>"`. */
  readonly name: string;
  /** Presentation timestamp in nanoseconds, when a transport needs one. */
  pts: number | undefined = undefined;
  /** Free-form metadata; services put per-request facts here. */
  metadata: Record<string, unknown> = {};
  /** Set by broadcastFrame(): the id of the copy sent the other way. */
  broadcastSiblingId: number | undefined = undefined;

  constructor() {
    this.id = nextObjectId();
    this.name = nextObjectName(new.target.name);
  }

  /** The scheduling kind; subclasses of SystemFrame/DataFrame/ControlFrame set it. */
  get kind(): FrameKind {
    return "other";
  }

  /** Uninterruptible frames survive an interruption in a processor's queue (EndFrame, settings updates...). */
  get uninterruptible(): boolean {
    return false;
  }

  toString(): string {
    return this.name;
  }
}

export abstract class SystemFrame extends Frame {
  override get kind(): FrameKind {
    return "system";
  }
}

export abstract class DataFrame extends Frame {
  override get kind(): FrameKind {
    return "data";
  }
}

export abstract class ControlFrame extends Frame {
  override get kind(): FrameKind {
    return "control";
  }
}

export function isSystemFrame(frame: Frame): boolean {
  return frame.kind === "system";
}
