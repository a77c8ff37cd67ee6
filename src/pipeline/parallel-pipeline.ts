// ParallelPipeline: every frame goes to every branch (same instance); what comes out is
// deduplicated. StartFrame, EndFrame, StopFrame and CancelFrame (downstream) are synchronised: the
// pipeline holds everything behind them until every branch has emitted its copy. Other frames
// leaving a branch meanwhile are buffered: after a StartFrame they follow it, before an
// End/Stop/Cancel they precede it.
import type { Frame } from "../frames/base.js";
import { CancelFrame, EndFrame, StartFrame, StopFrame } from "../frames/lifecycle.js";
import { FrameDirection } from "../processors/direction.js";
import { FrameProcessor, type FrameProcessorSetup } from "../processors/frame-processor.js";
import type { QueuedFrame } from "../processors/queues.js";
import { FanOutTracker, splitBranchArgs } from "./fan-out.js";
import { Pipeline, PipelineSink, PipelineSource } from "./pipeline.js";

export interface ParallelPipelineOptions {
  name?: string;
}

interface LifecycleSync {
  remaining: number;
  resolve: () => void;
  done: Promise<void>;
}

function isLifecycleFrame(frame: Frame): boolean {
  return (
    frame instanceof StartFrame ||
    frame instanceof EndFrame ||
    frame instanceof StopFrame ||
    frame instanceof CancelFrame
  );
}

export class ParallelPipeline extends FrameProcessor {
  readonly #branches: Pipeline[];
  readonly #fanOut = new FanOutTracker();
  readonly #syncs = new Map<number, LifecycleSync>();
  readonly #buffer: QueuedFrame[] = [];

  constructor(...args: Array<FrameProcessor[] | ParallelPipelineOptions>) {
    const { branches, options } = splitBranchArgs<FrameProcessor, ParallelPipelineOptions>(
      "ParallelPipeline",
      args,
    );
    super({ name: options?.name });
    const exit = (frame: Frame, direction: FrameDirection): Promise<void> =>
      this.#onBranchOutput(frame, direction);
    this.#branches = branches.map(
      (processors, i) =>
        new Pipeline(processors, {
          name: `${this.name}::Branch${i}`,
          source: new PipelineSource(exit, { name: `${this.name}::Branch${i}::Source` }),
          sink: new PipelineSink(exit, { name: `${this.name}::Branch${i}::Sink` }),
        }),
    );
  }

  get branches(): readonly Pipeline[] {
    return this.#branches;
  }

  override get subprocessors(): readonly FrameProcessor[] {
    return this.#branches;
  }

  override async setup(setup: FrameProcessorSetup): Promise<void> {
    await super.setup(setup);
    await Promise.all(this.#branches.map((b) => b.setup(setup)));
  }

  override async cleanup(): Promise<void> {
    await super.cleanup();
    await Promise.all(this.#branches.map((b) => b.cleanup()));
    this.#fanOut.clear();
  }

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);

    if (direction === FrameDirection.UPSTREAM || !isLifecycleFrame(frame)) {
      this.#fanOut.register(frame, this.#branches.length, false);
      for (const branch of this.#branches) await branch.queueFrame(frame, direction);
      return;
    }

    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const sync: LifecycleSync = { remaining: this.#branches.length, resolve, done };
    this.#syncs.set(frame.id, sync);
    for (const branch of this.#branches) await branch.queueFrame(frame, direction);
    await sync.done;

    if (frame instanceof StartFrame) {
      await this.pushFrame(frame, direction);
      await this.#flushBuffer();
      this.#syncs.delete(frame.id);
    } else {
      await this.#flushBuffer();
      this.#syncs.delete(frame.id);
      if (frame instanceof CancelFrame) {
        // Syncs abandoned by the cancel (e.g. an EndFrame in progress) will never complete.
        for (const other of this.#syncs.values()) other.resolve();
        this.#syncs.clear();
        await this.#flushBuffer();
      }
      await this.pushFrame(frame, direction);
    }
  }

  async #flushBuffer(): Promise<void> {
    for (let item = this.#buffer.shift(); item; item = this.#buffer.shift()) {
      await this.pushFrame(item.frame, item.direction);
    }
  }

  async #onBranchOutput(frame: Frame, direction: FrameDirection): Promise<void> {
    if (direction === FrameDirection.DOWNSTREAM) {
      const sync = this.#syncs.get(frame.id);
      if (sync) {
        sync.remaining -= 1;
        if (sync.remaining === 0) sync.resolve();
        return;
      }
    }
    if (!this.#fanOut.admit(frame)) return;
    if (this.#syncs.size > 0) {
      this.#buffer.push({ frame, direction });
      return;
    }
    await this.pushFrame(frame, direction);
  }
}
