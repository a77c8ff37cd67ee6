// The local OpenAI twin as an app of the server kit (src/server/): OpenAI's Chat Completions and
// Models routes under /v1 on the twins' shared chain (../twin-kit/app.ts), answered by a scripted
// LLM (scripted-llm.ts), never by a model. It answers `fetch(request)` without a socket; server.ts
// puts it on a port, and a server hosting several twins can hand it every request under /v1.
//
// What the OpenAI twin puts in the shared chain:
//   route               openAIResponseHeaders (x-request-id, openai-version and the twin's label),
//                       then routeOpenAIRequests (method and path → chat, models, model or unknown)
//   answerUnroutable    404 "Invalid URL (METHOD /path)" for anything else
//   apiKeyAuth          `Authorization: Bearer <requiredKey>` (only with requiredKey)
//   beforeFaults        readRequestedModel: the body's `model`, for fault rules that name one
//   faultInjection      the fault rules
// then the operation's handler (handlers.ts).
import type { Handler, Middleware } from "../../server/compose.js";
import { contextKey, type RequestContext } from "../../server/context.js";
import {
  FaultInjector,
  type FaultAction,
  type FaultRule as ServerFaultRule,
} from "../../server/faults.js";
import type { HostPolicy } from "../../server/host-guard.js";
import { apiKeyFrom } from "../../server/middleware/auth.js";
import { RequestRecorder } from "../../server/middleware/record.js";
import { jsonResponse } from "../../server/response.js";
import { createTwinApp, type TwinAppBase } from "../twin-kit/app.js";
import type { TwinControls } from "../twin-kit/controls.js";
import { checkDelayMs } from "../twin-kit/delay-option.js";
import { TwinLifecycle } from "../twin-kit/lifecycle.js";
import { twinLog, type TwinLog } from "../twin-kit/log.js";
import { twinSecrets } from "../twin-kit/secrets.js";
import { recordRequest, type TwinRecordedRequest } from "../twin-kit/recording.js";
import { newRequestCounters, requestStats, type TwinRequestStats } from "../twin-kit/stats.js";
import {
  type ChatState,
  createChatHandler,
  createModelHandler,
  createModelsHandler,
} from "./handlers.js";
import { injectedErrorResponse, openAIErrorResponse, openAIResponseHeaders } from "./replies.js";
import { chatBody } from "./request.js";

export type { FaultAction };

/** What fault rules can target: chat completions, or the models routes (list and retrieve). */
export type LocalOpenAIFaultOperation = "chat" | "models" | "any";

/** A fault rule of the local OpenAI twin; `model` matches the `model` a chat request names. */
export type LocalOpenAIFaultRule = ServerFaultRule<Exclude<LocalOpenAIFaultOperation, "any">>;

/**
 * Model names the twin answers to by default besides its own id, so OpenAILLMService and the
 * official client work against it unchanged. It answers as itself: every reply names
 * "pipecat-ts-scripted-llm" as its model, as OpenAI names the snapshot behind an alias.
 */
export const DEFAULT_MODEL_ALIASES: readonly string[] = Object.freeze([
  "gpt-4.1",
  "gpt-4.1-mini",
  "gpt-4.1-nano",
  "gpt-4o",
  "gpt-4o-mini",
]);

const MiB = 1024 * 1024;
const DEFAULT_MAX_BODY_BYTES = 10 * MiB;
const DEFAULT_MAX_RECORDED_REQUESTS = 1000;

export interface LocalOpenAIAppOptions {
  /** When set, requests need `Authorization: Bearer <requiredKey>` (401 in OpenAI's shape otherwise). */
  requiredKey?: string;
  /** Wait before a streamed answer starts (a whole answer waits this plus every token's delay); default 0. */
  timeToFirstTokenMs?: number;
  /** Wait between two streamed content deltas; default 0. */
  tokenDelayMs?: number;
  /** Other model names to answer to (default DEFAULT_MODEL_ALIASES); anything else is 404 model_not_found. */
  modelAliases?: readonly string[];
  /** Fault rules (off by default); can be changed later with setFaults(). */
  faults?: LocalOpenAIFaultRule[];
  /** Largest accepted request body; default 10 MiB (413 beyond). */
  maxBodyBytes?: number;
  /** How many requests requests() remembers (newest kept); default 1000. */
  maxRecordedRequests?: number;
  /**
   * The Host/Origin policy (see src/server/host-guard.ts). The server sets it when it listens;
   * an app without a socket checks nothing until given one (whoever serves it guards its socket).
   */
  hostPolicy?: HostPolicy;
  /** Receives one line per request and notable events. The API key is never logged. */
  logger?: (line: string) => void;
}

/** What the twin records of a request (what every twin records, see ../twin-kit/recording.ts). */
export interface LocalOpenAIRecordedRequest
  extends TwinRecordedRequest<LocalOpenAIOperation | "unknown"> {
  /** Parsed JSON body (its text when it is not JSON; undefined without a body). */
  body: unknown;
}

export type LocalOpenAIOperation = "chat" | "models" | "model";

/** What stats() reports: the requests (as every twin counts them), then the completions. */
export interface LocalOpenAIStats extends TwinRequestStats<LocalOpenAIOperation | "unknown"> {
  /** Completions written (streamed or whole). */
  completions: number;
  streamed: number;
  /** Streams that stopped before their last event because the client left (or the twin closed). */
  streamsCut: number;
  promptTokens: number;
  completionTokens: number;
}

/** What a test or a tool can see and change of a running twin. */
export interface LocalOpenAIControls
  extends TwinControls<LocalOpenAIFaultRule, LocalOpenAIStats, LocalOpenAIRecordedRequest> {}

/** The local OpenAI twin without a socket: `fetch()`/`request()` answer as the server would. */
export interface LocalOpenAIApp
  extends TwinAppBase<Exclude<LocalOpenAIFaultOperation, "any">, LocalOpenAIRecordedRequest>,
    LocalOpenAIControls {
  /** Refuses new requests (503) and ends open streams. */
  stop(): void;
  /** stop(). Idempotent. */
  close(): Promise<void>;
}

interface Route {
  operation: LocalOpenAIOperation | "unknown";
  method: string;
  path: string;
}

const ROUTE = contextKey<Route>("openai.route");
const REQUESTED_MODEL = contextKey<string>("openai.model");
const MODEL_PATH = /^\/v1\/models\/([^/]+)$/;

function routeOf(context: RequestContext): Route {
  const route = context.get(ROUTE);
  if (!route) throw new Error("routeOf: routeOpenAIRequests() must run before this");
  return route;
}

function resolveRoute(method: string, target: string): Route {
  const path = target.split("?")[0] ?? "/";
  let operation: Route["operation"] = "unknown";
  if (path === "/v1/chat/completions" && method === "POST") operation = "chat";
  else if (path === "/v1/models" && method === "GET") operation = "models";
  else if (MODEL_PATH.test(path) && method === "GET") operation = "model";
  return { operation, method, path };
}

/** The logger of the twin: prefixed lines, and a failing logger never breaks it. */
export function localOpenAILog(logger: TwinLog | undefined): TwinLog {
  return twinLog("[local-openai]", logger);
}

/**
 * Builds the local OpenAI twin as an app that answers `fetch(request)`, without a socket: for
 * tests, and for hosting it inside another server. `startLocalOpenAIServer` puts it on a port.
 *
 * @example
 * ```ts
 * const openai = createLocalOpenAIApp();
 * const response = await openai.request("/v1/chat/completions", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({
 *     model: "pipecat-ts-scripted-llm",
 *     messages: [{ role: "user", content: "Describe a nature photograph for a calendar, for the month of May." }],
 *   }),
 * });
 * const completion = await response.json(); // { object: "chat.completion", choices: [{ message: { content: "A wildflower meadow …" } }], … }
 * ```
 */
export function createLocalOpenAIApp(options: LocalOpenAIAppOptions = {}): LocalOpenAIApp {
  const log = localOpenAILog(options.logger);
  const secrets = twinSecrets(options.requiredKey);
  checkDelayMs("timeToFirstTokenMs", options.timeToFirstTokenMs);
  checkDelayMs("tokenDelayMs", options.tokenDelayMs);

  const lifecycle = new TwinLifecycle({ hostPolicy: options.hostPolicy });
  const faults = new FaultInjector<Exclude<LocalOpenAIFaultOperation, "any">>(options.faults ?? []);
  const recorder = new RequestRecorder<LocalOpenAIRecordedRequest>(
    options.maxRecordedRequests ?? DEFAULT_MAX_RECORDED_REQUESTS,
  );
  const counters = newRequestCounters<LocalOpenAIOperation | "unknown">();
  const state: ChatState = {
    timeToFirstTokenMs: options.timeToFirstTokenMs ?? 0,
    tokenDelayMs: options.tokenDelayMs ?? 0,
    modelAliases: new Set(options.modelAliases ?? DEFAULT_MODEL_ALIASES),
    shutdown: lifecycle.shutdown,
    counters: { completions: 0, streamed: 0, streamsCut: 0, promptTokens: 0, completionTokens: 0 },
  };

  const readRequestedModel: Middleware = async function readRequestedModel(
    _request,
    context,
    next,
  ) {
    if (routeOf(context).operation === "chat") {
      // A body that is not JSON is the handler's to answer (OpenAI's 400).
      const parsed = await chatBody.read(context);
      const body = parsed.ok ? (parsed.value as { model?: unknown } | null | undefined) : undefined;
      if (typeof body?.model === "string") context.set(REQUESTED_MODEL, body.model);
    }
    return next();
  };

  const handlers: Record<LocalOpenAIOperation, Handler> = {
    chat: createChatHandler(state),
    models: createModelsHandler(),
    model: createModelHandler(state, (target) =>
      decodeURIComponent(MODEL_PATH.exec(target.split("?")[0] ?? "")?.[1] ?? ""),
    ),
  };

  const app = createTwinApp({
    log,
    logs: options.logger !== undefined,
    secrets,
    counters,
    replies: {
      forbidden: (detail) =>
        openAIErrorResponse(403, `Forbidden: ${detail}`, { code: "forbidden_host" }),
      closing: () =>
        openAIErrorResponse(503, "The server is shutting down.", {
          headers: { connection: "close" },
        }),
      tooLarge: (maxBytes, headers) =>
        openAIErrorResponse(413, `The request body is larger than ${maxBytes} bytes.`, {
          headers,
        }),
      unauthorized: (request) =>
        request.headers.has("authorization")
          ? openAIErrorResponse(
              401,
              "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
              { code: "invalid_api_key" },
            )
          : openAIErrorResponse(
              401,
              "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            ),
      fault: (rule) =>
        rule.body === undefined
          ? injectedErrorResponse(rule.status, rule.headers)
          : jsonResponse(rule.status, rule.body, rule.headers),
      internalError: () =>
        openAIErrorResponse(500, "The server had an error while processing your request."),
    },
    lifecycle,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    route: [
      openAIResponseHeaders(),
      async function routeOpenAIRequests(request, context, next) {
        context.set(ROUTE, resolveRoute(request.method, context.target));
        return next();
      },
    ],
    routeOf,
    recorder,
    describeRequest,
    answerUnroutable: async function answerUnknown(request, context, next) {
      const route = routeOf(context);
      return route.operation === "unknown" ? invalidUrl(request, route) : next();
    },
    auth: { extract: apiKeyFrom.authorization("Bearer") },
    beforeFaults: [readRequestedModel],
    faults: {
      injector: faults,
      target: (_request, context) => {
        const { operation } = routeOf(context);
        if (operation === "chat") {
          const model = context.get(REQUESTED_MODEL);
          return { operation: "chat", models: model === undefined ? [] : [model] };
        }
        return operation === "unknown" ? undefined : { operation: "models", models: [] };
      },
    },
    handler: (request, context) => {
      const route = routeOf(context);
      return route.operation === "unknown"
        ? invalidUrl(request, route)
        : handlers[route.operation](request, context);
    },
  });

  const stop = (): void => {
    lifecycle.stop();
  };

  return {
    ...app,
    stats: () => ({
      ...requestStats(counters),
      ...state.counters,
    }),
    stop,
    async close() {
      stop();
    },
  };
}

/** OpenAI's 404 for a path (or a method on it) that the API does not have. */
function invalidUrl(request: Request, route: Route): Response {
  return openAIErrorResponse(404, `Invalid URL (${request.method} ${route.path})`);
}

function describeRequest(
  request: Request,
  context: RequestContext,
  bytes: Uint8Array | undefined,
): LocalOpenAIRecordedRequest {
  // An empty body is not JSON either: it is recorded as "".
  const parse = (body: Uint8Array) => chatBody.parse(context, body);
  return recordRequest(request, routeOf(context), bytes, { parse }).entry;
}
