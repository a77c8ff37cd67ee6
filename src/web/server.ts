// The bot server behind `pipecat-ts demo`: one HTTP server (the server kit on node:http) that
// serves the bot's page at `/`, the page's bundle (Pipecat's official client, built by esbuild)
// at `/app.js`, the images its sessions made at `/images/<id>`, and Pipecat's WebSocket at `/ws`.
// Each WebSocket connection is one BotSession: its own pipeline, its own images (freed when it
// ends). Every HTTP request and upgrade passes the Host/Origin guard (a foreign Host or a page of
// another site gets 403, which stops DNS rebinding from spending the keys); more sessions than
// maxSessions get 503 at the upgrade. Listens on 127.0.0.1 unless told otherwise; anything beyond
// loopback needs an allow-list of host names.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { WebSocket } from "ws";
import type { BackendKind } from "../app/backend.js";
import type { BotFactory, BotKind } from "../bots/bot.js";
import { IMAGE_PATH_PREFIX, ImageRegistry, type SessionImageLimits } from "../bots/images.js";
import { BotSession } from "../bots/session.js";
import { createApp } from "../server/app.js";
import { bytesResponse, jsonResponse } from "../server/response.js";
import { createHostPolicy, exposureWarning, type HostPolicy } from "../server/host-guard.js";
import { hostGuard } from "../server/middleware/host-guard.js";
import { createNodeServer } from "../server/node.js";
import type { WebsocketConnectionLimits } from "../transports/websocket/client.js";
import {
  createWebsocketUpgradeHandler,
  pathOf,
  refuseUpgrade,
  type WebsocketUpgradeHandler,
} from "../transports/websocket/upgrade.js";
import { logger } from "../utils/logger.js";

/** Where Pipecat clients connect. */
export const BOT_WEBSOCKET_PATH = "/ws";
/** The port the bot server listens on by default. */
export const DEFAULT_BOT_SERVER_PORT = 8080;
/** Sessions (connections) at once, by default; more get 503 at the upgrade. */
export const DEFAULT_MAX_SESSIONS = 32;
/** A malformed message closes the connection (1007): the official client never sends one. */
const DEMO_MAX_MALFORMED_MESSAGES = 0;
/** How long a browser may keep an image: its id is random and never reused, so it never changes. */
const IMAGE_CACHE_MAX_AGE_S = 86_400;

/** What the server needs to know about the bot it serves. */
export interface BotServerBot {
  kind: BotKind;
  /** Makes one bot per connection. */
  create: BotFactory;
  /** Where the bot's services are, for /healthz and the user (never a key). */
  backend: BackendKind;
  /** Strings that must never reach a client (the keys). */
  secrets: readonly (string | undefined)[];
}

export interface BotServerOptions {
  bot: BotServerBot;
  /** Interface to listen on. Default "127.0.0.1". Anything beyond loopback needs `allowedHosts`. */
  host?: string;
  /**
   * Host names (without port) served besides 127.0.0.1, localhost and [::1], or ["*"] for any.
   * Required when `host` is not a loopback address (a SettingsValidationError otherwise).
   */
  allowedHosts?: readonly string[];
  /**
   * Origins of client apps served elsewhere that may connect from a browser (e.g.
   * ["http://localhost:5173"]); pages of the server's own origin always may.
   */
  allowedOrigins?: readonly string[];
  /** 0 = any free port. Default 8080. */
  port?: number;
  /** Connections at once; more get 503. Default 32. */
  maxSessions?: number;
  /** What one connection may cost (message size, rate, unsent bytes). */
  limits?: WebsocketConnectionLimits;
  /** Images one session may hold. */
  imageLimits?: SessionImageLimits;
  /** Bytes of images every session together may hold. Default 512 MiB. */
  maxImageBytes?: number;
  /** RTVI messages a session may have waiting. Default 32. */
  maxPendingMessages?: number;
  /** Folder with the pages, style.css, favicon.svg and dist/app.js. Default: the package's web/. */
  webRoot?: string;
}

export interface BotServer {
  url: string;
  port: number;
  /** One line when the server listens beyond loopback: anyone reaching the port spends the keys. */
  warning: string | undefined;
  /** Open sessions. */
  readonly sessions: number;
  /** Images held by every session. */
  readonly images: ImageRegistry;
  close(): Promise<void>;
}

/** The package's web/ folder (src/web/ and dist/web/ both sit two levels below the root). */
export function defaultWebRoot(): string {
  return fileURLToPath(new URL("../../web/", import.meta.url));
}

/** The page each bot is served with at `/`. */
const PAGES: Record<BotKind, string> = {
  storyboard: "index.html",
  calendar: "calendar.html",
};

/** The pages' script, built by scripts/build-web.mjs (under webRoot). */
const BUNDLE_FILE = "dist/app.js";

/** Files served besides the page: path → [file under webRoot, content type]. */
const ASSETS: Record<string, [string, string]> = {
  "/app.js": [BUNDLE_FILE, "text/javascript; charset=utf-8"],
  "/style.css": ["style.css", "text/css; charset=utf-8"],
  "/favicon.svg": ["favicon.svg", "image/svg+xml"],
};

/**
 * The pages' Content-Security-Policy: nothing but this origin, plus `blob:` scripts, which is
 * exactly how the client's audio player (WavStreamPlayer) loads its AudioWorklet. No inline
 * script or style, no other site, and the page cannot be framed.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self' blob:",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function pageHeaders(): Record<string, string> {
  return {
    "content-security-policy": PAGE_CSP,
    // Neither bot listens: the client's media manager asks for the microphone at connect, and
    // this refuses it without a prompt.
    "permissions-policy": "microphone=(), camera=(), geolocation=()",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
  };
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(`${body}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/** Reads the static files once; a missing bundle is a clear error, not a blank page. */
async function loadStatic(
  webRoot: string,
  bot: BotKind,
): Promise<Map<string, { body: Uint8Array; type: string }>> {
  const files = new Map<string, { body: Uint8Array; type: string }>();
  const page = await readFile(join(webRoot, PAGES[bot]));
  files.set("/", { body: page, type: "text/html; charset=utf-8" });
  for (const [path, [file, type]] of Object.entries(ASSETS)) {
    try {
      files.set(path, { body: await readFile(join(webRoot, file)), type });
    } catch (error) {
      if (file === BUNDLE_FILE)
        throw new Error(
          `The page's bundle ${join(webRoot, file)} is missing: run "npm run build" first.`,
          { cause: error },
        );
      throw error;
    }
  }
  return files;
}

/**
 * Starts the bot server.
 *
 * @example
 * ```ts
 * const server = await startBotServer({
 *   bot: { kind: "storyboard", create: storyboardBot({ backend }), backend: "local", secrets: [] },
 *   port: 0,
 * });
 * // A Pipecat client: new PipecatClient({ transport: new WebSocketTransport({ mediaManager:
 * //   new WavMediaManager() }) }).connect({ wsUrl: `${server.url.replace("http", "ws")}/ws` })
 * ```
 */
export async function startBotServer(options: BotServerOptions): Promise<BotServer> {
  const host = options.host ?? "127.0.0.1";
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  // Checked before anything starts: listening beyond loopback needs an explicit allow-list.
  const bindCheck = {
    bindAddress: host,
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
  };
  createHostPolicy({ ...bindCheck, port: options.port ?? DEFAULT_BOT_SERVER_PORT });
  const files = await loadStatic(options.webRoot ?? defaultWebRoot(), options.bot.kind);
  const images = new ImageRegistry({ maxBytes: options.maxImageBytes });
  const sessions = new Set<BotSession>();
  let policy: HostPolicy | undefined;
  let upgrade: WebsocketUpgradeHandler | undefined;
  let connections = 0;

  const app = createApp({
    middleware: [hostGuard({ policy: () => policy })],
    handler: (request, context) => {
      if (request.method !== "GET" && request.method !== "HEAD")
        return text(405, "Method not allowed", { allow: "GET, HEAD" });
      const path = pathOf(context.target);
      if (path.startsWith(IMAGE_PATH_PREFIX)) {
        const image = images.get(path.slice(IMAGE_PATH_PREFIX.length));
        if (image === undefined) return text(404, "Image not found (its session has ended)");
        return bytesResponse(200, image.bytes, image.mimeType, {
          "cache-control": `private, max-age=${IMAGE_CACHE_MAX_AGE_S}, immutable`,
          "x-content-type-options": "nosniff",
        });
      }
      if (path === "/healthz")
        return jsonResponse(200, {
          ok: true,
          bot: options.bot.kind,
          backend: options.bot.backend,
          sessions: sessions.size,
        });
      if (path === BOT_WEBSOCKET_PATH)
        return text(426, "Connect a Pipecat client here (a WebSocket).", { upgrade: "websocket" });
      const file = files.get(path === "/index.html" ? "/" : path);
      if (file === undefined) return text(404, "Not found");
      return bytesResponse(200, file.body, file.type, pageHeaders());
    },
  });

  const server = createNodeServer(app, {
    hostPolicy: () => policy,
    onUpgrade: (request, socket, head) => {
      if (pathOf(request.url) === BOT_WEBSOCKET_PATH && sessions.size >= maxSessions) {
        logger.warn(`bot server: refused a connection: ${maxSessions} sessions already open`);
        refuseUpgrade(socket, 503, "Service Unavailable", `at most ${maxSessions} sessions`);
        return;
      }
      if (upgrade === undefined) socket.destroy();
      else upgrade(request, socket, head);
    },
    log: (line) => logger.error(`bot server: ${line}`),
  });

  const address = await server.listen(options.port ?? DEFAULT_BOT_SERVER_PORT, host);
  const port = address.port;
  policy = createHostPolicy({ ...bindCheck, port });
  upgrade = createWebsocketUpgradeHandler(
    {
      policy,
      path: BOT_WEBSOCKET_PATH,
      maxMessageBytes: options.limits?.maxMessageBytes,
      name: "bot server",
    },
    (ws: WebSocket, request) => {
      const label = `${options.bot.kind}#${++connections} ${request.socket.remoteAddress ?? "?"}`;
      const session = new BotSession(ws, {
        bot: options.bot.create,
        images,
        imageLimits: options.imageLimits,
        limits: { maxMalformedMessages: DEMO_MAX_MALFORMED_MESSAGES, ...options.limits },
        maxPendingMessages: options.maxPendingMessages,
        secrets: options.bot.secrets,
        label,
      });
      sessions.add(session);
      void session.finished.then(() => sessions.delete(session));
    },
  );

  const shownHost = host.includes(":") ? `[${host}]` : host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    warning: policy.loopbackOnly ? undefined : exposureWarning(host, port, "your keys"),
    get sessions() {
      return sessions.size;
    },
    images,
    close() {
      closed ??= (async () => {
        upgrade?.close();
        await Promise.all([...sessions].map((s) => s.close()));
        await server.close();
      })();
      return closed;
    },
  };
}
