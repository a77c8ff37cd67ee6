// A twin's logger: each line prefixed with the twin's name ("[local-fal] …"), and a logger that
// throws never breaks the server. All three twins and the combined server log through it.

/** Where a twin's lines go. */
export type TwinLog = (line: string) => void;

/**
 * Wraps a logger so that each line starts with `prefix` and a failing logger is ignored. Without a
 * logger the result does nothing.
 *
 * @example
 * ```ts
 * const log = twinLog("[local-fal]", console.log);
 * log("listening on 127.0.0.1:8787"); // [local-fal] listening on 127.0.0.1:8787
 * ```
 */
export function twinLog(prefix: string, logger: TwinLog | undefined): TwinLog {
  return function twinLog(line) {
    if (!logger) return;
    try {
      logger(`${prefix} ${line}`);
    } catch {
      // a failing logger must not break the server
    }
  };
}
