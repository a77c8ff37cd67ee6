// Accepting WebSocket upgrades on an HTTP server of ours: the Host/Origin policy first (403 for a
// foreign Host or a cross-site page), then the path (404), then `ws` with the message size limit
// (a larger message closes the connection with 1009). What WebsocketServerTransport uses, and
// what an application serving a page and its bot's socket on one port plugs into its server.
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import type { Duplex } from "node:stream";
import type { WebSocket, WebSocketServer } from "ws";
import { checkHostAndOrigin, type HostPolicy } from "../../server/host-guard.js";
import { endWithRawAnswer } from "../../server/raw-answer.js";
import { describeError } from "../../utils/errors.js";
import { logger } from "../../utils/logger.js";
import { DEFAULT_MAX_MESSAGE_BYTES } from "./client.js";

export interface WebsocketUpgradeOptions {
  /** The server's Host/Origin policy (createHostPolicy()). */
  policy: HostPolicy;
  /** Only this path is upgraded (e.g. "/ws"); others get 404. Default: any path. */
  path?: string;
  /** Largest inbound message, bytes; default 1 MiB + 1 KiB (the client sends up to 1 MiB). */
  maxMessageBytes?: number;
  /** Names the server in log lines. */
  name?: string;
}

/** `server.on("upgrade", handler)`; close() stops accepting. */
export interface WebsocketUpgradeHandler {
  (request: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

/**
 * Returns an `upgrade` listener for a Node HTTP server that checks Host and Origin (403), the
 * path (404), and hands each accepted WebSocket to `onConnection`.
 *
 * @example
 * ```ts
 * const policy = createHostPolicy({ bindAddress: "127.0.0.1", port });
 * server.on("upgrade", createWebsocketUpgradeHandler({ policy, path: "/ws" }, (ws, request) => {
 *   startSession(new WebsocketTransport(ws));
 * }));
 * ```
 */
export function createWebsocketUpgradeHandler(
  options: WebsocketUpgradeOptions,
  onConnection: (ws: WebSocket, request: IncomingMessage) => void,
): WebsocketUpgradeHandler {
  const name = options.name ?? "websocket server";
  const maxPayload = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!(Number.isInteger(maxPayload) && maxPayload >= 1024 * 1024)) {
    throw new RangeError(
      `maxMessageBytes must be an integer >= 1048576 (the client sends up to 1 MiB), got ${maxPayload}`,
    );
  }
  // Loaded on first use rather than when the package is imported.
  const { WebSocketServer: Server } = createRequire(import.meta.url)("ws") as {
    WebSocketServer: typeof WebSocketServer;
  };
  const wss = new Server({
    noServer: true,
    maxPayload,
    perMessageDeflate: false,
    clientTracking: false,
  });
  let closed = false;
  const handler = ((request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on("error", (error) => logger.debug(`${name}: upgrade socket: ${describeError(error)}`));
    const path = pathOf(request.url);
    if (closed) {
      refuseUpgrade(socket, 503, "Service Unavailable", "server closing");
      return;
    }
    const verdict = checkHostAndOrigin(options.policy, {
      host: request.headers.host,
      origin: request.headers.origin,
    });
    if (!verdict.ok) {
      logger.warn(`${name}: refused a WebSocket upgrade to ${path}: ${verdict.reason}`);
      refuseUpgrade(socket, verdict.status, "Forbidden", verdict.reason);
      return;
    }
    if (options.path !== undefined && path !== options.path) {
      refuseUpgrade(socket, 404, "Not Found", `no WebSocket at ${path}`);
      return;
    }
    try {
      wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, request));
    } catch (error) {
      logger.warn(`${name}: WebSocket upgrade failed: ${describeError(error)}`);
      socket.destroy();
    }
  }) as WebsocketUpgradeHandler;
  handler.close = () => {
    closed = true;
    wss.close();
  };
  return handler;
}

/** The request path without its query (which may carry a token: never log it). */
export function pathOf(url: string | undefined): string {
  const raw = url ?? "/";
  const q = raw.indexOf("?");
  return q === -1 ? raw : raw.slice(0, q);
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, text: string, body: string): void {
  endWithRawAnswer(socket, status, text, "text/plain; charset=utf-8", `${body}\n`);
}
