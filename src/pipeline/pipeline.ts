// Pipeline: a direct-mode processor wrapping [source, ...processors, sink]. Downstream frames enter
// at the source, upstream frames at the sink; frames leaving either end continue to the pipeline's
// own neighbours, so a nested pipeline is transparent.
import type { Frame } from "../frames/base.js";
import { FrameDirection } from "../processors/direction.js";
import { describeError } from "../utils/errors.js";
import { FrameProcessor, type FrameProcessorSetup } from "../processors/frame-processor.js";
import { isSettledNoop } from "../processors/lanes.js";
import { logger } from "../utils/logger.js";

/** Where a frame leaving a pipeline end goes. */
export type PipelineExit = (frame: Frame, direction: FrameDirection) => Promise<void>;

/** A pipeline end: frames travelling towards `exitDirection` leave through `exit`; the others go in. */
abstract class PipelineBookend extends FrameProcessor {
  readonly #exit: PipelineExit;
  readonly #exitDirection: FrameDirection;

  constructor(exit: PipelineExit, exitDirection: FrameDirection, options: { name?: string }) {
    super({ name: options.name, directMode: true });
    this.#exit = exit;
    this.#exitDirection = exitDirection;
  }

  // Not async: the base's work is synchronous for every frame but an InterruptionFrame, so the
  // bookends (on every frame's path) skip an await and a promise when they can.
  override processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    const base = super.processFrame(frame, direction, signal);
    if (isSettledNoop(base)) return this.#route(frame, direction);
    return base.then(() => this.#route(frame, direction));
  }

  #route(frame: Frame, direction: FrameDirection): Promise<void> {
    return direction === this.#exitDirection
      ? this.#exit(frame, direction)
      : this.pushFrame(frame, direction);
  }
}

/** Head bookend: passes downstream frames in, hands upstream frames to `exit`. */
export class PipelineSource extends PipelineBookend {
  constructor(exit: PipelineExit, options: { name?: string } = {}) {
    super(exit, FrameDirection.UPSTREAM, options);
  }
}

/** Tail bookend: hands downstream frames to `exit`, passes upstream frames in. */
export class PipelineSink extends PipelineBookend {
  constructor(exit: PipelineExit, options: { name?: string } = {}) {
    super(exit, FrameDirection.DOWNSTREAM, options);
  }
}

export interface PipelineOptions {
  name?: string;
  /** Replaces the default source (which hands upstream frames to the pipeline's previous processor). */
  source?: FrameProcessor;
  /** Replaces the default sink (which hands downstream frames to the pipeline's next processor). */
  sink?: FrameProcessor;
}

export class Pipeline extends FrameProcessor {
  readonly #source: FrameProcessor;
  readonly #sink: FrameProcessor;
  readonly #children: readonly FrameProcessor[];

  constructor(processors: FrameProcessor[], options: PipelineOptions = {}) {
    super({ name: options.name, directMode: true });
    if (!Array.isArray(processors)) throw new TypeError("Pipeline expects an array of processors");
    for (const p of processors) {
      if (!(p instanceof FrameProcessor))
        throw new TypeError(`Pipeline: ${String(p)} is not a FrameProcessor`);
    }
    this.#children = [...processors];
    this.#source =
      options.source ??
      new PipelineSource((frame, direction) => this.pushFrame(frame, direction), {
        name: `${this.name}::Source`,
      });
    this.#sink =
      options.sink ??
      new PipelineSink((frame, direction) => this.pushFrame(frame, direction), {
        name: `${this.name}::Sink`,
      });
    const chain = this.processors;
    for (let i = 0; i + 1 < chain.length; i++)
      (chain[i] as FrameProcessor).link(chain[i + 1] as FrameProcessor);
  }

  /** Source, the user's processors, sink. */
  get processors(): FrameProcessor[] {
    return [this.#source, ...this.#children, this.#sink];
  }

  /** The processors given to the constructor. */
  override get subprocessors(): readonly FrameProcessor[] {
    return this.#children;
  }

  get source(): FrameProcessor {
    return this.#source;
  }

  get sink(): FrameProcessor {
    return this.#sink;
  }

  override async setup(setup: FrameProcessorSetup): Promise<void> {
    await super.setup(setup);
    await Promise.all(
      this.processors.map(async (p) => {
        try {
          await p.setup(setup);
        } catch (error) {
          await p.pushError(`Error setting up ${p.name}: ${describeError(error)}`, {
            cause: error,
            forcePermanent: true,
          });
        }
      }),
    );
  }

  override async cleanup(): Promise<void> {
    await super.cleanup();
    await Promise.all(
      this.processors.map(async (p) => {
        try {
          await p.cleanup();
        } catch (error) {
          logger.error(`${this.name}: cleaning up ${p.name} failed: ${describeError(error)}`);
        }
      }),
    );
  }

  override processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    const base = super.processFrame(frame, direction, signal);
    if (isSettledNoop(base)) return this.#enter(frame, direction);
    return base.then(() => this.#enter(frame, direction));
  }

  #enter(frame: Frame, direction: FrameDirection): Promise<void> {
    return direction === FrameDirection.DOWNSTREAM
      ? this.#source.queueFrame(frame, direction)
      : this.#sink.queueFrame(frame, direction);
  }
}
