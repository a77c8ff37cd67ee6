// What a command reads and writes, so tests and the example can run commands in-process.

export interface CommandIO {
  stdin: NodeJS.ReadableStream;
  stdinIsTTY: boolean;
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Registers a Ctrl-C handler (the first SIGINT calls it instead of killing the process). */
  onInterrupt(handler: () => void): void;
  offInterrupt(handler: () => void): void;
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
    },
    offInterrupt: (handler) => {
      process.off("SIGINT", handler);
    },
  };
}
