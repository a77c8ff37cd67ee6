// The local Cartesia twin as an app of the server kit (src/server/): Cartesia's `POST /tts/bytes`,
// `GET /voices` and `GET /voices/{id}` on the twins' shared chain (../twin-kit/app.ts), speaking
// with the local speech synthesizer (espeak-ng when installed, else the built-in one). It answers
// `fetch(request)` without a socket; server.ts puts it on a port.
//
// What the Cartesia twin puts in the shared chain:
//   route              routeCartesiaRequests (the request-target → an operation, routes.ts)
//   answerUnroutable   404 for unknown paths, 405 for wrong methods
//   apiKeyAuth         `X-API-Key: <key>` or `Authorization: Bearer <key>` (with requiredKey)
//   faultInjection     the fault rules (faults.ts); a synthesis matches through its `model_id`
// then `dispatch` hands the request to its operation's handler (handlers/).
import { createSpeechSynthesizer, type SpeechEngineChoice } from "../../audio/synth/create.js";
import type { SpeechSynthesizer } from "../../audio/synth/speech-synthesizer.js";
import type { Handler } from "../../server/compose.js";
import type { RequestContext } from "../../server/context.js";
import { FaultInjector } from "../../server/faults.js";
import type { HostPolicy } from "../../server/host-guard.js";
import { apiKeyFrom } from "../../server/middleware/auth.js";
import type { FaultTarget } from "../../server/middleware/faults.js";
import { RequestRecorder } from "../../server/middleware/record.js";
import { jsonResponse } from "../../server/response.js";
import { createTwinApp, type TwinAppBase } from "../twin-kit/app.js";
import type { TwinControls } from "../twin-kit/controls.js";
import { checkDelayMs } from "../twin-kit/delay-option.js";
import { TwinLifecycle } from "../twin-kit/lifecycle.js";
import { twinLog, type TwinLog } from "../twin-kit/log.js";
import { twinSecrets } from "../twin-kit/secrets.js";
import { newRequestCounters, requestStats } from "../twin-kit/stats.js";
import { parsedBodyOf } from "./body.js";
import { faultOperation, type FaultOperation, type FaultRule } from "./faults.js";
import { createTtsHandler } from "./handlers/tts.js";
import { createVoiceHandler, createVoicesHandler } from "./handlers/voices.js";
import { describeRequest, type RecordedRequest } from "./recording.js";
import { cartesiaError } from "./replies.js";
import { answerUnroutable, type Operation, routeCartesiaRequests, routeOf } from "./routes.js";
import type { LocalCartesiaCounters, LocalCartesiaState, LocalCartesiaStats } from "./state.js";

export type { LocalCartesiaStats, RecordedRequest };

const KiB = 1024;
/** A transcript of 10000 characters in JSON fits well within this. */
const DEFAULT_MAX_BODY_BYTES = 256 * KiB;
const DEFAULT_MAX_TEXT_CHARS = 10_000;
const DEFAULT_MAX_RECORDED_REQUESTS = 1000;

export interface LocalCartesiaAppOptions {
  /** When set, requests need `X-API-Key: <key>` or `Authorization: Bearer <key>` (401 otherwise). */
  requiredKey?: string;
  /** Wait before answering each synthesis (simulated time to first byte), in ms; default 0. */
  latencyMs?: number;
  /** Fault injection rules (off by default); can be changed later with setFaults(). */
  faults?: FaultRule[];
  /** "auto" (default): espeak-ng when on PATH, else the built-in synthesizer. */
  engine?: SpeechEngineChoice;
  /** A synthesizer to use instead of choosing one (tests, custom engines). */
  synthesizer?: SpeechSynthesizer;
  /** "reject" (default): an unknown voice id is a 404; "default": speak it with the default voice. */
  unknownVoice?: "reject" | "default";
  /** Longest transcript, in characters; default 10000. */
  maxTextChars?: number;
  /** Largest request body; default 256 KiB (413 beyond). */
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

/** What a test or a tool can see and change of a running twin. */
export interface LocalCartesiaControls
  extends TwinControls<FaultRule, LocalCartesiaStats, RecordedRequest> {
  /** One line saying which engine speaks, e.g. "speech: espeak-ng 1.51 (external program)". */
  describe(): string;
}

/** The twin without a socket: `fetch()`/`request()` answer as the server would. */
export interface LocalCartesiaApp
  extends TwinAppBase<Exclude<FaultOperation, "any">, RecordedRequest>,
    LocalCartesiaControls {
  /** Resolves once the speech engine is chosen, with describe()'s line. */
  ready(): Promise<string>;
  /** Refuses new requests (503) and stops syntheses in flight. */
  stop(): void;
  /** stop(). Idempotent. */
  close(): Promise<void>;
}

/** The twin's logger: prefixed lines, and a failing logger never breaks it. */
export function localCartesiaLog(logger: TwinLog | undefined): TwinLog {
  return twinLog("[local-cartesia]", logger);
}

/**
 * Builds the local Cartesia twin as an app that answers `fetch(request)`, without a socket: for
 * tests, and for hosting it inside another server (it owns `/tts/*` and `/voices*`).
 *
 * @example
 * ```ts
 * const cartesia = createLocalCartesiaApp();
 * console.log(await cartesia.ready()); // speech: espeak-ng 1.51 (external program)
 * const response = await cartesia.request("/tts/bytes", {
 *   method: "POST",
 *   body: JSON.stringify({
 *     model_id: "sonic-3.5",
 *     transcript: "Hello from the twin.",
 *     voice: { mode: "id", id: "71a7ad14-091c-4e8e-a314-022ece01c121" },
 *     output_format: { container: "raw", encoding: "pcm_s16le", sample_rate: 24000 },
 *   }),
 * });
 * const pcm = new Uint8Array(await response.arrayBuffer()); // s16le mono at 24 kHz
 * await cartesia.close();
 * ```
 */
export function createLocalCartesiaApp(options: LocalCartesiaAppOptions = {}): LocalCartesiaApp {
  const log = localCartesiaLog(options.logger);
  const secrets = twinSecrets(options.requiredKey);
  checkDelayMs("latencyMs", options.latencyMs);
  const latencyMs = options.latencyMs ?? 0;
  const lifecycle = new TwinLifecycle({
    hostPolicy: options.hostPolicy,
    shutdownReason: new Error("the local Cartesia twin is closing"),
  });

  const engine: Promise<SpeechSynthesizer> = options.synthesizer
    ? Promise.resolve(options.synthesizer)
    : createSpeechSynthesizer({
        engine: options.engine ?? "auto",
        maxTextChars: options.maxTextChars,
      });
  // A failure is reported to each request that needs the engine; do not let it count as unhandled.
  engine.catch(() => undefined);
  let description = "speech: engine not chosen yet";
  const ready = engine.then((synthesizer) => {
    description = synthesizer.describe();
    return description;
  });
  ready.catch(() => undefined);

  const faults = new FaultInjector<Exclude<FaultOperation, "any">>(options.faults ?? []);
  const recorder = new RequestRecorder<RecordedRequest>(
    options.maxRecordedRequests ?? DEFAULT_MAX_RECORDED_REQUESTS,
  );
  const counters: LocalCartesiaCounters = {
    ...newRequestCounters<Operation>(),
    syntheses: 0,
    characters: 0,
    audioSeconds: 0,
    synthesisMsTotal: 0,
  };
  const state: LocalCartesiaState = {
    counters,
    latencyMs,
    requestOptions: {
      maxTextChars: options.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS,
      unknownVoice: options.unknownVoice ?? "reject",
    },
    synthesizer: () => engine,
    shutdown: lifecycle.shutdown,
    log,
  };

  const app = createTwinApp({
    log,
    logs: options.logger !== undefined,
    secrets,
    counters,
    replies: {
      forbidden: (detail) => cartesiaError(403, "forbidden", `Forbidden: ${detail}`),
      closing: () =>
        cartesiaError(503, "service_unavailable", "The local Cartesia twin is shutting down.", {
          connection: "close",
        }),
      tooLarge: (maxBytes, headers) =>
        cartesiaError(
          413,
          "payload_too_large",
          `Request body is larger than ${maxBytes} bytes.`,
          headers,
        ),
      unauthorized: () =>
        cartesiaError(
          401,
          "unauthorized",
          "Missing or invalid API key: send X-API-Key: <key> or Authorization: Bearer <key>.",
        ),
      fault: (rule) =>
        rule.body !== undefined
          ? jsonResponse(rule.status, rule.body, rule.headers)
          : cartesiaError(rule.status, "injected_fault", "Injected fault.", rule.headers),
      internalError: () => cartesiaError(500, "internal_error", "Internal server error."),
    },
    lifecycle,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    route: [routeCartesiaRequests()],
    routeOf,
    recorder,
    describeRequest,
    answerUnroutable: answerUnroutable(),
    auth: {
      extract: apiKeyFrom.firstOf(
        apiKeyFrom.header("x-api-key"),
        apiKeyFrom.authorization("Bearer"),
      ),
    },
    faults: { injector: faults, target: (_request, context) => faultTarget(context) },
    handler: createDispatch(state),
  });

  const stop = (): void => {
    lifecycle.stop();
  };

  return {
    ...app,
    ready: () => ready,
    describe: () => description,
    stats: () => ({
      ...counters,
      ...requestStats(counters),
      audioSeconds: Math.round(counters.audioSeconds * 1000) / 1000,
      synthesisMsTotal: Math.round(counters.synthesisMsTotal * 10) / 10,
    }),
    stop,
    async close() {
      stop();
    },
  };
}

/** Hands each routed request to its operation's handler. */
function createDispatch(state: LocalCartesiaState): Handler {
  const handlers: Partial<Record<Operation, Handler>> = {
    tts: createTtsHandler(state),
    voices: createVoicesHandler(),
    voice: createVoiceHandler(),
  };
  return function dispatch(request, context) {
    const route = routeOf(context);
    const handler = handlers[route.operation];
    return handler
      ? handler(request, context)
      : cartesiaError(404, "not_found", `No route for ${request.method} ${route.path}.`);
  };
}

/** What a request counts as for fault rules: a synthesis matches through its `model_id`. */
function faultTarget(
  context: RequestContext,
): FaultTarget<Exclude<FaultOperation, "any">> | undefined {
  const operation = faultOperation(routeOf(context).operation);
  if (!operation) return undefined;
  const parsed = parsedBodyOf(context);
  const body = parsed?.ok ? (parsed.value as Record<string, unknown> | undefined) : undefined;
  const model = body && typeof body === "object" ? body.model_id : undefined;
  return { operation, models: typeof model === "string" ? [model] : [] };
}
