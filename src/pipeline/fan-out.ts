// Deduplication for pipelines that hand the same frame instance to several branches.
import type { Frame } from "../frames/base.js";

interface Entry {
  remaining: number;
  emitted: boolean;
}

/**
 * Remembers frames handed to N branches so only the first copy to come out goes on. Unlike
 * Pipecat's ever-growing seen-ids set, an entry is forgotten once every branch emitted its copy,
 * and the oldest entries are evicted past `limit` (branches that swallow frames never finish
 * theirs).
 */
export class FanOutTracker {
  readonly #entries = new Map<number, Entry>();

  constructor(readonly limit = 10_000) {}

  get size(): number {
    return this.#entries.size;
  }

  /** `frame` is being handed to `copies` branches; `emitted` when it already went out. */
  register(frame: Frame, copies: number, emitted: boolean): void {
    this.#entries.set(frame.id, { remaining: copies, emitted });
    while (this.#entries.size > this.limit) {
      const oldest = this.#entries.keys().next().value as number;
      this.#entries.delete(oldest);
    }
  }

  /** True when this copy coming out of a branch should go on (frames never registered always do). */
  admit(frame: Frame): boolean {
    const entry = this.#entries.get(frame.id);
    if (!entry) return true;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#entries.delete(frame.id);
    if (entry.emitted) return false;
    entry.emitted = true;
    return true;
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** Accepts `(...branches: FrameProcessor[][], options?)` argument lists. */
export function splitBranchArgs<P, O extends object>(
  owner: string,
  args: ReadonlyArray<P[] | O>,
): { branches: P[][]; options: O | undefined } {
  let options: O | undefined;
  const list = [...args];
  const last = list[list.length - 1];
  if (
    last !== undefined &&
    !Array.isArray(last) &&
    typeof last === "object" &&
    last !== null &&
    !isProcessorLike(last)
  ) {
    options = last as O;
    list.pop();
  }
  if (list.length === 0)
    throw new Error(`${owner} needs at least one branch (an array of processors)`);
  const branches = list.map((branch, i) => {
    if (!Array.isArray(branch))
      throw new TypeError(
        `${owner}: branch ${i} must be an array of processors, got ${String(branch)}`,
      );
    return branch;
  });
  return { branches, options };
}

function isProcessorLike(value: object): boolean {
  return typeof (value as { queueFrame?: unknown }).queueFrame === "function";
}
