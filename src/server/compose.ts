// The middleware chain of the server kit: handlers turn a Request into a Response, middleware wrap
// the rest of the chain (`next`), and an error thrown anywhere becomes a Response right where it
// was thrown, so that every middleware further out still sees an answer. Hono's counterpart is
// `compose()` (hono/src/compose.ts).
import type { RequestContext } from "./context.js";
import { HttpError } from "./http-error.js";

/** Answers one request. */
export type Handler = (request: Request, context: RequestContext) => Response | Promise<Response>;

/** Runs the rest of the chain and resolves with its answer. */
export type Next = () => Promise<Response>;

/** Wraps the rest of the chain: may answer by itself, or call `next()` and change its answer. */
export type Middleware = (
  request: Request,
  context: RequestContext,
  next: Next,
) => Promise<Response>;

/** Turns an error thrown by a handler or middleware into the answer. */
export type ErrorHandler = (
  error: unknown,
  context: RequestContext,
) => Response | Promise<Response>;

/** The default error handler: a plain 500 that says nothing about the error. */
export function internalServerError(): Response {
  return new Response("Internal Server Error", {
    status: 500,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/**
 * Chains middleware around a handler. Middleware run in order on the way in and in reverse on
 * the way out. An `HttpError` becomes its own response; anything else thrown goes to `onError`.
 *
 * @param middleware outermost first
 * @param handler answers what the middleware pass on
 * @param onError answers for a thrown error; default a bare 500
 * @returns one handler for the whole chain
 * @example
 * ```ts
 * const chain = compose(
 *   [async function timing(request, context, next) {
 *     const started = performance.now();
 *     const response = await next();
 *     response.headers.set("server-timing", `app;dur=${performance.now() - started}`);
 *     return response;
 *   }],
 *   () => new Response("hello"),
 * );
 * const request = new Request("http://localhost/");
 * const response = await chain(request, new RequestContext(request));
 * ```
 */
export function compose(
  middleware: readonly Middleware[],
  handler: Handler,
  onError: ErrorHandler = internalServerError,
): (request: Request, context: RequestContext) => Promise<Response> {
  return function composed(request, context) {
    let called = -1;
    const dispatch = async (index: number): Promise<Response> => {
      if (index <= called) throw new Error("next() called more than once");
      called = index;
      const step = middleware[index];
      try {
        return step
          ? await step(request, context, () => dispatch(index + 1))
          : await handler(request, context);
      } catch (error) {
        return error instanceof HttpError ? error.getResponse() : await onError(error, context);
      }
    };
    return dispatch(0);
  };
}
