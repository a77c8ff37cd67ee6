// What a command reads and writes, so tests and the example can run commands in-process.

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
  /** Ends the process now (a second Ctrl-C). Absent in-process: the command just returns. */
  exit?: (code: number) => void;
  /** Options for an embedded local fal server (tests). */
  localServerOptions?: Record<string, unknown>;
}

export function processIO(): CommandIO {
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
    exit: (code) => process.exit(code),
  };
}
