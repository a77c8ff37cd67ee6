// Progress of an image generation, for UIs. A system frame: it travels at once, ahead of queued
// data.
import { SystemFrame } from "./base.js";

export type ImageGenStage =
  | "queued" // accepted by us, waiting for a concurrency slot
  | "submitted" // sent to fal
  | "in_queue" // fal's queue: IN_QUEUE (see queuePosition)
  | "in_progress" // fal's queue: IN_PROGRESS
  | "downloading"
  | "completed"
  | "failed"
  | "cancelled";

export interface ImageGenLog {
  message: string;
  level?: string;
  timestamp?: string;
}

export interface ImageGenProgressInit {
  /** Identifies the prompt: the id of the TextFrame that asked for it. */
  promptId: number;
  prompt: string;
  stage: ImageGenStage;
  requestId?: string;
  queuePosition?: number;
  logs?: ImageGenLog[];
}

export class ImageGenProgressFrame extends SystemFrame {
  readonly promptId: number;
  readonly prompt: string;
  readonly stage: ImageGenStage;
  readonly requestId: string | undefined;
  readonly queuePosition: number | undefined;
  readonly logs: ImageGenLog[];
  constructor(init: ImageGenProgressInit) {
    super();
    this.promptId = init.promptId;
    this.prompt = init.prompt;
    this.stage = init.stage;
    this.requestId = init.requestId;
    this.queuePosition = init.queuePosition;
    this.logs = init.logs ?? [];
  }
  override toString(): string {
    const pos = this.queuePosition === undefined ? "" : `, position: ${this.queuePosition}`;
    return `${this.name}(prompt #${this.promptId}: ${this.stage}${pos})`;
  }
}
