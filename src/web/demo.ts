// `pipecat-ts demo [storyboard|calendar]`: resolves where the bot's services are (fal.ai with a
// key, a fal-compatible server, or the embedded local twin), builds the bot and starts the bot
// server (server.ts) with the bot's page.
import {
  BackendConfigError,
  embeddedBackend,
  falKeyFromEnv,
  remoteBackend,
  resolveBackend,
  type Backend,
  type BackendChoice,
  type BackendKind,
} from "../app/backend.js";
import {
  resolveServiceBackends,
  type ServiceBackendKind,
  type ServiceBackends,
} from "../app/service-backends.js";
import type { BotKind } from "../bots/bot.js";
import { calendarBot } from "../bots/calendar.js";
import type { SessionImageLimits } from "../bots/images.js";
import { storyboardBot } from "../bots/storyboard/bot.js";
import type { FalMode } from "../services/fal/image.js";
import type { WebsocketConnectionLimits } from "../transports/websocket/client.js";
import type { LocalServersOptions } from "../local/servers.js";
import { type BotServer, type BotServerBot, startBotServer } from "./server.js";

export interface DemoServerOptions {
  /** Which bot to serve. Default "storyboard". */
  bot?: BotKind;
  /** Interface to listen on. Default "127.0.0.1". Anything beyond loopback needs `allowedHosts`. */
  host?: string;
  /** Host names served besides the loopback ones, or ["*"] for any (see BotServerOptions). */
  allowedHosts?: readonly string[];
  /** Origins of client apps served elsewhere that may connect (see BotServerOptions). */
  allowedOrigins?: readonly string[];
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
  /** Storyboard: options of the embedded local fal server (when one is started). */
  local?: Record<string, unknown>;
  /** Calendar: options of the embedded twins (when any is started). */
  twins?: LocalServersOptions;
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
  /** Lines for the user about the backends (never a key), or undefined. */
  notice: string | undefined;
}

/** A service backend's kind as the image backends name theirs. */
const KIND_NAMES: Record<ServiceBackendKind, BackendKind> = {
  provider: "fal",
  server: "server",
  local: "local",
};

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

/**
 * The calendar's three services: "local" → the twins for all three; "fal" → fal.ai for the images
 * (a key is required), the others as the environment says; "auto" → each as the environment says.
 * `baseUrl` and `key` are fal's, as for the storyboard.
 */
async function calendarBackends(
  options: DemoServerOptions,
  env: NodeJS.ProcessEnv,
): Promise<ServiceBackends> {
  const choice = options.backend ?? "auto";
  const given: NodeJS.ProcessEnv = choice === "local" ? {} : { ...env };
  if (choice !== "local") {
    if (options.baseUrl !== undefined) given.FAL_BASE_URL = options.baseUrl;
    if (options.key !== undefined) given.FAL_KEY = options.key;
    if (choice === "fal" && falKeyFromEnv(given) === undefined)
      throw new BackendConfigError(
        "fal",
        "needs a fal API key: set the FAL_KEY environment variable.",
        ["auto", "local"],
      );
  }
  return resolveServiceBackends({ env: given, local: options.twins });
}

interface ResolvedBot {
  bot: BotServerBot;
  backend: { kind: BackendKind; baseUrl: string | undefined };
  notice: string | undefined;
  close(): Promise<void>;
}

async function resolveBot(
  options: DemoServerOptions,
  env: NodeJS.ProcessEnv,
): Promise<ResolvedBot> {
  if (options.bot === "calendar") {
    const backends = await calendarBackends(options, env);
    try {
      const image = backends.image;
      const kind = KIND_NAMES[image.kind];
      return {
        bot: {
          kind: "calendar",
          backend: kind,
          secrets: [
            backends.llm.apiKey,
            backends.tts.apiKey,
            image.apiKey,
            env.FAL_KEY,
            env.OPENAI_API_KEY,
            env.CARTESIA_API_KEY,
            options.key,
          ],
          create: calendarBot({ backends, months: options.months }),
        },
        backend: { kind, baseUrl: kind === "fal" ? undefined : image.baseUrl },
        notice: backends.notices.join("\n"),
        close: () => backends.close(),
      };
    } catch (error) {
      await backends.close();
      throw error;
    }
  }
  const backend = await falBackend(options, env);
  try {
    return {
      bot: {
        kind: "storyboard",
        backend: backend.kind,
        secrets: [backend.key, env.FAL_KEY, options.key],
        create: storyboardBot({
          backend,
          maxConcurrency: options.maxConcurrency,
          maxQueuedScenes: options.maxQueuedScenes,
          mode: options.mode,
        }),
      },
      backend: {
        kind: backend.kind,
        baseUrl: backend.kind === "fal" ? undefined : backend.baseUrl,
      },
      notice: backend.notice,
      close: () => backend.close(),
    };
  } catch (error) {
    await backend.close();
    throw error;
  }
}

/** Starts `pipecat-ts demo`: the bot's page at `/`, Pipecat's WebSocket at `/ws`. */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const env = options.env ?? process.env;
  const resolved = await resolveBot(options, env);
  try {
    const server = await startBotServer({
      bot: resolved.bot,
      host: options.host,
      allowedHosts: options.allowedHosts,
      allowedOrigins: options.allowedOrigins,
      port: options.port,
      maxSessions: options.maxSessions,
      limits: options.limits,
      imageLimits: options.imageLimits,
      webRoot: options.webRoot,
    });
    return {
      bot: resolved.bot.kind,
      url: server.url,
      port: server.port,
      warning: server.warning,
      get sessions() {
        return server.sessions;
      },
      backend: resolved.backend,
      notice: resolved.notice,
      async close() {
        await server.close();
        await resolved.close();
      },
    };
  } catch (error) {
    await resolved.close();
    throw error;
  }
}
