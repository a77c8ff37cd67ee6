// Prompts read from a stream (stdin or --file), one per line, as they arrive: the reader holds one
// chunk and one line at a time, so a million-line file or an endless producer runs in bounded
// memory, and a consumer that stops pulling stops the reading (backpressure through the pipe).
// Blank lines and lines starting with # are skipped; each line is trimmed. A line that is too long,
// not UTF-8 or holds control characters becomes an entry with a `problem` instead of a prompt.
import { MAX_PROMPT_CHARS, type PromptEntry, promptProblem } from "../app/prompts.js";

const NEWLINE = 0x0a;
/** How much of a refused line is kept to show (characters). */
const SHOWN_CHARS = 60;

export interface PromptLineOptions {
  /** Longest prompt, in characters. Default MAX_PROMPT_CHARS. */
  maxChars?: number;
}

/**
 * Yields one entry per non-blank, non-comment line. Bytes beyond the limit of an over-long line
 * are dropped as they arrive (the line is reported, not held).
 */
export async function* readPromptLines(
  stream: AsyncIterable<Uint8Array | string>,
  options: PromptLineOptions = {},
): AsyncGenerator<PromptEntry> {
  const maxChars = options.maxChars ?? MAX_PROMPT_CHARS;
  // UTF-8 takes at most 4 bytes a character; a line beyond this many bytes is too long whatever
  // it holds, and is not kept.
  const maxBytes = maxChars * 4 + 8;
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let parts: Uint8Array[] = [];
  let length = 0;
  let tooLong = false;
  let first = true;

  const finishLine = (): PromptEntry | undefined => {
    const bytes = parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts, length);
    const wasTooLong = tooLong;
    parts = [];
    length = 0;
    tooLong = false;
    const isFirst = first;
    first = false;
    if (wasTooLong) {
      const shown = Buffer.from(bytes.subarray(0, SHOWN_CHARS)).toString("utf8");
      return { text: shown, problem: `is longer than ${maxChars} characters` };
    }
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      return {
        text: Buffer.from(bytes.subarray(0, SHOWN_CHARS)).toString("utf8"),
        problem: "is not valid UTF-8",
      };
    }
    // A byte-order mark at the start of a file is not part of the first prompt.
    if (isFirst && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    text = text.replace(/\r$/, "").trim();
    if (text === "" || text.startsWith("#")) return undefined;
    const problem = promptProblem(text, maxChars);
    return problem === undefined ? { text } : { text: text.slice(0, SHOWN_CHARS), problem };
  };

  const append = (bytes: Uint8Array): void => {
    if (tooLong || bytes.length === 0) return;
    if (length + bytes.length > maxBytes) {
      // Keep only what is shown in the message.
      const room = Math.max(0, SHOWN_CHARS - length);
      if (room > 0) parts.push(bytes.subarray(0, room));
      length += Math.min(room, bytes.length);
      tooLong = true;
      return;
    }
    // A copy: the chunk's buffer is reused or kept alive otherwise.
    parts.push(Uint8Array.prototype.slice.call(bytes));
    length += bytes.length;
  };

  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    let start = 0;
    for (;;) {
      const newline = bytes.indexOf(NEWLINE, start);
      if (newline === -1) break;
      append(bytes.subarray(start, newline));
      start = newline + 1;
      const entry = finishLine();
      if (entry !== undefined) yield entry;
    }
    append(bytes.subarray(start));
  }
  if (length > 0 || tooLong) {
    const entry = finishLine();
    if (entry !== undefined) yield entry;
  }
}
