// The Request the node:http adapter hands to an app, built on the IncomingMessage. It answers
// what every request needs (method, url, headers, signal) by itself, and RequestContext.body()
// reads its body straight from node:http into a Buffer; anything else (a body stream, text(),
// clone()) builds the real fetch Request once and delegates to it. A real undici Request costs
// a URL, a Headers copy, a following AbortSignal and, with a body, a web stream per request;
// most requests need none of it. Hono's node server (@hono/node-server) takes the same approach.
import type { IncomingMessage } from "node:http";
import { LAZY_BODY, type BodySource, type LazyBody } from "./context.js";
import { delegateToReal } from "./delegate.js";

/** Methods whose body is handed to the app; others' bodies are discarded by node:http. */
const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Methods fetch refuses to represent (a Request with one cannot be built). */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

/** Whether a request with this method can be handed to an app as a fetch Request. */
export function isRepresentableMethod(method: string): boolean {
  return !FORBIDDEN_METHODS.has(method.toUpperCase());
}

/**
 * The request as a fetch Request (`instanceof Request` holds). The raw request-target stays
 * available to the app as `context.target`.
 */
export function nodeRequest(req: IncomingMessage, signal: AbortSignal): Request {
  return new NodeRequest(req, signal) as unknown as Request;
}

class NodeRequest implements LazyBody {
  readonly #req: IncomingMessage;
  readonly #signal: AbortSignal;
  readonly #hasBody: boolean;
  #url: string | undefined;
  #headers: Headers | undefined;
  #real: Request | undefined;
  /** Who took the body: RequestContext.body() (a source) or a web stream (the real Request). */
  #bodyTaken: "source" | "stream" | undefined;

  constructor(req: IncomingMessage, signal: AbortSignal) {
    this.#req = req;
    this.#signal = signal;
    this.#hasBody = BODY_METHODS.has(req.method ?? "GET");
  }

  get method(): string {
    return this.#req.method ?? "GET";
  }

  get url(): string {
    this.#url ??= requestUrl(this.#req);
    return this.#url;
  }

  get headers(): Headers {
    this.#headers ??= headersOf(this.#req);
    return this.#headers;
  }

  get signal(): AbortSignal {
    return this.#signal;
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.#hasBody ? this.#realRequest().body : null;
  }

  get bodyUsed(): boolean {
    if (this.#real) return this.#real.bodyUsed;
    return this.#bodyTaken === "source";
  }

  // LazyBody: how RequestContext.body() reads it without a web stream.
  get [LAZY_BODY](): LazyBody {
    return this;
  }

  get present(): boolean {
    return this.#hasBody;
  }

  source(): BodySource | undefined {
    if (!this.#hasBody) return undefined;
    if (this.#bodyTaken === undefined) {
      this.#bodyTaken = "source";
      return incomingSource(this.#req);
    }
    return undefined;
  }

  /** The real fetch Request, built once, for everything this object does not answer itself. */
  #realRequest(): Request {
    if (this.#real) return this.#real;
    const init: RequestInit & { duplex?: "half" } = {
      method: this.method,
      headers: this.headers,
      signal: this.#signal,
    };
    if (this.#hasBody) {
      if (this.#bodyTaken === "source") init.body = usedBody();
      else {
        this.#bodyTaken = "stream";
        init.body = bodyStream(this.#req);
      }
      // `duplex: "half"` lets fetch take a stream body; RequestInit's type does not know it yet.
      init.duplex = "half";
    }
    this.#real = new Request(this.url, init);
    return this.#real;
  }

  static {
    // Everything else a Request has (cache, mode, clone(), text(), …) comes from the real one:
    // the real prototype's accessors check that they are called on a real Request.
    delegateToReal(NodeRequest, Request, (self) => self.#realRequest());
  }
}

/** The URL fetch would see: the Host's origin and the request-target. */
function requestUrl(req: IncomingMessage): string {
  const target = req.url ?? "/";
  const origin = `http://${req.headers.host ?? "localhost"}`;
  try {
    return (target.startsWith("/") ? new URL(`${origin}${target}`) : new URL(target, `${origin}/`))
      .href;
  } catch {
    return "http://localhost/";
  }
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = req.headers;
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined) continue;
    if (typeof value === "string") headers.append(name, value);
    else for (const one of value) headers.append(name, one);
  }
  return headers;
}

/** A body RequestContext.body() has already read: what a second reader gets. */
function usedBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.error(new TypeError("Body is unusable: the request body has already been read"));
    },
  });
}

/**
 * The body as chunks, read on demand. Between reads the request is paused, so a body nobody
 * reads on is left to node:http, which discards it after the answer. Cancelling pauses the
 * request rather than destroying it, so an answer (a 413) can still go out on the same
 * connection.
 */
function incomingSource(req: IncomingMessage): BodySource {
  const queued: Uint8Array[] = [];
  let ended = false;
  let failure: Error | undefined;
  let cancelled = false;
  let started = false;
  let waiting:
    | { resolve: (chunk: Uint8Array | undefined) => void; reject: (e: Error) => void }
    | undefined;
  const settle = (): void => {
    const waiter = waiting;
    if (!waiter) return;
    const chunk = queued.shift();
    if (chunk) waiter.resolve(chunk);
    else if (failure) waiter.reject(failure);
    else if (ended) waiter.resolve(undefined);
    else return;
    waiting = undefined;
  };
  const start = (): void => {
    started = true;
    req.on("data", (chunk: Buffer) => {
      if (cancelled) return;
      queued.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      // One chunk waits at most: the next read resumes the flow.
      if (!waiting) req.pause();
      settle();
    });
    req.once("end", () => {
      ended = true;
      settle();
    });
    req.once("error", (error) => {
      failure ??= error;
      settle();
    });
    req.once("close", () => {
      if (!req.complete) failure ??= new Error("the client went away");
      settle();
    });
  };
  return {
    read() {
      if (cancelled) return Promise.resolve(undefined);
      const chunk = queued.shift();
      if (chunk) return Promise.resolve(chunk);
      if (failure) return Promise.reject(failure);
      if (ended) return Promise.resolve(undefined);
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        if (!started) start();
        req.resume();
      });
    },
    cancel() {
      cancelled = true;
      queued.length = 0;
      req.pause();
      const waiter = waiting;
      waiting = undefined;
      waiter?.resolve(undefined);
    },
  };
}

/**
 * The body as a web stream over incomingSource (which see for what pausing and cancelling leave
 * to node:http): a chunk is read from the request each time the stream is pulled.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  const source = incomingSource(req);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await source.read();
      if (chunk !== undefined) controller.enqueue(chunk);
      else controller.close();
    },
    cancel() {
      source.cancel();
    },
  });
}
