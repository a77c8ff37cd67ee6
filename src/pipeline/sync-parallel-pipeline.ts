// SyncParallelPipeline: runs each downstream data/control frame through every branch, waits until
// all branches are done with it, then releases everything they produced in one batch, either in
// arrival order or branch by branch. Pipecat's pipeline/sync_parallel_pipeline.py, with fixes:
// - A downstream system frame goes out once, immediately; the copies coming out of the branches are
//   dropped (Pipecat released them a second time with the next batch).
// - Frames travelling upstream out of a branch (e.g. a service's ErrorFrame) go on at once
//   (Pipecat kept them until some non-system frame travelled upstream through the pipeline).
// - System frames produced inside a branch, and output a branch produces between batches, go on
//   at once instead of waiting for the next batch.
// - A batch's sentinel is identified by id, so one left over by an interrupted batch is ignored.
// - In an EndFrame batch, the EndFrame is released after everything the branches produced.
import type { Frame } from "../frames/base.js";
import { ControlFrame } from "../frames/base.js";
import { EndFrame } from "../frames/lifecycle.js";
import { FrameDirection } from "../processors/direction.js";
import { FrameProcessor, type FrameProcessorSetup } from "../processors/frame-processor.js";
import { FanOutTracker, splitBranchArgs } from "./fan-out.js";
import { Pipeline, PipelineSink, PipelineSource } from "./pipeline.js";

/** How a batch's frames are released: as they arrived across branches, or branch after branch. */
export type FrameOrder = "arrival" | "pipeline";
export const FrameOrder = { ARRIVAL: "arrival", PIPELINE: "pipeline" } as const;

export interface SyncParallelPipelineOptions {
  name?: string;
  /** Default "arrival". */
  frameOrder?: FrameOrder;
}

/** The private sentinel sent after each input: when it comes out, the branch is done with the input. */
class SyncFrame extends ControlFrame {}

interface Collected {
  frame: Frame;
  seq: number;
}

interface Collector {
  /** Id of the frame that closes the batch for this branch (the SyncFrame, or the EndFrame). */
  untilId: number;
  frames: Collected[];
  resolve: () => void;
  done: Promise<void>;
}

interface Branch {
  pipeline: Pipeline;
  collector: Collector | undefined;
}

export class SyncParallelPipeline extends FrameProcessor {
  readonly frameOrder: FrameOrder;
  readonly #branches: Branch[];
  readonly #fanOut = new FanOutTracker();
  #seq = 0;

  constructor(...args: Array<FrameProcessor[] | SyncParallelPipelineOptions>) {
    const { branches, options } = splitBranchArgs<FrameProcessor, SyncParallelPipelineOptions>(
      "SyncParallelPipeline",
      args,
    );
    const frameOrder = options?.frameOrder ?? FrameOrder.ARRIVAL;
    if (frameOrder !== FrameOrder.ARRIVAL && frameOrder !== FrameOrder.PIPELINE) {
      throw new TypeError(
        `SyncParallelPipeline: frameOrder must be "arrival" or "pipeline", got ${String(frameOrder)}`,
      );
    }
    super({ name: options?.name });
    this.frameOrder = frameOrder;
    this.#branches = branches.map((processors, i) => {
      const branch: Branch = { pipeline: undefined as unknown as Pipeline, collector: undefined };
      branch.pipeline = new Pipeline(processors, {
        name: `${this.name}::Branch${i}`,
        source: new PipelineSource((frame) => this.#onUpstreamOut(frame), {
          name: `${this.name}::Branch${i}::Source`,
        }),
        sink: new PipelineSink((frame) => this.#onDownstreamOut(branch, frame), {
          name: `${this.name}::Branch${i}::Sink`,
        }),
      });
      return branch;
    });
  }

  get branches(): readonly Pipeline[] {
    return this.#branches.map((b) => b.pipeline);
  }

  override get subprocessors(): readonly FrameProcessor[] {
    return this.branches;
  }

  override async setup(setup: FrameProcessorSetup): Promise<void> {
    await super.setup(setup);
    await Promise.all(this.#branches.map((b) => b.pipeline.setup(setup)));
  }

  override async cleanup(): Promise<void> {
    await super.cleanup();
    await Promise.all(this.#branches.map((b) => b.pipeline.cleanup()));
    this.#fanOut.clear();
  }

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);

    if (frame.kind === "system") {
      // Into every branch, then out once, now. The branches' copies are dropped when they come out.
      this.#fanOut.register(frame, this.#branches.length, true);
      for (const branch of this.#branches) await branch.pipeline.queueFrame(frame, direction);
      await this.pushFrame(frame, direction);
      return;
    }

    if (direction === FrameDirection.UPSTREAM) {
      // Upstream data/control frames are not batched: the first copy out of a branch goes on.
      this.#fanOut.register(frame, this.#branches.length, false);
      for (const branch of this.#branches) await branch.pipeline.queueFrame(frame, direction);
      return;
    }

    await this.#runBatch(frame, signal);
  }

  async #runBatch(frame: Frame, signal: AbortSignal): Promise<void> {
    const isEnd = frame instanceof EndFrame;
    const sentinel = isEnd ? undefined : new SyncFrame();
    const untilId = sentinel ? sentinel.id : frame.id;
    // The input's copies are deduplicated at release (an EndFrame's copies never get that far).
    if (!isEnd) this.#fanOut.register(frame, this.#branches.length, false);

    const collectors = this.#branches.map((branch) => {
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      const collector: Collector = { untilId, frames: [], resolve, done };
      branch.collector = collector;
      return collector;
    });
    // An interruption or cancel abandons the batch: stop collecting, let this run finish.
    const onAbort = (): void => {
      this.#branches.forEach((branch, i) => {
        if (branch.collector === collectors[i]) branch.collector = undefined;
      });
      for (const c of collectors) c.resolve();
    };
    signal.addEventListener("abort", onAbort, { once: true });

    try {
      await Promise.all(
        this.#branches.map(async (branch) => {
          await branch.pipeline.queueFrame(frame, FrameDirection.DOWNSTREAM);
          if (sentinel) await branch.pipeline.queueFrame(sentinel, FrameDirection.DOWNSTREAM);
        }),
      );
      await Promise.all(collectors.map((c) => c.done));
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    if (signal.aborted) return;

    const lists = collectors.map((c) => c.frames);
    const ordered =
      this.frameOrder === FrameOrder.PIPELINE
        ? lists.flat()
        : lists.flat().sort((a, b) => a.seq - b.seq);
    for (const { frame: out } of ordered) {
      if (this.#fanOut.admit(out)) await this.pushFrame(out, FrameDirection.DOWNSTREAM);
    }
    if (isEnd) await this.pushFrame(frame, FrameDirection.DOWNSTREAM);
  }

  /** A frame left a branch downstream (at its sink). */
  async #onDownstreamOut(branch: Branch, frame: Frame): Promise<void> {
    const collector = branch.collector;
    if (frame instanceof SyncFrame) {
      // Our sentinel; one left over by an abandoned batch is simply dropped.
      if (collector && frame.id === collector.untilId) {
        branch.collector = undefined;
        collector.resolve();
      }
      return;
    }
    if (collector && frame.id === collector.untilId) {
      // The EndFrame closing this batch: released by the batch itself, after everything else.
      branch.collector = undefined;
      collector.resolve();
      return;
    }
    if (collector && frame.kind !== "system") {
      collector.frames.push({ frame, seq: this.#seq++ });
      return;
    }
    // System frames, and anything produced between batches, go on at once.
    if (this.#fanOut.admit(frame)) await this.pushFrame(frame, FrameDirection.DOWNSTREAM);
  }

  /** A frame left a branch upstream (at its source): it goes on at once. */
  async #onUpstreamOut(frame: Frame): Promise<void> {
    if (frame instanceof SyncFrame) return;
    if (this.#fanOut.admit(frame)) await this.pushFrame(frame, FrameDirection.UPSTREAM);
  }
}
