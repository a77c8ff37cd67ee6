// `pipecat-ts demo [storyboard|calendar]`: resolves where the bot's services are (fal.ai with a
// key, a fal-compatible server, or the embedded local twin), builds the bot and starts the bot
// server (server.ts) with the bot's page.
import {
  embeddedBackend,
  remoteBackend,
  resolveBackend,
  type Backend,
  type BackendChoice,
  type BackendKind,
} from "../app/backend.js";
import type { BotKind } from "../bots/bot.js";
import type { SessionImageLimits } from "../bots/images.js";
import { storyboardBot } from "../bots/storyboard/bot.js";
import type { FalMode } from "../services/fal/image.js";
import type { WebsocketConnectionLimits } from "../transports/websocket/client.js";
import { SettingsValidationError } from "../utils/errors.js";
import { type BotServer, startBotServer } from "./server.js";

export interface DemoServerOptions {
  /** Which bot to serve. Default "storyboard". */
  bot?: BotKind;
  /** Interface to listen on. Default "127.0.0.1". Anything beyond loopback needs `allowedHosts`. */
  host?: string;
  /** Host names served besides the loopback ones, or ["*"] for any (see BotServerOptions). */
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
  /** A fal-compatible server. Default $FAL_BASE_URL, else fal.ai with a key, else the embedded one. */
  baseUrl?: string;
  /** Options of the embedded local fal server (when one is started). */
  local?: Record<string, unknown>;
  /** Storyboard: scenes at fal at once per session. Default 3. */
  maxConcurrency?: number;
  /** Storyboard: scenes waiting or in flight per session; more are refused. Default 24. */
  maxQueuedScenes?: number;
  /** Calendar: months narrated per session. Default 12. */
  months?: number;
  /** Connections at once; more get 503. Default 32. */
  maxSessions?: number;
  /** What one connection may cost. */
  limits?: WebsocketConnectionLimits;
  /** Images one session may hold. */
  imageLimits?: SessionImageLimits;
  /** fal's queue (default, so the page can show queue positions) or direct runs. */
  mode?: FalMode;
  /** Folder with the pages and the bundle. Default: the package's web/ folder. */
  webRoot?: string;
  env?: NodeJS.ProcessEnv;
}

export interface DemoServer extends Omit<BotServer, "images"> {
  bot: BotKind;
  /** Where image requests go. */
  backend: { kind: BackendKind; baseUrl: string | undefined };
  /** One line for the user about the backend (never the key), or undefined. */
  notice: string | undefined;
}

async function falBackend(options: DemoServerOptions, env: NodeJS.ProcessEnv): Promise<Backend> {
  // The backend asked for, else what the caller named, else the embedded server when asked for,
  // else what the environment says.
  if (options.backend !== undefined)
    return resolveBackend({
      choice: options.backend,
      baseUrl: options.baseUrl,
      key: options.key,
      env,
      local: options.local,
    });
  if (options.baseUrl !== undefined || options.key !== undefined)
    return remoteBackend(options.baseUrl ?? (env.FAL_BASE_URL || undefined), options.key);
  if (options.local !== undefined) return embeddedBackend(options.local);
  return resolveBackend({ env });
}

/** Starts `pipecat-ts demo`: the bot's page at `/`, Pipecat's WebSocket at `/ws`. */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const env = options.env ?? process.env;
  const kind = options.bot ?? "storyboard";
  if (kind !== "storyboard")
    throw new SettingsValidationError("bot", kind, "storyboard (calendar is not available yet)");
  const backend = await falBackend(options, env);
  try {
    const server = await startBotServer({
      bot: {
        kind,
        backend: backend.kind,
        secrets: [backend.key, env.FAL_KEY, options.key],
        create: storyboardBot({
          backend,
          maxConcurrency: options.maxConcurrency,
          maxQueuedScenes: options.maxQueuedScenes,
          mode: options.mode,
        }),
      },
      host: options.host,
      allowedHosts: options.allowedHosts,
      port: options.port,
      maxSessions: options.maxSessions,
      limits: options.limits,
      imageLimits: options.imageLimits,
      webRoot: options.webRoot,
    });
    return {
      bot: kind,
      url: server.url,
      port: server.port,
      warning: server.warning,
      get sessions() {
        return server.sessions;
      },
      backend: {
        kind: backend.kind,
        baseUrl: backend.kind === "fal" ? undefined : backend.baseUrl,
      },
      notice: backend.notice,
      async close() {
        await server.close();
        await backend.close();
      },
    };
  } catch (error) {
    await backend.close();
    throw error;
  }
}
