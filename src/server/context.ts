// One request's context in the server kit: the Request, the request-target exactly as the client
// sent it, typed values that middleware hand on to handlers, the body read once, and changes to
// the final response. Hono's counterpart is `Context` (hono/src/context.ts).
import { responseHasBody } from "./whole-response.js";

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

/** A request body as it arrives, read once, chunk by chunk. */
export interface BodySource {
  /** The next chunk, or undefined at the end; rejects when the body fails to arrive. */
  read(): Promise<Uint8Array | undefined>;
  /** Stops reading; what has not been read is left to whoever serves the request. */
  cancel(): void;
}

/** Reads a request body whole (the body limit middleware installs a bounded reader). */
export type BodyReader = (body: BodySource) => Promise<Uint8Array>;

/**
 * A request whose body can be read without a web stream carries this (the node adapter's do):
 * `present` says whether it has a body at all, `source()` hands it out once (undefined when it
 * has gone to a stream already; then `request.body` has it).
 */
export const LAZY_BODY: unique symbol = Symbol("server.lazyBody");

export interface LazyBody {
  readonly present: boolean;
  source(): BodySource | undefined;
}

/** Whether a request carries a body (without touching it). */
export function hasRequestBody(request: Request): boolean {
  const lazy = (request as Partial<Record<typeof LAZY_BODY, LazyBody>>)[LAZY_BODY];
  return lazy ? lazy.present : request.body !== null;
}

/** The request's body as a source, or undefined when it has none. */
function bodySourceOf(request: Request): BodySource | undefined {
  const lazy = (request as Partial<Record<typeof LAZY_BODY, LazyBody>>)[LAZY_BODY];
  if (lazy && !lazy.present) return undefined;
  const source = lazy?.source();
  if (source) return source;
  const stream = request.body;
  return stream ? streamSource(stream) : undefined;
}

/** A web stream as a body source (the lock is released at the end, as a read loop would). */
function streamSource(stream: ReadableStream<Uint8Array>): BodySource {
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let finished = false;
  const finish = (): void => {
    finished = true;
    reader?.releaseLock();
  };
  return {
    async read() {
      if (finished) return undefined;
      reader ??= stream.getReader();
      try {
        const { done, value } = await reader.read();
        if (!done) return value;
      } catch (error) {
        finish();
        throw error;
      }
      finish();
      return undefined;
    },
    cancel() {
      if (finished) return;
      void (reader ?? stream).cancel().catch(() => undefined);
      finish();
    },
  };
}

/** A change to the response as it leaves the app, after every middleware has had its say. */
export type ResponseTransform = (response: Response) => Response | Promise<Response>;

export interface RequestContextInit {
  /** The request-target as sent (path and query); default: the URL's path and query. */
  target?: string;
  /**
   * Aborts when the client goes away; default `request.signal`. Adapters pass the signal they
   * abort themselves: a Request's own signal follows its source only through a weak reference
   * (undici), so a request nothing else holds can be collected and miss the abort.
   */
  signal?: AbortSignal;
  /**
   * True for an adapter that writes the final body out itself and calls `responseFinished()`
   * after its last byte: the body is then not wrapped to watch for its end.
   */
  reportsFinish?: boolean;
}

/** The `onFinish` callbacks of final responses whose adapter reports their end. */
const pendingFinish = new WeakMap<Response, ReadonlyArray<(response: Response) => void>>();

/**
 * For adapters that pass `reportsFinish`: the whole final body has been handed on. Runs the
 * response's `onFinish` callbacks, once.
 */
export function responseFinished(response: Response): void {
  const callbacks = pendingFinish.get(response);
  if (!callbacks) return;
  pendingFinish.delete(response);
  for (const callback of callbacks) callback(response);
}

export class RequestContext {
  readonly request: Request;
  /**
   * The request-target as the client sent it, without the normalisation `new URL()` applies:
   * `/files/../x` and `/files/%2e%2e/x` stay as they are, so routing can treat them as it must.
   */
  readonly target: string;
  /** Aborts when the client goes away (or the server closes). Prefer it to `request.signal`. */
  readonly signal: AbortSignal;
  readonly #values = new Map<ContextKey<unknown>, unknown>();
  #readBody: BodyReader = readWhole;
  #body: Promise<Uint8Array> | undefined;
  readonly #transforms: ResponseTransform[] = [];
  readonly #finishCallbacks: Array<(response: Response) => void> = [];
  readonly #reportsFinish: boolean;

  constructor(request: Request, init: RequestContextInit = {}) {
    this.request = request;
    this.signal = init.signal ?? request.signal;
    this.#reportsFinish = init.reportsFinish === true;
    if (init.target !== undefined) this.target = init.target;
    else {
      const url = new URL(request.url);
      this.target = `${url.pathname}${url.search}`;
    }
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
      const source = bodySourceOf(this.request);
      this.#body = source ? this.#readBody(source) : Promise.resolve(new Uint8Array(0));
      // A failure is reported to whoever awaits it; do not let it count as unhandled meanwhile.
      this.#body.catch(() => undefined);
    }
    return this.#body;
  }

  /** Whether the request carries a body (read or not). */
  get hasBody(): boolean {
    return hasRequestBody(this.request);
  }

  /** Replaces how `body()` reads the body; only before the first read. */
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
   * Calls back once the whole final response (after every transform) has been handed on: at once
   * for an answer without a body, after its last byte otherwise. Never for a dropped connection, a body that fails part-way, or
   * a client that stops reading.
   */
  onFinish(callback: (response: Response) => void): void {
    this.#finishCallbacks.push(callback);
  }

  /**
   * Applies the registered transforms (innermost first), then watches the final body for
   * `onFinish`. Called by the app, once.
   */
  async settle(response: Response): Promise<Response> {
    let out = response;
    for (let i = this.#transforms.length - 1; i >= 0; i -= 1) {
      if (out.type === "error") return out;
      out = await (this.#transforms[i] as ResponseTransform)(out);
    }
    if (out.type === "error" || this.#finishCallbacks.length === 0) return out;
    if (this.#reportsFinish && responseHasBody(out)) {
      pendingFinish.set(out, this.#finishCallbacks);
      return out;
    }
    return whenFinished(out, this.#finishCallbacks);
  }
}

async function readWhole(body: BodySource): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let chunk = await body.read(); chunk; chunk = await body.read()) {
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, size);
}

function whenFinished(
  response: Response,
  callbacks: ReadonlyArray<(response: Response) => void>,
): Response {
  const notify = (): void => {
    for (const callback of callbacks) callback(response);
  };
  if (!responseHasBody(response) || !response.body) {
    notify();
    return response;
  }
  // One pulling stream rather than pipeThrough(): a server pays for this on every answer.
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (!done) return controller.enqueue(value);
      controller.close();
      notify();
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(body, response);
}
