// Statistics and the log of the local fal server: requests by operation and by the status
// answered, and one log line per answer once it has gone out.
import type { Middleware } from "../../server/compose.js";
import type { Redactor } from "../../server/middleware/redact.js";
import { routeOf } from "./routing.js";
import type { LocalFalCounters } from "./state.js";

/**
 * Counts requests (by operation and by the status answered; "reset" for a dropped connection)
 * and logs one line per answer once it has gone out (when there is a log). An answer the client is no longer there to
 * receive is not counted.
 */
export function observe(
  counters: LocalFalCounters,
  redactor: Redactor,
  log: ((line: string) => void) | undefined,
): Middleware {
  return async function observe(request, context, next) {
    const route = routeOf(context);
    counters.requests += 1;
    counters.byOperation[route.operation] = (counters.byOperation[route.operation] ?? 0) + 1;
    // Without a logger nothing waits for the answer to go out: its body is left alone.
    if (log) {
      const started = performance.now();
      const line = `${request.method} ${route.path}${route.proxied ? " (proxy)" : ""} [${route.operation}${route.model ? ` ${route.model}` : ""}]`;
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
