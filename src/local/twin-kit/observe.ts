// Request observation for a twin: counts each request by operation and by the status answered,
// and logs one line per answer once it has gone out (Pipecat's observers watch frames the same
// way: beside the work, never in it).
import type { Middleware } from "../../server/compose.js";
import type { RequestContext } from "../../server/context.js";
import type { Redactor } from "../../server/middleware/redact.js";
import type { TwinLog } from "./log.js";
import type { TwinRequestStats } from "./stats.js";

export interface ObserveRequestsOptions<Operation extends string> {
  counters: Pick<TwinRequestStats<Operation>, "requests" | "byOperation" | "byStatus">;
  /** The operation the router found (the router runs before this middleware). */
  operationOf: (context: RequestContext) => Operation;
  /** The start of the log line, e.g. "POST /tts/bytes [tts]"; " -> 200 12ms" follows. */
  describe: (request: Request, context: RequestContext) => string;
  redactor: Redactor;
  /** Where the lines go; undefined when the twin has no logger. */
  log: TwinLog | undefined;
}

/**
 * Counts requests (by operation and by the status answered; "reset" for a dropped connection)
 * and logs one line per answer once it has gone out, when there is a log. An answer the client is
 * no longer there to receive is not counted.
 */
export function observeRequests<Operation extends string>(
  options: ObserveRequestsOptions<Operation>,
): Middleware {
  const { counters, operationOf, describe, redactor, log } = options;
  return async function observeRequests(request, context, next) {
    const operation = operationOf(context);
    counters.requests += 1;
    counters.byOperation[operation] = (counters.byOperation[operation] ?? 0) + 1;
    // Without a log nothing waits for the answer to go out: its body is left alone.
    if (log) {
      const started = performance.now();
      const line = describe(request, context);
      context.onFinish((response) => {
        const ms = (performance.now() - started).toFixed(0);
        log(redactor.text(`${line} -> ${response.status} ${ms}ms`));
      });
    }
    const response = await next();
    if (!context.signal.aborted) {
      const key = response.type === "error" ? "reset" : String(response.status);
      counters.byStatus[key] = (counters.byStatus[key] ?? 0) + 1;
    }
    return response;
  };
}
