// What the CLI writes: text made safe for a terminal, and stdout/stderr writers that survive a
// reader that goes away (EPIPE), respect backpressure, and can be waited on until what they were
// given has left the process.
//
// Text the user did not type reaches the terminal: prompts read back from files, server messages,
// option values echoed in errors. An ESC in any of them could recolour the terminal, move the
// cursor or set the window title, and a bidirectional override could make a line read differently
// from what it says. So every control character is shown escaped (`\x1b`, `\u202e`) instead.

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly what it escapes.
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/** `text` with control characters (newlines included) shown escaped: one safe line. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** `text` with control characters escaped but newlines kept (for multi-line messages). */
export function terminalSafeLines(text: string): string {
  return text.split("\n").map(terminalSafe).join("\n");
}

// JSON.stringify escapes U+0000..U+001F but leaves DEL, C1 controls and bidi overrides raw.
const JSON_UNSAFE = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** JSON text with every remaining control character as a \u escape (still valid JSON). */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    JSON_UNSAFE,
    (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`,
  );
}

/** A stream the CLI writes lines to: stdout or stderr. */
export type TextStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** What a Node Writable (process.stdout, a socket, a test's sink) tells about its state. */
interface WritableState {
  writableLength?: number;
  writableEnded?: boolean;
  writableFinished?: boolean;
  destroyed?: boolean;
  errored?: unknown;
}

/**
 * Resolves once everything written to `stream` so far has left the process: handed to the
 * kernel for a pipe, consumed by the sink otherwise. Also resolves if the stream fails or closes
 * (a reader that went away: what was left cannot be delivered). Never rejects.
 *
 * Why: on Linux a pipe to a slow reader holds lines that did not fit in the pipe in the stream's
 * memory (`write` returned true; the buffer was under its high-water mark), and `process.exit()`
 * drops them. Waiting for this first keeps the tail of the output.
 */
export function flushed(stream: NodeJS.WritableStream): Promise<void> {
  const state = stream as NodeJS.WritableStream & WritableState;
  if (state.destroyed || state.errored || state.writableFinished) return Promise.resolve();
  // Nothing pending (a TTY or a file: writes are synchronous there).
  if (!state.writableEnded && !state.writableLength) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off("error", done);
      stream.off("close", done);
      stream.off("finish", done);
      resolve();
    };
    stream.once("error", done);
    stream.once("close", done);
    if (state.writableEnded) {
      stream.once("finish", done);
      return;
    }
    // Writes complete in order: the callback of an empty one runs once all before it are out.
    try {
      stream.write("", () => done());
    } catch {
      done();
    }
  });
}

/**
 * Writes lines to a stream until the reader goes away. The first EPIPE (or any write error)
 * closes it: later writes are dropped and `onClosed` runs once; nothing is thrown, so a reader
 * that quits early (`| head -1`) never crashes the CLI.
 */
export class LineWriter {
  readonly stream: TextStream;
  #closed = false;
  #sealed = false;
  #onClosed: ((error: NodeJS.ErrnoException) => void) | undefined;

  constructor(stream: TextStream, onClosed?: (error: NodeJS.ErrnoException) => void) {
    this.stream = stream;
    this.#onClosed = onClosed;
    stream.on("error", (error: NodeJS.ErrnoException) => this.#close(error));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Drops every later write: the output is complete (a run stopped at once has printed its last
   * line). What was written before is still delivered.
   */
  seal(): void {
    this.#sealed = true;
  }

  /**
   * Writes `text` (which ends with a newline). Resolves at once, or once the stream has drained
   * when its buffer is full, so a slow reader slows the writer instead of filling memory.
   */
  write(text: string): Promise<void> {
    if (this.#closed || this.#sealed) return Promise.resolve();
    let ok: boolean;
    try {
      ok = this.stream.write(text);
    } catch (error) {
      this.#close(error as NodeJS.ErrnoException);
      return Promise.resolve();
    }
    if (ok) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.stream.off("drain", done);
        this.stream.off("error", done);
        this.stream.off("close", done);
        resolve();
      };
      this.stream.once("drain", done);
      this.stream.once("error", done);
      this.stream.once("close", done);
    });
  }

  #close(error: NodeJS.ErrnoException): void {
    if (this.#closed) return;
    this.#closed = true;
    const onClosed = this.#onClosed;
    this.#onClosed = undefined;
    onClosed?.(error);
  }
}
