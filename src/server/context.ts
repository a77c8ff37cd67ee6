// One request's context in the server kit: the Request, the request-target exactly as the client
// sent it, typed values that middleware hand on to handlers, the body read once, and changes to
// the final response. Hono's counterpart is `Context` (hono/src/context.ts).

/** A typed name for a per-request value (`context.set(KEY, value)`, `context.get(KEY)`). */
export interface ContextKey<T> {
  readonly name: string;
  /** Never set: carries the value type. */
  readonly __type?: T;
}

/**
 * Makes a key for per-request values. Each call makes a distinct key, whatever its name.
 *
 * @example
 * ```ts
 * const USER = contextKey<string>("user");
 * context.set(USER, "ada");
 * context.get(USER); // "ada"
 * ```
 */
export function contextKey<T>(name: string): ContextKey<T> {
  return Object.freeze({ name });
}

/** Reads a request body stream whole (the body limit middleware installs a bounded one). */
export type BodyReader = (body: ReadableStream<Uint8Array>) => Promise<Uint8Array>;

/** A change to the response as it leaves the app, after every middleware has had its say. */
export type ResponseTransform = (response: Response) => Response | Promise<Response>;

export interface RequestContextInit {
  /** The request-target as sent (path and query); default: the URL's path and query. */
  target?: string;
}

export class RequestContext {
  readonly request: Request;
  /**
   * The request-target as the client sent it, without the normalisation `new URL()` applies:
   * `/files/../x` and `/files/%2e%2e/x` stay as they are, so routing can treat them as it must.
   */
  readonly target: string;
  readonly #values = new Map<ContextKey<unknown>, unknown>();
  #readBody: BodyReader = readWhole;
  #body: Promise<Uint8Array> | undefined;
  readonly #transforms: ResponseTransform[] = [];
  #finishCallbacks: Array<(response: Response) => void> | undefined;

  constructor(request: Request, init: RequestContextInit = {}) {
    this.request = request;
    if (init.target !== undefined) this.target = init.target;
    else {
      const url = new URL(request.url);
      this.target = `${url.pathname}${url.search}`;
    }
  }

  /** Aborts when the client goes away (or the server closes). */
  get signal(): AbortSignal {
    return this.request.signal;
  }

  get<T>(key: ContextKey<T>): T | undefined {
    return this.#values.get(key) as T | undefined;
  }

  set<T>(key: ContextKey<T>, value: T): void {
    this.#values.set(key, value);
  }

  /**
   * The whole request body, read once: later calls share the first read (and its failure). Empty
   * for a request without a body.
   */
  body(): Promise<Uint8Array> {
    if (!this.#body) {
      const stream = this.request.body;
      this.#body = stream ? this.#readBody(stream) : Promise.resolve(new Uint8Array(0));
      // A failure is reported to whoever awaits it; do not let it count as unhandled meanwhile.
      this.#body.catch(() => undefined);
    }
    return this.#body;
  }

  /** Replaces how `body()` reads the stream; only before the first read. */
  readBodyWith(reader: BodyReader): void {
    if (this.#body) throw new Error("the request body has already been read");
    this.#readBody = reader;
  }

  /**
   * Registers a change to the final response. Transforms registered by inner middleware run
   * first, as if they sat closer to the handler. `Response.error()` is never transformed.
   */
  transformResponse(transform: ResponseTransform): void {
    this.#transforms.push(transform);
  }

  /**
   * Calls back once the whole response has been handed on: at once for an answer without a body,
   * after its last byte otherwise. Never for a dropped connection, a body that fails part-way, or
   * a client that stops reading.
   */
  onFinish(callback: (response: Response) => void): void {
    if (!this.#finishCallbacks) {
      const callbacks: Array<(response: Response) => void> = [];
      this.#finishCallbacks = callbacks;
      this.transformResponse((response) => whenFinished(response, callbacks));
    }
    this.#finishCallbacks.push(callback);
  }

  /** Applies the registered transforms (innermost first); called by the app, once. */
  async settle(response: Response): Promise<Response> {
    let out = response;
    for (let i = this.#transforms.length - 1; i >= 0; i -= 1) {
      if (out.type === "error") break;
      out = await (this.#transforms[i] as ResponseTransform)(out);
    }
    return out;
  }
}

async function readWhole(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(body).arrayBuffer());
}

function whenFinished(
  response: Response,
  callbacks: ReadonlyArray<(response: Response) => void>,
): Response {
  const notify = (): void => {
    for (const callback of callbacks) callback(response);
  };
  if (!response.body) {
    notify();
    return response;
  }
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({ flush: notify }),
  );
  return new Response(body, response);
}
