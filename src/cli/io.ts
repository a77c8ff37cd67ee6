// What a command reads and writes, so tests and the example can run commands in-process; and
// how the process ends: only once what it wrote has left it.
import { flushed } from "./terminal.js";

/**
 * How long a forced exit (a second Ctrl-C) waits for output already written to reach a reader
 * that is slow to take it. A normal exit waits as long as the reader needs, as any Unix tool does.
 */
export const FORCED_EXIT_FLUSH_MS = 2_000;

export interface CommandIO {
  stdin: NodeJS.ReadableStream;
  stdinIsTTY: boolean;
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /**
   * Registers a handler for Ctrl-C (SIGINT) and SIGTERM: while one is registered, those signals
   * call it (with the signal's name) instead of killing the process.
   */
  onInterrupt(handler: (signal?: NodeJS.Signals) => void): void;
  offInterrupt(handler: (signal?: NodeJS.Signals) => void): void;
  /**
   * Ends the process (a second Ctrl-C) as soon as the lines already written have left it, after
   * FORCED_EXIT_FLUSH_MS at most; called again, at once. Returns before the process ends, so
   * the caller must write nothing more. Absent in-process: the command just returns.
   */
  exit?: (code: number) => void;
  /** Options for an embedded local fal server (tests). */
  localServerOptions?: Record<string, unknown>;
}

/**
 * Calls `exit(code)` once every stream in `streams` has flushed (see `flushed`), or after
 * `limitMs` if given. `process.exit()` drops output still held for a slow pipe reader, so the
 * CLI never calls it directly.
 */
export async function exitWhenFlushed(
  code: number,
  options: {
    streams?: readonly NodeJS.WritableStream[];
    exit?: (code: number) => void;
    limitMs?: number;
  } = {},
): Promise<void> {
  const {
    streams = [process.stdout, process.stderr],
    exit = (code: number) => process.exit(code),
    limitMs,
  } = options;
  const all = Promise.all(streams.map(flushed));
  if (limitMs === undefined) {
    await all;
  } else {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, limitMs);
    });
    await Promise.race([all, limit]);
    clearTimeout(timer);
  }
  exit(code);
}

export function processIO(): CommandIO {
  let exiting = false;
  return {
    stdin: process.stdin,
    stdinIsTTY: Boolean(process.stdin.isTTY),
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    onInterrupt: (handler) => {
      process.on("SIGINT", handler);
      process.on("SIGTERM", handler);
    },
    offInterrupt: (handler) => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
    exit: (code) => {
      // Asked again while waiting for the output (a third Ctrl-C): leave now.
      if (exiting) process.exit(code);
      exiting = true;
      process.exitCode = code;
      void exitWhenFlushed(code, { limitMs: FORCED_EXIT_FLUSH_MS });
    },
  };
}
