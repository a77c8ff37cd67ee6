// Refuses requests once the server has begun to close, so nothing new starts while in-flight work
// is being stopped.
import type { Middleware } from "../compose.js";

export interface RefuseWhenClosingOptions {
  isClosing: () => boolean;
  /** The answer meanwhile; default a plain 503 that closes the connection. */
  respond?: () => Response;
}

function serviceUnavailable(): Response {
  return new Response("Server is shutting down", {
    status: 503,
    headers: { "content-type": "text/plain; charset=utf-8", connection: "close" },
  });
}

/**
 * Answers 503 while `isClosing()` is true.
 *
 * @example
 * ```ts
 * let closing = false;
 * const app = createApp({
 *   middleware: [refuseWhenClosing({ isClosing: () => closing })],
 *   handler: () => new Response("ok"),
 * });
 * closing = true;
 * (await app.request("/")).status; // 503
 * ```
 */
export function refuseWhenClosing(options: RefuseWhenClosingOptions): Middleware {
  const respond = options.respond ?? serviceUnavailable;
  return async function refuseWhenClosing(_request, _context, next) {
    return options.isClosing() ? respond() : next();
  };
}
