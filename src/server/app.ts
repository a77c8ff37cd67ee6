// An app of the server kit: a middleware chain around a handler, served as
// `fetch(request) → Response`. The node:http adapter (node.ts) puts it on a port; tests call
// `app.request(path)` and never open a socket. Hono's counterpart is `Hono#fetch`/`#request`.
import {
  compose,
  internalServerError,
  type ErrorHandler,
  type Handler,
  type Middleware,
} from "./compose.js";
import { RequestContext } from "./context.js";

/** Where a test request goes when `app.request()` gets a bare path. */
const TEST_ORIGIN = "http://localhost";

export interface FetchOptions {
  /** The request-target as the client sent it (the node adapter passes the raw one). */
  target?: string;
  /** Aborts when the client goes away; default `request.signal` (see RequestContextInit). */
  signal?: AbortSignal;
  /**
   * The caller writes the final body out itself and calls `responseFinished(response)` after its
   * last byte (see RequestContextInit); the node adapter does.
   */
  reportsFinish?: boolean;
}

export interface App {
  /** Answers one request. Never rejects: errors become answers (see `onError`). */
  fetch(request: Request, options?: FetchOptions): Promise<Response>;
  /**
   * Answers a request built from a path (or URL) and `RequestInit`, without a socket. A bare path
   * is also the request-target, exactly as written.
   */
  request(input: string | URL, init?: RequestInit): Promise<Response>;
}

export interface AppOptions {
  /** Outermost first. */
  middleware?: readonly Middleware[];
  handler: Handler;
  /** Answers for an error thrown anywhere in the chain; default a bare 500. */
  onError?: ErrorHandler;
}

/**
 * Builds an app from middleware and a handler.
 *
 * @returns an app with `fetch()` for adapters and `request()` for tests
 * @example
 * ```ts
 * const app = createApp({
 *   middleware: [bodyLimit({ maxBytes: 1024 })],
 *   handler: async (request, context) => jsonResponse(200, { bytes: (await context.body()).length }),
 * });
 * const response = await app.request("/echo", { method: "POST", body: "hello" });
 * console.log(response.status, await response.json()); // 200 { bytes: 5 }
 * ```
 */
export function createApp(options: AppOptions): App {
  const onError = options.onError ?? internalServerError;
  const chain = compose(options.middleware ?? [], options.handler, onError);
  const fetch = async (request: Request, fetchOptions: FetchOptions = {}): Promise<Response> => {
    const context = new RequestContext(request, fetchOptions);
    const response = await chain(request, context);
    try {
      return await context.settle(response);
    } catch (error) {
      return onError(error, context);
    }
  };
  return {
    fetch,
    request(input, init) {
      const url = new URL(input, TEST_ORIGIN);
      const streamed = init?.body instanceof ReadableStream;
      // fetch needs `duplex: "half"` to send a stream; RequestInit's type does not know it yet.
      const request = new Request(
        url,
        streamed ? ({ ...init, duplex: "half" } as RequestInit) : init,
      );
      const options: FetchOptions = {};
      if (typeof input === "string" && input.startsWith("/")) options.target = input;
      if (init?.signal) options.signal = init.signal;
      return fetch(request, options);
    },
  };
}
