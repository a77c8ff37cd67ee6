// PipelineRunner (Pipecat's WorkerRunner, trimmed): runs tasks, turns SIGINT (and optionally
// SIGTERM) into task.cancel("interrupt signal"), and offers idempotent end()/cancel().
import { logger } from "../utils/logger.js";
import { nextObjectName } from "../utils/ids.js";
import type { PipelineTask } from "./task.js";

export interface PipelineRunnerOptions {
  name?: string;
  /** Cancel the running tasks on SIGINT. Default true. */
  handleSigint?: boolean;
  /** Cancel the running tasks on SIGTERM. Default false. */
  handleSigterm?: boolean;
}

export class PipelineRunner {
  readonly name: string;
  readonly #handleSigint: boolean;
  readonly #handleSigterm: boolean;
  readonly #tasks = new Set<PipelineTask>();
  #ending = false;
  #cancelling = false;
  #signalled = false;
  #removeSignalHandlers: (() => void) | undefined;

  constructor(options: PipelineRunnerOptions = {}) {
    this.name = options.name ?? nextObjectName(new.target.name);
    this.#handleSigint = options.handleSigint ?? true;
    this.#handleSigterm = options.handleSigterm ?? false;
  }

  /** Runs `task` until it finishes. Signal handlers are installed while any task runs. */
  async run(task: PipelineTask): Promise<void> {
    this.#tasks.add(task);
    this.#installSignalHandlers();
    try {
      if (this.#cancelling) void task.cancel("runner cancelled");
      else if (this.#ending) void task.stopWhenDone();
      await task.run();
    } finally {
      this.#tasks.delete(task);
      if (this.#tasks.size === 0) this.#uninstallSignalHandlers();
    }
  }

  /** Ends every running task gracefully (an EndFrame after what is queued). Idempotent. */
  async end(): Promise<void> {
    if (this.#ending || this.#cancelling) return;
    this.#ending = true;
    await Promise.all([...this.#tasks].map((t) => t.stopWhenDone()));
  }

  /** Cancels every running task. Idempotent; also works after end() (to stop waiting). */
  async cancel(reason = "runner cancelled"): Promise<void> {
    if (this.#cancelling) return;
    this.#cancelling = true;
    await Promise.all([...this.#tasks].map((t) => t.cancel(reason)));
  }

  #installSignalHandlers(): void {
    if (this.#removeSignalHandlers) return;
    const signals: NodeJS.Signals[] = [];
    if (this.#handleSigint) signals.push("SIGINT");
    if (this.#handleSigterm) signals.push("SIGTERM");
    if (signals.length === 0) return;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.#signalled) {
        logger.warn(`${this.name}: ${signal} received again; already cancelling`);
        return;
      }
      this.#signalled = true;
      logger.warn(`${this.name}: ${signal} received; cancelling`);
      void this.cancel("interrupt signal");
    };
    for (const s of signals) process.on(s, onSignal);
    this.#removeSignalHandlers = () => {
      for (const s of signals) process.off(s, onSignal);
    };
  }

  #uninstallSignalHandlers(): void {
    this.#removeSignalHandlers?.();
    this.#removeSignalHandlers = undefined;
  }
}

export { PipelineRunner as WorkerRunner };
export type { PipelineRunnerOptions as WorkerRunnerOptions };
