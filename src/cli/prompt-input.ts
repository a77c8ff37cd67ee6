// Where `generate` gets its prompts: arguments, then --file or stdin, streamed line by line. A short
// read-ahead before the first request finds out, for the usual small inputs, how many prompts there
// are (for file names that sort: 01..40, and a progress total); a long or slow input starts anyway
// with its total unknown.
import type { PromptEntry } from "../app/prompts.js";

/** Prompts read before the first request, at most. */
export const READ_AHEAD_PROMPTS = 10_000;
/** Characters read before the first request, at most. */
export const READ_AHEAD_CHARS = 4 * 1024 * 1024;
/** How long the read-ahead waits for more input before starting anyway. */
export const READ_AHEAD_MS = 250;

export interface ReadAhead {
  /** Every prompt, in order: those read ahead, then the rest as it arrives. */
  entries: AsyncIterable<PromptEntry>;
  /** The number of prompts when the input ended during the read-ahead; undefined otherwise. */
  total: number | undefined;
}

/**
 * Reads ahead until the input ends, READ_AHEAD_PROMPTS or READ_AHEAD_CHARS are read, or
 * READ_AHEAD_MS pass. Errors of the input are thrown by `entries` later, in their place.
 */
export async function readAhead(
  source: AsyncIterable<PromptEntry>,
  limits: { prompts?: number; chars?: number; ms?: number } = {},
): Promise<ReadAhead> {
  const iterator = source[Symbol.asyncIterator]();
  const buffered: PromptEntry[] = [];
  let chars = 0;
  let pending: Promise<IteratorResult<PromptEntry>> | undefined;
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<"time">((resolve) => {
    timer = setTimeout(() => resolve("time"), limits.ms ?? READ_AHEAD_MS);
  });
  try {
    while (
      buffered.length < (limits.prompts ?? READ_AHEAD_PROMPTS) &&
      chars < (limits.chars ?? READ_AHEAD_CHARS)
    ) {
      pending = iterator.next();
      // An input error surfaces from `entries`, not here.
      pending.catch(() => undefined);
      const next = await Promise.race([pending, timeUp]).catch(() => "error" as const);
      if (next === "time" || next === "error") break;
      pending = undefined;
      if (next.done) {
        ended = true;
        break;
      }
      buffered.push(next.value);
      chars += next.value.text.length;
    }
  } finally {
    clearTimeout(timer);
  }

  async function* entries(): AsyncGenerator<PromptEntry> {
    yield* buffered.splice(0);
    if (ended) return;
    if (pending !== undefined) {
      const next = await pending;
      pending = undefined;
      if (next.done) return;
      yield next.value;
    }
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }

  return { entries: entries(), total: ended ? buffered.length : undefined };
}

/** The prompts given as arguments, then those of `stream` (if any). */
export async function* promptEntries(
  args: readonly string[],
  stream: AsyncIterable<PromptEntry> | undefined,
): AsyncGenerator<PromptEntry> {
  for (const arg of args) {
    const text = arg.trim();
    if (text !== "") yield { text };
  }
  if (stream !== undefined) yield* stream;
}
