// A minimal leveled logger. Level from PIPECAT_LOG_LEVEL (debug|info|warn|error|silent), default
// "warn". Replace the sink with setLogger() (e.g. to route into pino/winston, or to silence tests).

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

function levelFromEnv(): LogLevel {
  const raw =
    typeof process !== "undefined"
      ? process.env.PIPECAT_LOG_LEVEL?.trim().toLowerCase()
      : undefined;
  return raw !== undefined && raw in RANK ? (raw as LogLevel) : "warn";
}

/** The default sink: console (stderr for warn/error), filtered by level. */
export function createConsoleLogger(
  level: LogLevel = levelFromEnv(),
): Logger & { level: LogLevel } {
  const enabled = (l: LogLevel): boolean => RANK[l] >= RANK[sink.level];
  const sink = {
    level,
    debug: (message: string, ...args: unknown[]) =>
      void (enabled("debug") && console.debug(`[pipecat] DEBUG ${message}`, ...args)),
    info: (message: string, ...args: unknown[]) =>
      void (enabled("info") && console.info(`[pipecat] INFO ${message}`, ...args)),
    warn: (message: string, ...args: unknown[]) =>
      void (enabled("warn") && console.warn(`[pipecat] WARN ${message}`, ...args)),
    error: (message: string, ...args: unknown[]) =>
      void (enabled("error") && console.error(`[pipecat] ERROR ${message}`, ...args)),
  };
  return sink;
}

let current: Logger = createConsoleLogger();

/** The package-wide logger; always delegates to the current sink. */
export const logger: Logger = {
  debug: (message, ...args) => current.debug(message, ...args),
  info: (message, ...args) => current.info(message, ...args),
  warn: (message, ...args) => current.warn(message, ...args),
  error: (message, ...args) => current.error(message, ...args),
};

/** Replaces the sink; returns the previous one (handy for restoring it in tests). */
export function setLogger(next: Logger): Logger {
  const previous = current;
  current = next;
  return previous;
}

/** A sink that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
