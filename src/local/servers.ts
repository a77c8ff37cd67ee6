// All three local twins on one port: fal's routes, OpenAI's under /v1 and Cartesia's /tts and
// /voices, each answered by its own app (its own chain, errors, counters and faults) behind the
// same Host/Origin policy. The request-target's first segment picks the twin; nothing else is
// looked at before that twin's guard has checked the request, so every request, whatever its
// path, meets the guard first.
//
//   /v1, /v1/...                 → the OpenAI twin (a scripted LLM)
//   /tts/..., /voices, /voices/… → the Cartesia twin (espeak-ng or the built-in synthesizer)
//   anything else                → the fal twin (a preview renderer; its 404 for unknown paths)
import type { Server } from "node:http";
import { type App, createApp } from "../server/app.js";
import type { HostPolicy } from "../server/host-guard.js";
import {
  type LocalCartesiaApp,
  type LocalCartesiaAppOptions,
  type LocalCartesiaControls,
  createLocalCartesiaApp,
} from "./cartesia/app.js";
import {
  type LocalFalApp,
  type LocalFalAppOptions,
  type LocalFalControls,
  createLocalFalApp,
} from "./fal/app.js";
import {
  type LocalOpenAIApp,
  type LocalOpenAIAppOptions,
  type LocalOpenAIControls,
  createLocalOpenAIApp,
} from "./openai/app.js";
import { falClientError } from "./fal/server.js";
import { controlsOf } from "./twin-kit/controls.js";
import { checkDelayMs } from "./twin-kit/delay-option.js";
import { twinLog } from "./twin-kit/log.js";
import { type ListeningTwin, type TwinListenOptions, createTwinServer } from "./twin-kit/server.js";

/** The three twins. */
export type LocalTwin = "fal" | "openai" | "cartesia";

/** The options of one twin that the combined server does not set for all three. */
type TwinOptions<T> = Omit<T, "hostPolicy" | "logger" | "requiredKey" | "publicUrl">;

export interface LocalServersOptions extends TwinListenOptions {
  /**
   * Simulated time before each answer starts, in ms, for all three: the fal twin's inferenceMs,
   * the OpenAI twin's timeToFirstTokenMs, the Cartesia twin's latencyMs. A twin's own option
   * wins. Default 0.
   */
  latencyMs?: number;
  /**
   * When set, every API request needs this key, sent the way its provider's clients send it:
   * `Authorization: Key` (fal), `Authorization: Bearer` (OpenAI), `X-API-Key` or Bearer (Cartesia).
   */
  requiredKey?: string;
  /** Base of the URLs the fal twin hands out (e.g. behind a proxy); default: the Host used. */
  publicUrl?: string;
  /** Receives the twins' lines, each prefixed with its twin. Keys are never logged. */
  logger?: (line: string) => void;
  fal?: TwinOptions<LocalFalAppOptions>;
  openai?: TwinOptions<LocalOpenAIAppOptions>;
  cartesia?: TwinOptions<LocalCartesiaAppOptions>;
}

/** Where each provider's clients point. */
export interface LocalServersBaseUrls {
  /** FAL_BASE_URL / FalImageGenService's baseUrl: the server's URL. */
  fal: string;
  /** OPENAI_BASE_URL / OpenAILLMService's baseUrl: the server's URL + "/v1". */
  openai: string;
  /** CARTESIA_BASE_URL / CartesiaHttpTTSService's baseUrl: the server's URL. */
  cartesia: string;
}

export interface LocalServers extends ListeningTwin {
  baseUrls: LocalServersBaseUrls;
  fal: LocalFalControls;
  openai: LocalOpenAIControls;
  cartesia: LocalCartesiaControls;
  /**
   * One line per twin: what it is (never a model), and its base URL. E.g.
   * "OpenAI: http://127.0.0.1:8787/v1 (a scripted LLM twin, not a model)".
   */
  describe(): string[];
  /** Ends every stream, job and synthesis in flight, drops every connection. Idempotent. */
  close(): Promise<void>;
}

/** The three twins as one app without a socket. */
export interface LocalServersApp extends App {
  readonly fal: LocalFalApp;
  readonly openai: LocalOpenAIApp;
  readonly cartesia: LocalCartesiaApp;
  /** Resolves once the speech engine is chosen, with its line. */
  ready(): Promise<string>;
  /** Sets the policy of all three. */
  setHostPolicy(policy: HostPolicy | undefined): void;
  stop(): void;
  close(): Promise<void>;
}

export interface LocalServersHandle {
  /** The underlying node:http server (not listening until listen()). */
  httpServer: Server;
  /** Waits for the speech engine, then listens. */
  listen(): Promise<LocalServers>;
  app: LocalServersApp;
}

/** Which twin answers a request-target (raw: path and query as the client sent them). */
export function twinForTarget(target: string): LocalTwin {
  let path = target;
  if (!path.startsWith("/")) {
    try {
      path = new URL(target).pathname;
    } catch {
      return "fal";
    }
  }
  const first = path.split(/[/?#]/, 2)[1] ?? "";
  if (first === "v1") return "openai";
  if (first === "tts" || first === "voices") return "cartesia";
  return "fal";
}

/**
 * The three twins as one app that answers `fetch(request)` without a socket. Throws a
 * SettingsValidationError when an option of a twin is invalid.
 */
export function createLocalServersApp(options: LocalServersOptions = {}): LocalServersApp {
  const shared = options.latencyMs;
  checkDelayMs("latencyMs", shared);
  const key = options.requiredKey ? { requiredKey: options.requiredKey } : {};
  const fal = createLocalFalApp({
    ...(shared !== undefined ? { inferenceMs: shared } : {}),
    ...options.fal,
    ...key,
    ...(options.publicUrl !== undefined ? { publicUrl: options.publicUrl } : {}),
    logger: options.logger,
  });
  const openai = createLocalOpenAIApp({
    ...(shared !== undefined ? { timeToFirstTokenMs: shared } : {}),
    ...options.openai,
    ...key,
    logger: options.logger,
  });
  const cartesia = createLocalCartesiaApp({
    ...(shared !== undefined ? { latencyMs: shared } : {}),
    ...options.cartesia,
    ...key,
    logger: options.logger,
  });
  const twins: Record<LocalTwin, App> = { fal, openai, cartesia };
  const app = createApp({
    // Each twin's first middleware is the Host/Origin guard: the dispatch only reads the target.
    handler: async (request, context) => {
      const answer = await twins[twinForTarget(context.target)].fetch(request, {
        target: context.target,
        signal: context.signal,
      });
      return isRootTarget(context.target) ? describeAllTwins(answer, cartesia) : answer;
    },
  });
  return {
    fetch: app.fetch,
    request: app.request,
    fal,
    openai,
    cartesia,
    ready: () => cartesia.ready(),
    setHostPolicy(policy) {
      fal.setHostPolicy(policy);
      openai.setHostPolicy(policy);
      cartesia.setHostPolicy(policy);
    },
    stop() {
      fal.stop();
      openai.stop();
      cartesia.stop();
    },
    async close() {
      await Promise.all([fal.close(), openai.close(), cartesia.close()]);
    },
  };
}

/** GET / (with or without a query): the one path that all three twins share. */
function isRootTarget(target: string): boolean {
  return target === "/" || target.startsWith("/?");
}

/**
 * fal's own answer to GET / (after its Host/Origin guard) widened to every twin on the port, so
 * that nobody mistakes the combined server for fal alone. Any other answer passes unchanged.
 */
async function describeAllTwins(
  falAnswer: Response,
  cartesia: LocalCartesiaApp,
): Promise<Response> {
  if (falAnswer.status !== 200) return falAnswer;
  const fal: unknown = await falAnswer.json();
  const body = {
    name: "local-twins",
    description:
      "Local twins of fal, OpenAI and Cartesia on one port: a preview renderer, a scripted LLM " +
      "and a speech engine, not models.",
    twins: {
      fal,
      openai: {
        description: "A scripted LLM twin (not a model), OpenAI's API under /v1.",
        routes: ["/v1/chat/completions", "/v1/models"],
      },
      cartesia: {
        description: `A speech twin (${cartesia.describe()}), not a model.`,
        routes: ["/tts/bytes", "/voices", "/voices/{id}"],
      },
    },
  };
  const headers = new Headers(falAnswer.headers);
  headers.delete("content-length");
  return new Response(JSON.stringify(body), { status: 200, headers });
}

/** Creates the combined server without starting it: `listen()` starts it. */
export function createLocalServers(options: LocalServersOptions = {}): LocalServersHandle {
  const log = twinLog("[local-twins]", options.logger);
  const app = createLocalServersApp(options);
  const server = createTwinServer(app, {
    ...options,
    // Before its path is known a request belongs to fal, the twin of every path not another's.
    clientError: falClientError,
    log,
  });

  const listen = async (): Promise<LocalServers> => {
    const speech = await app.ready();
    const twin = await server.listen();
    app.fal.setOrigin(twin.url);
    const baseUrls: LocalServersBaseUrls = {
      fal: app.fal.url,
      openai: `${twin.url}/v1`,
      cartesia: twin.url,
    };
    const describe = (): string[] => [
      `fal: ${baseUrls.fal} (a preview renderer twin, not a model)`,
      `OpenAI: ${baseUrls.openai} (a scripted LLM twin, not a model)`,
      `Cartesia: ${baseUrls.cartesia} (a speech twin; ${app.cartesia.describe()})`,
    ];
    log(`listening on ${twin.url} (fal, OpenAI under /v1, Cartesia; ${speech})`);
    return {
      ...twin,
      baseUrls,
      fal: controlsOf(app.fal),
      openai: controlsOf(app.openai),
      cartesia: { ...controlsOf(app.cartesia), describe: () => app.cartesia.describe() },
      describe,
    };
  };

  return { httpServer: server.httpServer, listen, app };
}

/**
 * Starts the three local twins on one port and resolves once it listens.
 *
 * @example
 * ```ts
 * import OpenAI from "openai";
 * import { startLocalServers } from "pipecat-ts/local";
 *
 * const twins = await startLocalServers({ port: 8787 });
 * for (const line of twins.describe()) console.log(line);
 * const openai = new OpenAI({ apiKey: "any", baseURL: twins.baseUrls.openai });
 * const fal = new FalImageGenService({ baseUrl: twins.baseUrls.fal, key: "" });
 * const tts = new CartesiaHttpTTSService({
 *   baseUrl: twins.baseUrls.cartesia,
 *   settings: new CartesiaHttpTTSService.Settings({ voice: CARTESIA_EXAMPLE_VOICE_ID }),
 * });
 * await twins.close();
 * ```
 */
export async function startLocalServers(options: LocalServersOptions = {}): Promise<LocalServers> {
  return createLocalServers(options).listen();
}
