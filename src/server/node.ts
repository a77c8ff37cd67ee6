// The node:http adapter of the server kit: IncomingMessage → Request (whose signal aborts when
// the client goes away), Response → ServerResponse (streamed, with backpressure), and a close()
// that ends in-flight requests and drops every connection so it never hangs. Hono's counterpart
// is @hono/node-server.
//
// What a request costs here matters (a twin under load answers thousands a second): the Request
// is a light one over the IncomingMessage (node-request.ts) whose body is read without a web
// stream, and a whole answer (whole-response.ts) goes out in one `end(bytes)`; only a streamed
// answer is read through its stream.
import {
  STATUS_CODES,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { describeError } from "../utils/errors.js";
import type { App } from "./app.js";
import { responseFinished } from "./context.js";
import { checkHostAndOrigin, type HostPolicy } from "./host-guard.js";
import { isRepresentableMethod, nodeRequest } from "./node-request.js";
import { endWithRawAnswer } from "./raw-answer.js";
import { untouchedWholeBody } from "./whole-response.js";

/** How long a client may take to send its request head; beyond it, 408 (slow-loris). */
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** How long a client may take to send its whole request (head and body); beyond it, 408. */
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** Sockets held at once; further connections are dropped as they arrive. */
const DEFAULT_MAX_CONNECTIONS = 1024;
/** The longest pause between checks of the two timeouts above (node:http checks periodically). */
const MAX_TIMEOUT_CHECK_INTERVAL_MS = 1000;
/** The shortest pause between those checks, however short the head timeout. */
const MIN_TIMEOUT_CHECK_INTERVAL_MS = 10;

/** The statuses node:http answers by itself, before the app sees a request. */
export type ClientErrorStatus = 400 | 408 | 431;

export interface NodeServerOptions {
  /**
   * The raw answer to a request node:http refuses before the app sees it: 400 (unparsable),
   * 408 (head or body too slow) or 431 (head too large, e.g. a flood of query parameters).
   * Default: the status text as plain text.
   */
  clientError?: (
    status: ClientErrorStatus,
    message: string,
  ) => { contentType: string; body: string };
  /** @deprecated Use `clientError`. The raw answer to an unparsable request (400 only). */
  badRequest?: { contentType: string; body: string };
  /** Time allowed for the request head, in ms; default 10 000. Slower clients get 408. */
  headersTimeoutMs?: number;
  /** Time allowed for the whole request (head and body), in ms; default 60 000. Then 408. */
  requestTimeoutMs?: number;
  /** Most sockets held at once; default 1024. Connections beyond it are dropped on arrival. */
  maxConnections?: number;
  /**
   * The Host/Origin policy for WebSocket upgrades (see `onUpgrade`); HTTP requests are checked
   * by the app's `hostGuard` middleware. Undefined (or a function giving undefined) = no check.
   */
  hostPolicy?: HostPolicy | (() => HostPolicy | undefined);
  /**
   * Takes WebSocket (and other) upgrade requests, after the Host/Origin check. Without it, an
   * upgrade request reaches the app as an ordinary request (node:http does so when nobody
   * listens for upgrades), so the app's guard still answers it.
   */
  onUpgrade?: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Receives a line when the app fails outside its own error handling. */
  log?: (line: string) => void;
}

/**
 * Checks an upgrade request's Host and Origin; when the policy refuses them, answers 403 on the
 * raw socket, destroys it and returns true. For servers that take upgrades themselves (a
 * WebSocket server on `ws`), before handing the socket on.
 *
 * @example
 * ```ts
 * httpServer.on("upgrade", (request, socket, head) => {
 *   if (refuseForeignUpgrade(policy, request, socket)) return;
 *   wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
 * });
 * ```
 */
export function refuseForeignUpgrade(
  policy: HostPolicy | undefined,
  request: IncomingMessage,
  socket: Duplex,
): boolean {
  if (!policy) return false;
  const verdict = checkHostAndOrigin(policy, {
    host: request.headers.host,
    origin: request.headers.origin,
  });
  if (verdict.ok) return false;
  endWithRawAnswer(
    socket,
    403,
    "Forbidden",
    "text/plain; charset=utf-8",
    `Forbidden: ${verdict.reason}`,
  );
  return true;
}

/** What node:http's error code on a refused request means for the client. */
function clientErrorStatus(error: Error & { code?: string }): ClientErrorStatus {
  if (error.code === "HPE_HEADER_OVERFLOW") return 431;
  if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") return 408;
  return 400;
}

export interface NodeServer {
  /** The underlying node:http server (not listening until listen()). */
  readonly httpServer: Server;
  /** Starts listening; resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /**
   * Aborts every request in flight (their signals abort, so hung handlers and open streams end),
   * drops every connection and stops listening. Idempotent; never waits for a client.
   */
  close(): Promise<void>;
}

const noop = (): void => undefined;

/**
 * Serves an app on node:http.
 *
 * A handler asks for a dropped connection by answering `Response.error()` (a TCP reset), and
 * for a truncated answer with a body stream that fails part-way: what was sent goes out, then
 * the connection is destroyed, so the client sees an error rather than a short body.
 *
 * @example
 * ```ts
 * const server = createNodeServer(createApp({ handler: () => new Response("hello") }));
 * const { port } = await server.listen(0, "127.0.0.1");
 * console.log(await (await fetch(`http://127.0.0.1:${port}/`)).text()); // hello
 * await server.close();
 * ```
 */
export function createNodeServer(
  app: Pick<App, "fetch">,
  options: NodeServerOptions = {},
): NodeServer {
  const sockets = new Set<Socket>();
  const inflight = new Set<AbortController>();
  const clientError =
    options.clientError ??
    ((status: ClientErrorStatus, message: string) =>
      status === 400 && options.badRequest
        ? options.badRequest
        : { contentType: "text/plain; charset=utf-8", body: message });
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const requestTimeout = Math.max(
    options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    headersTimeout,
  );
  const { hostPolicy } = options;
  const policyOf: () => HostPolicy | undefined =
    typeof hostPolicy === "function" ? hostPolicy : () => hostPolicy;
  let closePromise: Promise<void> | undefined;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    inflight.add(controller);
    res.on("close", () => {
      inflight.delete(controller);
      if (!res.writableFinished) controller.abort(abortReason("the client went away"));
    });
    if (closePromise) controller.abort(abortReason("the server is closing"));
    if (!isRepresentableMethod(req.method ?? "GET")) {
      // fetch cannot represent CONNECT, TRACE or TRACK requests.
      res.writeHead(501, { "content-type": "text/plain; charset=utf-8" }).end("Not Implemented");
      return;
    }
    const request = nodeRequest(req, controller.signal);
    let response: Response;
    try {
      response = await app.fetch(request, {
        target: req.url ?? "/",
        signal: controller.signal,
        reportsFinish: true,
      });
    } catch (error) {
      options.log?.(`internal error: ${describeError(error)}`);
      response = new Response("Internal Server Error", {
        status: 500,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    }
    await writeResponse(req, res, response, controller.signal);
  }

  const httpServer = createServer(
    {
      headersTimeout,
      requestTimeout,
      // node:http enforces both timeouts by checking every so often: often enough for them.
      connectionsCheckingInterval: Math.min(
        MAX_TIMEOUT_CHECK_INTERVAL_MS,
        Math.max(MIN_TIMEOUT_CHECK_INTERVAL_MS, Math.floor(headersTimeout / 2)),
      ),
    },
    (req, res) => {
      serve(req, res).catch((error: unknown) => {
        options.log?.(`internal error: ${describeError(error)}`);
        res.destroy();
      });
    },
  );
  httpServer.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  httpServer.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  httpServer.on("clientError", (error: Error & { code?: string }, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status = clientErrorStatus(error);
    const text = STATUS_CODES[status] ?? "Bad Request";
    const answer = clientError(status, text);
    endWithRawAnswer(socket, status, text, answer.contentType, answer.body);
  });
  const { onUpgrade } = options;
  if (onUpgrade) {
    httpServer.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (closePromise) {
        socket.destroy();
        return;
      }
      if (refuseForeignUpgrade(policyOf(), request, socket)) return;
      onUpgrade(request, socket, head);
    });
  }

  return {
    httpServer,
    listen: (port = 0, host = "127.0.0.1") =>
      new Promise((resolve, reject) => {
        const onError = (error: Error): void => reject(error);
        httpServer.once("error", onError);
        httpServer.listen(port, host, () => {
          httpServer.off("error", onError);
          resolve(httpServer.address() as AddressInfo);
        });
      }),
    close() {
      closePromise ??= new Promise<void>((resolve) => {
        for (const controller of [...inflight])
          controller.abort(abortReason("the server is closing"));
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closePromise;
    },
  };
}

function abortReason(message: string): DOMException {
  return new DOMException(message, "AbortError");
}

function nodeHeaders(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  headers.forEach((value, name) => {
    if (name !== "set-cookie") out[name] = value;
  });
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  return out;
}

async function writeResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: Response,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted || res.destroyed) {
    // Bytes in memory need no cancelling; a stream is told that nobody will read it.
    if (untouchedWholeBody(response) === undefined)
      await response.body?.cancel(signal.reason).catch(noop);
    return;
  }
  if (response.type === "error") {
    req.socket.resetAndDestroy();
    return;
  }
  const headers = nodeHeaders(response.headers);
  if (response.statusText) res.writeHead(response.status, response.statusText, headers);
  else res.writeHead(response.status, headers);
  // Bytes in memory go out as they are, with the headers, in one write.
  const bytes = untouchedWholeBody(response);
  if (bytes !== undefined) {
    res.end(bytes ?? undefined);
    responseFinished(response);
    return;
  }
  if (!response.body) {
    res.end();
    return;
  }
  // A streamed answer (no length: server-sent events, chunked audio) shows its headers at once
  // and each chunk as it comes. A whole answer (with a length) holds each chunk until the next
  // read, so that a body of one chunk goes out with `end(chunk)`, in one write with its headers.
  const whole = response.headers.has("content-length");
  if (await pipeBody(response.body, res, signal, whole)) responseFinished(response);
}

/**
 * Writes a body stream out, waiting for `drain` when the client reads slower than we write.
 * Without `holdLast` (a streamed answer) the headers go out at once. Resolves true when the body
 * was read to its end.
 */
async function pipeBody(
  body: ReadableStream<Uint8Array>,
  res: ServerResponse,
  signal: AbortSignal,
  holdLast: boolean,
): Promise<boolean> {
  const reader = body.getReader();
  // A cancelled reader's pending read ends with `done` too: that is not the body's end.
  let cancelled = false;
  const onAbort = (): void => {
    cancelled = true;
    void reader.cancel(signal.reason).catch(noop);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  // Writes not yet handed to the socket, and who waits for them (only a failing body does).
  let unwritten = 0;
  let allWritten: (() => void) | undefined;
  const written = (): void => {
    unwritten -= 1;
    if (unwritten === 0) allWritten?.();
  };
  // What is written in one turn of the event loop goes out in one write: the headers, an event
  // and the end of a short stream together rather than a packet each. Corked until the next turn.
  let corked = false;
  const uncork = (): void => {
    if (!corked) return;
    corked = false;
    res.uncork();
  };
  const cork = (): void => {
    if (corked) return;
    corked = true;
    res.cork();
    setImmediate(uncork);
  };
  let held: Uint8Array | undefined;
  let ended = false;
  if (!holdLast) {
    cork();
    res.flushHeaders();
  }
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) ended = !cancelled;
      if (done || signal.aborted) break;
      const chunk = holdLast ? held : value;
      held = holdLast ? value : undefined;
      if (!chunk) continue;
      unwritten += 1;
      cork();
      if (!res.write(chunk, written)) {
        uncork();
        await untilDrainOrClose(res);
      }
    }
    if (!signal.aborted && !res.destroyed) res.end(held);
  } catch {
    // The body failed part-way (an injected truncation, a broken stream). What was written goes
    // out, then the connection drops: a client must not take a partial body for a whole one.
    if (held && !res.destroyed) {
      unwritten += 1;
      res.write(held, written);
    }
    if (!res.headersSent) res.flushHeaders();
    uncork();
    if (unwritten > 0) {
      const flushed = new Promise<void>((resolve) => {
        allWritten = resolve;
      });
      await Promise.race([flushed, untilClose(res)]);
    }
    res.destroy();
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  return ended;
}

function untilDrainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

function untilClose(res: ServerResponse): Promise<void> {
  if (res.closed) return Promise.resolve();
  return new Promise((resolve) => res.once("close", () => resolve()));
}
