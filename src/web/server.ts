// The web storyboard demo server (`pipecat-ts demo`): node:http for the page (static files from the
// repository's web/ folder) and the images it generated, `ws` for /ws. Each WebSocket connection
// gets its own StoryboardSession (one pipeline). Listens on 127.0.0.1 by default. Every HTTP
// request and WebSocket upgrade passes the host guard (server/host-guard.ts): a Host or Origin
// other than the server's own is refused with 403, so neither another site nor a DNS-rebound name
// can spend the fal key.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { WebSocketServer, type WebSocket } from "ws";
import {
  embeddedBackend,
  remoteBackend,
  resolveBackend,
  type Backend,
  type BackendChoice,
  type BackendKind,
} from "../app/backend.js";
import {
  checkHostAndOrigin,
  createHostPolicy,
  exposureWarning,
  type HostPolicy,
} from "../server/host-guard.js";
import type { FalMode } from "../services/fal/image.js";
import { logger } from "../utils/logger.js";
import { redactText } from "../utils/secrets.js";
import { ImageStore } from "./images.js";
import { StoryboardSession } from "./session.js";
import { describeError } from "../utils/errors.js";

export interface DemoServerOptions {
  /** Interface to listen on. Default "127.0.0.1". Anything beyond loopback needs `allowedHosts`. */
  host?: string;
  /**
   * Host names (without port) the server answers besides 127.0.0.1, localhost and [::1], or ["*"]
   * for any. Required when `host` is not a loopback address (a SettingsValidationError otherwise).
   */
  allowedHosts?: readonly string[];
  /**
   * Where image requests go: "auto" (default: baseUrl, else a key → fal.ai, else the embedded
   * server), "fal" (a key is required) or "local" (the embedded server).
   */
  backend?: BackendChoice;
  /** 0 = any free port. Default 8080. */
  port?: number;
  /** A fal key. With `baseUrl` it is sent to that server; alone it means fal.ai. Default $FAL_KEY. */
  key?: string;
  /** A fal-compatible server. Default $FAL_BASE_URL, else fal.ai with a key, else the embedded local server. */
  baseUrl?: string;
  /** Options of the embedded local fal server (when one is started). */
  local?: Record<string, unknown>;
  /** Prompts in flight per connection. Default 3. */
  maxConcurrency?: number;
  /** Open WebSocket sessions at once (each runs a pipeline); more get 503. Default 32. */
  maxSessions?: number;
  /** Default "queue" (so the page can show queue positions). */
  mode?: FalMode;
  /** Folder with index.html, app.js, style.css. Default: the package's web/ folder. */
  webRoot?: string;
  env?: NodeJS.ProcessEnv;
}

export interface DemoServer {
  url: string;
  port: number;
  /** Where image requests go. */
  backend: { kind: BackendKind; baseUrl: string | undefined };
  /** One line for the user about the backend (never the key), or undefined. */
  notice: string | undefined;
  /** One line when the server listens beyond loopback: anyone reaching the port spends the key. */
  warning: string | undefined;
  /** Open WebSocket sessions. */
  readonly sessions: number;
  close(): Promise<void>;
}

/** The static files the page is made of (nothing else from the folder is served). */
const STATIC_FILES: Record<string, string> = {
  "/": "index.html",
  "/index.html": "index.html",
  "/app.js": "app.js",
  "/style.css": "style.css",
  "/favicon.svg": "favicon.svg",
};

const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
};

const MAX_MESSAGE_BYTES = 64 * 1024;
/** Messages a connection may have waiting to be handled; a flood beyond closes it (1008). */
const MAX_PENDING_MESSAGES = 64;
/** Bytes queued for a page that does not read; beyond, the connection is closed (1008). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const DEFAULT_MAX_SESSIONS = 32;
/** WebSocket close code for a policy violation. */
const CLOSE_POLICY = 1008;

export function defaultWebRoot(): string {
  // src/web/server.ts and dist/web/server.js both sit two levels below the package root.
  return fileURLToPath(new URL("../../web/", import.meta.url));
}

function securityHeaders(): Record<string, string> {
  return {
    "content-security-policy":
      "default-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
  };
}

export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const env = options.env ?? process.env;
  const host = options.host ?? "127.0.0.1";
  const webRoot = options.webRoot ?? defaultWebRoot();
  const images = new ImageStore();
  // Checked before anything starts: listening beyond loopback needs an explicit allow-list.
  const bindCheck = { bindAddress: host, allowedHosts: options.allowedHosts };
  let policy: HostPolicy = createHostPolicy({ ...bindCheck, port: options.port ?? 8080 });

  // Where images come from: the backend asked for, else what the caller named, else the embedded
  // server when asked for, else what the environment says.
  const backend: Backend =
    options.backend !== undefined
      ? await resolveBackend({
          choice: options.backend,
          baseUrl: options.baseUrl,
          key: options.key,
          env,
          local: options.local,
        })
      : options.baseUrl !== undefined || options.key !== undefined
        ? remoteBackend(options.baseUrl ?? (env.FAL_BASE_URL || undefined), options.key)
        : options.local !== undefined
          ? await embeddedBackend(options.local)
          : await resolveBackend({ env });
  const secrets = [backend.key, env.FAL_KEY, options.key];

  const sessions = new Set<StoryboardSession>();
  const sockets = new Set<Socket>();

  const httpServer = createServer((req, res) => {
    void serve(req, res).catch((error: unknown) => {
      logger.error(`demo server: ${describeError(error)}`);
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end("Internal error\n");
    });
  });
  httpServer.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const verdict = checkHostAndOrigin(policy, req.headers);
    if (!verdict.ok) {
      res.writeHead(verdict.status, { "content-type": "text/plain; charset=utf-8" });
      res.end(`Forbidden: ${verdict.reason}\n`);
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      res.end("Method not allowed\n");
      return;
    }
    if (url.pathname.startsWith("/images/")) {
      const image = images.get(url.pathname.slice("/images/".length));
      if (!image) {
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
        res.end("Image not found (it may have been evicted)\n");
        return;
      }
      res.writeHead(200, {
        "content-type": image.mimeType,
        "content-length": String(image.bytes.byteLength),
        "cache-control": "private, max-age=86400, immutable",
        "x-content-type-options": "nosniff",
      });
      res.end(
        req.method === "HEAD"
          ? undefined
          : Buffer.from(image.bytes.buffer, image.bytes.byteOffset, image.bytes.byteLength),
      );
      return;
    }
    if (url.pathname === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, backend: backend.kind }));
      return;
    }
    const file = STATIC_FILES[url.pathname];
    if (!file) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("Not found\n");
      return;
    }
    let body: Buffer;
    try {
      body = await readFile(join(webRoot, file));
    } catch {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end(`Missing ${file} in the web folder\n`);
      return;
    }
    const ext = file.split(".").pop() ?? "";
    res.writeHead(200, {
      "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream",
      "content-length": String(body.byteLength),
      ...securityHeaders(),
    });
    res.end(req.method === "HEAD" ? undefined : body);
  }

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
  });

  httpServer.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    // Host and Origin must both be the server's own: a page on another site sends its Origin, a
    // DNS-rebound page sends the attacker's name as Host (and as Origin).
    const allowed = checkHostAndOrigin(policy, req.headers).ok;
    const full = sessions.size >= (options.maxSessions ?? DEFAULT_MAX_SESSIONS);
    const status = !allowed
      ? "403 Forbidden"
      : url.pathname !== "/ws"
        ? "404 Not Found"
        : full
          ? "503 Service Unavailable"
          : undefined;
    if (status !== undefined) {
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });

  wss.on("connection", (ws: WebSocket) => {
    const send = (message: Record<string, unknown>): void => {
      if (ws.readyState !== ws.OPEN) return;
      // A page that does not read its messages is not allowed to make us hold them all.
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        ws.close(CLOSE_POLICY, "Messages are not being read");
        return;
      }
      ws.send(redactText(JSON.stringify(message), secrets));
    };
    const session = new StoryboardSession({
      backend: { baseUrl: backend.baseUrl, key: backend.key },
      images,
      maxConcurrency: options.maxConcurrency ?? 3,
      mode: options.mode ?? "queue",
      send,
      secrets,
    });
    sessions.add(session);
    send({
      type: "hello",
      backend: backend.kind,
      preview: backend.kind === "local",
      maxConcurrency: options.maxConcurrency ?? 3,
    });
    // Messages are handled one at a time, in order; a flood closes the connection.
    let chain = Promise.resolve();
    let pending = 0;
    ws.on("message", (data, isBinary) => {
      if (ws.readyState !== ws.OPEN) return;
      if (pending >= MAX_PENDING_MESSAGES) {
        ws.close(CLOSE_POLICY, "Too many messages at once");
        return;
      }
      if (isBinary)
        return send({
          type: "error",
          run: 0,
          index: -1,
          message: "Binary messages are not supported.",
        });
      let parsed: unknown;
      try {
        parsed = JSON.parse(data.toString());
      } catch {
        return send({ type: "error", run: 0, index: -1, message: "Messages must be JSON." });
      }
      pending += 1;
      chain = chain
        .then(() => session.handle(parsed))
        .finally(() => {
          pending -= 1;
        })
        .catch((error: unknown) => {
          logger.error(`demo session: ${describeError(error)}`);
          send({
            type: "error",
            run: 0,
            index: -1,
            message: "The server could not handle that message.",
          });
        });
    });
    ws.on("close", () => {
      sessions.delete(session);
      void session.close();
    });
    ws.on("error", () => undefined);
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port ?? 8080, host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
  const port = (httpServer.address() as AddressInfo).port;
  policy = createHostPolicy({ ...bindCheck, port });
  const shownHost = host.includes(":") ? `[${host}]` : host;
  let closed: Promise<void> | undefined;

  return {
    url: `http://${shownHost}:${port}`,
    port,
    backend: { kind: backend.kind, baseUrl: backend.kind === "fal" ? undefined : backend.baseUrl },
    notice: backend.notice,
    warning: policy.loopbackOnly ? undefined : exposureWarning(host, port, "your fal key"),
    get sessions() {
      return sessions.size;
    },
    close() {
      closed ??= (async () => {
        for (const client of wss.clients) client.terminate();
        await Promise.all([...sessions].map((s) => s.close()));
        sessions.clear();
        wss.close();
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        images.clear();
        await backend.close();
      })();
      return closed;
    },
  };
}
