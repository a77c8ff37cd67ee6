// The local fal server as an app of the server kit (src/server/): fal's routes on the twins'
// shared chain (../twin-kit/app.ts), and one handler per operation. It answers `fetch(request)`
// without a socket; server.ts puts it on a port.
//
// What the fal twin puts in the shared chain:
//   route              falResponseHeaders (x-fal-request-id and CORS headers on every answer),
//                      then routeFalRequests (the request-target → a fal operation, routes.ts)
//   answerUnroutable   CORS preflight, bad proxy targets, unknown paths, wrong methods
//   apiKeyAuth         `Authorization: Key <requiredKey>`, on fal's authenticated operations
//   faultInjection     the fault rules (faults.ts); queue calls match through their job's model
// then `dispatch` hands the request to its operation's handler (handlers/).
import type { Handler } from "../../server/compose.js";
import type { RequestContext } from "../../server/context.js";
import { FaultInjector } from "../../server/faults.js";
import type { HostPolicy } from "../../server/host-guard.js";
import { apiKeyFrom } from "../../server/middleware/auth.js";
import type { FaultTarget } from "../../server/middleware/faults.js";
import { requestHost } from "../../server/middleware/host-guard.js";
import { RequestRecorder } from "../../server/middleware/record.js";
import { SettingsValidationError } from "../../utils/errors.js";
import { createTwinApp, type TwinAppBase } from "../twin-kit/app.js";
import type { TwinControls } from "../twin-kit/controls.js";
import { TwinLifecycle } from "../twin-kit/lifecycle.js";
import { twinLog, type TwinLog } from "../twin-kit/log.js";
import { twinSecrets } from "../twin-kit/secrets.js";
import { newRequestCounters, requestStats } from "../twin-kit/stats.js";
import { faultOperation, type FaultOperation, type FaultRule } from "./faults.js";
import { FileStore } from "./files.js";
import { createFileHandler } from "./handlers/files.js";
import { createInfoHandler } from "./handlers/info.js";
import { createQueueHandlers } from "./handlers/queue.js";
import { createRunHandler } from "./handlers/run.js";
import { createStorageHandlers } from "./handlers/storage.js";
import { createExecutor } from "./inference.js";
import { appPrefix } from "./models.js";
import { JobQueue, type Job } from "./queue.js";
import type { ImageStyle } from "./renderer.js";
import { describeRequest, type RecordedRequest } from "./recording.js";
import { falJson, falResponseHeaders } from "./replies.js";
import type { Operation } from "./routes.js";
import { answerUnroutable, routeFalRequests, routeOf } from "./routing.js";
import type { LocalFalCounters, LocalFalState, LocalFalStats } from "./state.js";
import { WebhookSender, type WebhookBody } from "./webhooks.js";

export type { LocalFalStats, RecordedRequest };

const MiB = 1024 * 1024;
const DEFAULT_MAX_BODY_BYTES = 10 * MiB;
const DEFAULT_MAX_STORED_BYTES = 256 * MiB;
const DEFAULT_MAX_IMAGE_PIXELS = 4096 * 4096;
/** Images a request may ask for in all (num_images × width × height), as a multiple of one image's limit. */
const REQUEST_PIXELS_PER_IMAGE_LIMIT = 2;
const DEFAULT_MAX_QUEUED_REQUESTS = 1000;
const DEFAULT_MAX_RETAINED_RESULT_BYTES = 256 * MiB;
const DEFAULT_KEEPALIVE_MS = 15_000;
const DEFAULT_WEBHOOK_TIMEOUT_MS = 5000;
const DEFAULT_MAX_RECORDED_REQUESTS = 1000;
const DEFAULT_WORKERS = 4;

/** Operations that are part of fal's authenticated API (files and signed upload URLs are not). */
const AUTH_OPERATIONS = new Set<Operation>([
  "run",
  "submit",
  "status",
  "stream",
  "result",
  "cancel",
  "upload-initiate",
  "upload-multipart",
  "token",
]);

/** Everything but where to listen (see LocalFalServerOptions). */
export interface LocalFalAppOptions {
  /** Simulated inference time per request in ms; default 0. */
  inferenceMs?: number;
  /** Per-model override of inferenceMs, keyed by endpoint id (fal-ai/flux/dev) or app (fal-ai/flux). */
  inferenceMsByModel?: Record<string, number>;
  /**
   * How a worker waits out a request's simulated inference (`ms` per image; `signal` aborts when
   * the request is cancelled or the server closes); default a timer. Tests pass a gate here to
   * decide when each request finishes instead of racing the clock.
   */
  inferenceWait?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Simulated GPU workers = requests in progress at once; default 4. */
  workers?: number;
  /** When set, fal API requests need `Authorization: Key <requiredKey>` (401 otherwise). */
  requiredKey?: string;
  /** Largest accepted request body; default 10 MiB (413 beyond). */
  maxBodyBytes?: number;
  /** Cap for the in-memory file store (generated images + uploads); default 256 MiB, oldest evicted. */
  maxStoredBytes?: number;
  /** Largest image (width × height) the preview renderer draws; default 4096 × 4096. Larger → 422 image_too_large. */
  maxImagePixels?: number;
  /**
   * Most pixels one request may ask for in all (num_images × width × height); default twice
   * maxImagePixels. More → 422 image_too_large on num_images, before anything is drawn.
   */
  maxRequestPixels?: number;
  /** Requests that may wait for a worker (queue and sync runs); default 1000. More → 429. */
  maxQueuedRequests?: number;
  /**
   * Bytes of finished results kept for status/result calls (sync_mode results hold their images);
   * default 256 MiB, oldest forgotten first (the newest is always kept).
   */
  maxRetainedResultBytes?: number;
  /** "preview" (default): labelled storyboard placeholder; "photo": the same plus dense noise (≈1.5 MB per 1024² PNG). */
  imageStyle?: ImageStyle;
  /** Fault injection rules (off by default); can be changed later with setFaults(). */
  faults?: FaultRule[];
  /** Interval of `: keepalive` comments on status streams; default 15000 ms. */
  keepaliveMs?: number;
  /** Timeout of one webhook delivery attempt; default 5000 ms. */
  webhookTimeoutMs?: number;
  /** How many requests requests() remembers (newest kept); default 1000. */
  maxRecordedRequests?: number;
  /**
   * Base of every URL the server hands out (e.g. "https://fal.example.org" behind a proxy).
   * Default: the Host the client used (checked against the host policy), else the server's own
   * origin (relative URLs in an app without a socket until setOrigin).
   */
  publicUrl?: string;
  /**
   * The Host/Origin policy (see src/server/host-guard.ts). The server sets it when it listens;
   * an app without a socket checks nothing until given one (whoever serves it guards its socket).
   */
  hostPolicy?: HostPolicy;
  /** Receives one line per request and notable events. The API key is never logged. */
  logger?: (line: string) => void;
}

/** What a test or a tool can see and change of a running local fal server. */
export interface LocalFalControls extends TwinControls<FaultRule, LocalFalStats, RecordedRequest> {}

/** The local fal server without a socket: `fetch()`/`request()` answer as the server would. */
export interface LocalFalApp
  extends TwinAppBase<Exclude<FaultOperation, "any">, RecordedRequest>,
    LocalFalControls {
  /** Base of generated URLs (publicUrl, else the origin given to setOrigin; "" before that). */
  readonly url: string;
  /**
   * Tells the app its own origin (e.g. http://127.0.0.1:8787): the base of generated URLs unless
   * publicUrl is set, and an x-fal-target-url that names it is served locally.
   */
  setOrigin(origin: string): void;
  /** Refuses new requests (503), ends open status streams, stops jobs and webhook deliveries. */
  stop(): void;
  /** stop(), then forgets the stored files. Idempotent. */
  close(): Promise<void>;
}

/** The logger of the local fal server: prefixed lines, and a failing logger never breaks it. */
export function localFalLog(logger: TwinLog | undefined): TwinLog {
  return twinLog("[local-fal]", logger);
}

/**
 * Builds the local fal server as an app that answers `fetch(request)`, without a socket: for
 * tests, and for hosting it inside another server. `createLocalFalServer` puts it on a port.
 *
 * @example
 * ```ts
 * const fal = createLocalFalApp({ publicUrl: "http://fal.local" });
 * const response = await fal.request("/run/fal-ai/flux/schnell", {
 *   method: "POST",
 *   body: JSON.stringify({ prompt: "a lighthouse at dusk", image_size: "square" }),
 * });
 * const output = await response.json(); // { images: [{ url: "http://fal.local/files/…", … }], … }
 * await fal.close();
 * ```
 */
export function createLocalFalApp(options: LocalFalAppOptions = {}): LocalFalApp {
  const log = localFalLog(options.logger);
  const secrets = twinSecrets(options.requiredKey);

  const publicUrl = options.publicUrl === undefined ? undefined : checkPublicUrl(options.publicUrl);
  let baseUrl = publicUrl ?? "";
  let selfOrigin = "";
  const lifecycle = new TwinLifecycle({ hostPolicy: options.hostPolicy });

  const files = new FileStore(options.maxStoredBytes ?? DEFAULT_MAX_STORED_BYTES);
  const faults = new FaultInjector<Exclude<FaultOperation, "any">>(options.faults ?? []);
  const webhooks = new WebhookSender(options.webhookTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS, log);
  const recorder = new RequestRecorder<RecordedRequest>(
    options.maxRecordedRequests ?? DEFAULT_MAX_RECORDED_REQUESTS,
  );
  const counters: LocalFalCounters = {
    ...newRequestCounters<Operation>(),
    cancelsReceived: 0,
    imagesRendered: 0,
    renderMsTotal: 0,
    uploads: 0,
  };

  const inferenceMsFor = (model: string): number => {
    const table = options.inferenceMsByModel ?? {};
    return table[model] ?? table[appPrefix(model)] ?? options.inferenceMs ?? 0;
  };

  const maxImagePixels = options.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS;
  const queue = new JobQueue({
    workers: Math.max(1, Math.floor(options.workers ?? DEFAULT_WORKERS)),
    maxRetainedBytes: options.maxRetainedResultBytes ?? DEFAULT_MAX_RETAINED_RESULT_BYTES,
    execute: createExecutor({
      files,
      baseUrl: () => baseUrl,
      inferenceMsFor,
      inferenceWait: options.inferenceWait,
      imageStyle: options.imageStyle ?? "preview",
      maxImagePixels,
      maxRequestPixels: options.maxRequestPixels ?? maxImagePixels * REQUEST_PIXELS_PER_IMAGE_LIMIT,
      onImageRendered: (ms) => {
        counters.imagesRendered += 1;
        counters.renderMsTotal += ms;
      },
    }),
    onComplete: (job) => {
      if (job.webhookUrl && !lifecycle.closing) void deliverWebhook(job, job.webhookUrl);
    },
  });

  async function deliverWebhook(job: Job, url: string): Promise<void> {
    const result = job.result ?? { status: 500, body: null };
    const ok = result.status >= 200 && result.status < 300;
    const body: WebhookBody = ok
      ? { request_id: job.id, gateway_request_id: job.id, status: "OK", payload: result.body }
      : {
          request_id: job.id,
          gateway_request_id: job.id,
          status: "ERROR",
          error: result.error ?? `Invalid status code: ${result.status}`,
          payload: result.body,
        };
    await webhooks.send(url, body);
  }

  const state: LocalFalState = {
    queue,
    files,
    counters,
    keepaliveMs: options.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
    maxQueuedRequests: options.maxQueuedRequests ?? DEFAULT_MAX_QUEUED_REQUESTS,
    shutdown: lifecycle.shutdown,
    baseUrl: () => baseUrl,
    baseUrlFor: (context) => {
      if (publicUrl !== undefined) return publicUrl;
      // The guard has checked the Host against the policy; without a policy it is not trusted.
      return lifecycle.hostPolicy ? `http://${requestHost(context.request)}` : baseUrl;
    },
    log,
  };

  const app = createTwinApp({
    log,
    logs: options.logger !== undefined,
    secrets,
    counters,
    replies: {
      forbidden: (detail) => falJson(403, { detail }),
      closing: () =>
        falJson(503, { detail: "Server is shutting down" }, { headers: { connection: "close" } }),
      tooLarge: (maxBytes, headers) =>
        falJson(413, { detail: `Request body is larger than ${maxBytes} bytes` }, { headers }),
      unauthorized: () => falJson(401, { detail: "Unauthorized" }),
      fault: (rule) =>
        falJson(rule.status, rule.body ?? { detail: "Injected fault" }, {
          headers: rule.headers ?? {},
        }),
      internalError: () => falJson(500, { detail: "Internal Server Error" }),
    },
    lifecycle,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    route: [falResponseHeaders(), routeFalRequests(() => selfOrigin)],
    routeOf,
    describe: (request, context) => {
      const route = routeOf(context);
      const model = route.model ? ` ${route.model}` : "";
      return `${request.method} ${route.path}${route.proxied ? " (proxy)" : ""} [${route.operation}${model}]`;
    },
    // Stored files are answered byte for byte.
    redactSkip: (context) => routeOf(context).operation === "file",
    recorder,
    describeRequest,
    answerUnroutable: answerUnroutable(),
    auth: {
      extract: apiKeyFrom.authorization("Key"),
      when: (_request, context) => AUTH_OPERATIONS.has(routeOf(context).operation),
    },
    faults: { injector: faults, target: (_request, context) => faultTarget(queue, context) },
    handler: createDispatch(state),
  });

  const stop = (): void => {
    if (!lifecycle.stop()) return;
    queue.close();
    webhooks.abortAll();
  };

  return {
    ...app,
    get url() {
      return baseUrl;
    },
    stats: () => ({
      ...requestStats(counters),
      cancelsReceived: counters.cancelsReceived,
      submitted: queue.counters.submitted,
      runs: queue.counters.runs,
      completed: queue.counters.completed,
      cancelled: queue.counters.cancelled,
      errors: queue.counters.errors,
      queued: queue.depth.queued,
      inProgress: queue.depth.inProgress,
      workers: queue.workers,
      imagesRendered: counters.imagesRendered,
      renderMsTotal: Math.round(counters.renderMsTotal * 10) / 10,
      uploads: counters.uploads,
      webhooksDelivered: webhooks.delivered,
      webhooksFailed: webhooks.failed,
      files: { count: files.count, bytes: files.storedBytes, evictions: files.evictions },
    }),
    setOrigin(origin) {
      selfOrigin = origin;
      if (!baseUrl) baseUrl = origin;
    },
    stop,
    async close() {
      stop();
      files.clear();
    },
  };
}

/**
 * The publicUrl without its trailing slash; a SettingsValidationError unless it is an absolute
 * http(s) URL without query or fragment.
 */
function checkPublicUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (
    !url ||
    (url.protocol !== "http:" && url.protocol !== "https:") ||
    url.search !== "" ||
    url.hash !== "" ||
    url.username !== "" ||
    url.password !== ""
  ) {
    throw new SettingsValidationError(
      "publicUrl",
      value,
      'an absolute http(s) URL without query or fragment, e.g. "http://my-box.local:8787"',
    );
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}

/** Hands each routed request to its operation's handler. */
function createDispatch(state: LocalFalState): Handler {
  const queue = createQueueHandlers(state);
  const storage = createStorageHandlers(state);
  const handlers: Partial<Record<Operation, Handler>> = {
    run: createRunHandler(state),
    submit: queue.submit,
    status: queue.status,
    stream: queue.stream,
    result: queue.result,
    cancel: queue.cancel,
    "upload-initiate": storage.initiate,
    "upload-multipart": storage.initiateMultipart,
    upload: storage.upload,
    token: storage.token,
    file: createFileHandler(state),
    info: createInfoHandler(),
  };
  return function dispatch(request, context) {
    const route = routeOf(context);
    const handler = handlers[route.operation];
    return handler
      ? handler(request, context)
      : falJson(404, { detail: `Path ${route.path} not found` });
  };
}

/** What a request counts as for fault rules: queue calls match through their job's model. */
function faultTarget(
  queue: JobQueue,
  context: RequestContext,
): FaultTarget<Exclude<FaultOperation, "any">> | undefined {
  const route = routeOf(context);
  const operation = faultOperation(route.operation);
  if (!operation) return undefined;
  const job = route.requestId ? queue.get(route.requestId) : undefined;
  const models = job
    ? [job.model, job.app]
    : route.model
      ? [route.model, appPrefix(route.model)]
      : [];
  return { operation, models };
}
