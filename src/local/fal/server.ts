// The local fal-compatible HTTP server (node:http, no framework). It speaks fal's queue, run,
// storage and CDN protocol on 127.0.0.1 so that fal client code runs offline and
// deterministically; images come from the preview renderer.
import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { FaultInjector, type FaultOperation, type FaultRule } from "./faults.js";
import { FileStore, extensionFor } from "./files.js";
import { createExecutor } from "./inference.js";
import { MODELS, appPrefix, getModel, jsonDecodeError } from "./models.js";
import { JobQueue, type Job } from "./queue.js";
import type { ImageStyle } from "./renderer.js";
import { resolveRoute, type Operation, type Route } from "./routes.js";
import { WebhookSender, isDeliverableWebhookUrl, type WebhookBody } from "./webhooks.js";
import { describeError } from "../../utils/errors.js";

export interface LocalFalServerOptions {
  /** Interface to listen on; default "127.0.0.1". */
  host?: string;
  /** Port; default 0 = any free port. */
  port?: number;
  /** Simulated inference time per request in ms; default 0. */
  inferenceMs?: number;
  /** Per-model override of inferenceMs, keyed by endpoint id (fal-ai/flux/dev) or app (fal-ai/flux). */
  inferenceMsByModel?: Record<string, number>;
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
  /** Base URL used in generated URLs; default http://<host>:<port>. */
  publicUrl?: string;
  /** Receives one line per request and notable events. The API key is never logged. */
  logger?: (line: string) => void;
}

export interface RecordedRequest {
  time: string;
  method: string;
  operation: Operation;
  model?: string;
  requestId?: string;
  /** Effective local path (after x-fal-target-url mapping), without query. */
  path: string;
  query: Record<string, string>;
  proxied: boolean;
  /** Parsed JSON body; for binary uploads undefined (see bodyBytes). */
  body: unknown;
  bodyBytes: number;
  /** Request headers without authorization / proxy-authorization. */
  headers: Record<string, string>;
  /** HTTP status answered (undefined while pending, or when the connection was dropped). */
  status?: number;
}

export interface LocalFalStats {
  requests: number;
  byOperation: Partial<Record<Operation, number>>;
  byStatus: Record<string, number>;
  unauthorized: number;
  cancelsReceived: number;
  faultsInjected: number;
  submitted: number;
  runs: number;
  completed: number;
  cancelled: number;
  errors: number;
  queued: number;
  inProgress: number;
  workers: number;
  imagesRendered: number;
  renderMsTotal: number;
  uploads: number;
  webhooksDelivered: number;
  webhooksFailed: number;
  files: { count: number; bytes: number; evictions: number };
}

export interface LocalFalServer {
  /** Base URL, e.g. http://127.0.0.1:43123 (no trailing slash). */
  url: string;
  port: number;
  close(): Promise<void>;
  setFaults(rules: FaultRule[]): void;
  stats(): LocalFalStats;
  requests(): RecordedRequest[];
  /** Forgets recorded requests. */
  clearRequests(): void;
}

export interface LocalFalServerHandle {
  /** The underlying node:http server (not listening until listen()). */
  httpServer: Server;
  listen(): Promise<LocalFalServer>;
}

interface Reply {
  status: number;
  body?: unknown;
  raw?: Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  requestId?: string;
}

type Mutation = "brokenJson" | "truncateBody" | undefined;

const MiB = 1024 * 1024;
const JSON_TYPE = "application/json";
const CORS_EXPOSE =
  "x-fal-request-id, x-fal-request-timeout-type, x-fal-billable-units, x-fal-error-type";
const NOT_AN_IMAGE = Buffer.from(
  "<!doctype html>\n<html><head><title>Error</title></head><body><h1>Not an image</h1></body></html>\n",
);
const BODY_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
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

function faultOperation(op: Operation): FaultOperation | undefined {
  switch (op) {
    case "run":
    case "submit":
    case "status":
    case "stream":
    case "result":
    case "cancel":
    case "file":
    case "upload":
      return op;
    case "upload-initiate":
    case "upload-multipart":
      return "upload";
    default:
      return undefined;
  }
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

function truthyLogs(v: string | null): boolean {
  return v !== null && ["1", "true", "yes", "on"].includes(v.toLowerCase());
}

export function createLocalFalServer(options: LocalFalServerOptions = {}): LocalFalServerHandle {
  const host = options.host ?? "127.0.0.1";
  const maxBodyBytes = options.maxBodyBytes ?? 10 * MiB;
  const keepaliveMs = options.keepaliveMs ?? 15_000;
  const maxRecorded = options.maxRecordedRequests ?? 1000;
  const log = (line: string): void => {
    if (options.logger) {
      try {
        options.logger(`[local-fal] ${line}`);
      } catch {
        // a failing logger must not break the server
      }
    }
  };
  const requiredKey =
    options.requiredKey && options.requiredKey.length > 0 ? options.requiredKey : undefined;
  // The key as given and in its URL-encoded forms.
  const keyForms = requiredKey
    ? [
        ...new Set([
          requiredKey,
          encodeURIComponent(requiredKey),
          new URLSearchParams({ k: requiredKey }).toString().slice(2),
        ]),
      ].sort((a, b) => b.length - a.length)
    : [];
  const redact = (text: string): string =>
    keyForms.reduce((t, form) => t.split(form).join("[redacted]"), text);
  const redactDeep = (value: unknown): unknown => {
    if (!requiredKey) return value;
    if (typeof value === "string") return redact(value);
    if (Array.isArray(value)) return value.map(redactDeep);
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [
          redact(k),
          redactDeep(v),
        ]),
      );
    }
    return value;
  };

  let baseUrl = options.publicUrl?.replace(/\/+$/, "") ?? "";
  let selfOrigin = "";
  let closing = false;
  const closingController = new AbortController();

  const files = new FileStore(options.maxStoredBytes ?? 256 * MiB);
  const faults = new FaultInjector(options.faults ?? []);
  const webhooks = new WebhookSender(options.webhookTimeoutMs ?? 5000, log);
  const recorded: RecordedRequest[] = [];
  const openResponses = new Set<ServerResponse>();
  /** Ends an open status stream; `abrupt` drops the connection (used by close()). */
  const streamClosers = new Set<(abrupt: boolean) => void>();

  const counters = {
    requests: 0,
    byOperation: {} as Partial<Record<Operation, number>>,
    byStatus: {} as Record<string, number>,
    unauthorized: 0,
    cancelsReceived: 0,
    faultsInjected: 0,
    imagesRendered: 0,
    renderMsTotal: 0,
    uploads: 0,
  };

  const inferenceMsFor = (model: string): number => {
    const table = options.inferenceMsByModel ?? {};
    return table[model] ?? table[appPrefix(model)] ?? options.inferenceMs ?? 0;
  };

  const queue = new JobQueue({
    workers: Math.max(1, Math.floor(options.workers ?? 4)),
    execute: createExecutor({
      files,
      baseUrl: () => baseUrl,
      inferenceMsFor,
      imageStyle: options.imageStyle ?? "preview",
      maxImagePixels: options.maxImagePixels ?? 4096 * 4096,
      onImageRendered: (ms) => {
        counters.imagesRendered += 1;
        counters.renderMsTotal += ms;
      },
    }),
    onComplete: (job) => {
      if (job.webhookUrl && !closing) void deliverWebhook(job, job.webhookUrl);
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

  // -------------------------------------------------------------------------------------------
  // URLs and status bodies

  const requestUrls = (
    job: Job,
  ): { response_url: string; status_url: string; cancel_url: string } => {
    const base = `${baseUrl}/queue/${job.app}/requests/${job.id}`;
    return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
  };

  const statusBody = (job: Job, logs: unknown[]): Record<string, unknown> => {
    const body: Record<string, unknown> = {
      status: job.status,
      request_id: job.id,
      ...requestUrls(job),
    };
    if (job.status === "IN_QUEUE") body.queue_position = queue.position(job) ?? 0;
    else body.logs = logs;
    if (job.status === "COMPLETED") {
      body.metrics = { inference_time: job.inferenceSeconds ?? 0 };
      if (job.result && job.result.status >= 400) {
        body.error = job.result.error ?? `Invalid status code: ${job.result.status}`;
        if (job.result.errorType) body.error_type = job.result.errorType;
      }
    }
    return body;
  };

  /** Finds a queue request addressed as /{app or endpoint id}/requests/{id}. */
  const findJob = (route: Route): Job | undefined => {
    const job = route.requestId ? queue.get(route.requestId) : undefined;
    if (!job || !route.model) return undefined;
    return route.model === job.app || route.model === job.model ? job : undefined;
  };

  // -------------------------------------------------------------------------------------------
  // Writing answers

  function baseHeaders(requestId: string, contentType = JSON_TYPE): Record<string, string> {
    return {
      "content-type": contentType,
      "x-fal-request-id": requestId,
      "access-control-allow-origin": "*",
      "access-control-expose-headers": CORS_EXPOSE,
    };
  }

  function countStatus(status: number): void {
    counters.byStatus[String(status)] = (counters.byStatus[String(status)] ?? 0) + 1;
  }

  function send(
    req: IncomingMessage,
    res: ServerResponse,
    reply: Reply,
    requestId: string,
    mutation: Mutation,
  ): void {
    if (res.headersSent || res.destroyed) return;
    // JSON answers never echo the API key (e.g. a key pasted into a URL that a 404 repeats).
    let bytes = reply.raw ?? Buffer.from(redact(JSON.stringify(reply.body ?? null)));
    const headers = {
      ...baseHeaders(reply.requestId ?? requestId, reply.contentType ?? JSON_TYPE),
      ...(reply.headers ?? {}),
    };
    if (mutation === "brokenJson") {
      let cut = bytes.subarray(0, Math.floor(bytes.length / 2));
      if (cut.length < 2) cut = Buffer.from('{"detail":');
      bytes = cut;
    }
    countStatus(reply.status);
    const isHead = req.method === "HEAD";
    if (mutation === "truncateBody") {
      const full = Math.max(bytes.length, 2);
      res.writeHead(reply.status, { ...headers, "content-length": String(full) });
      res.write(isHead ? Buffer.alloc(0) : bytes.subarray(0, Math.floor(bytes.length / 2)), () =>
        res.socket?.destroy(),
      );
      return;
    }
    res.writeHead(reply.status, { ...headers, "content-length": String(bytes.length) });
    res.end(isHead ? undefined : bytes);
  }

  const json = (status: number, body: unknown, extra: Partial<Reply> = {}): Reply => ({
    status,
    body,
    ...extra,
  });

  // -------------------------------------------------------------------------------------------
  // Body reading with a size limit

  type BodyResult = { ok: true; data: Buffer } | { ok: false; drained: boolean };

  /**
   * Reads the body up to maxBodyBytes. An oversized body is drained (up to a bound) before the
   * 413 goes out, so clients that are still sending see the answer rather than a reset.
   */
  function readBody(req: IncomingMessage): Promise<BodyResult> {
    return new Promise((resolve) => {
      const drainLimit = Math.max(maxBodyBytes * 8, 64 * MiB);
      const declared = Number(req.headers["content-length"] ?? "0");
      let tooLarge = Number.isFinite(declared) && declared > maxBodyBytes;
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const finish = (result: BodyResult): void => {
        if (settled) return;
        settled = true;
        resolve(result);
      };
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) tooLarge = true;
        if (!tooLarge) {
          chunks.push(chunk);
          return;
        }
        chunks.length = 0;
        if (size > drainLimit) {
          req.pause();
          finish({ ok: false, drained: false });
        }
      });
      req.on("end", () =>
        finish(tooLarge ? { ok: false, drained: true } : { ok: true, data: Buffer.concat(chunks) }),
      );
      req.on("error", () => finish({ ok: false, drained: false }));
      req.on("close", () => finish({ ok: false, drained: false }));
    });
  }

  function parseJson(data: Buffer): { ok: true; value: unknown } | { ok: false; message: string } {
    if (data.length === 0) return { ok: true, value: undefined };
    try {
      return { ok: true, value: JSON.parse(data.toString("utf8")) };
    } catch (error) {
      return { ok: false, message: error instanceof Error ? error.message : "Invalid JSON" };
    }
  }

  // -------------------------------------------------------------------------------------------
  // Auth

  const expectedAuth = requiredKey ? Buffer.from(`Key ${requiredKey}`) : undefined;
  function authorized(req: IncomingMessage): boolean {
    if (!expectedAuth) return true;
    const given = Buffer.from(headerValue(req.headers.authorization) ?? "");
    return given.length === expectedAuth.length && timingSafeEqual(given, expectedAuth);
  }

  // -------------------------------------------------------------------------------------------
  // Recording

  function record(
    req: IncomingMessage,
    route: Route,
    body: unknown,
    bodyBytes: number,
  ): RecordedRequest {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name === "authorization" || name === "proxy-authorization" || value === undefined)
        continue;
      headers[name] = redact(Array.isArray(value) ? value.join(", ") : value);
    }
    const entry: RecordedRequest = {
      time: new Date().toISOString(),
      method: req.method ?? "GET",
      operation: route.operation,
      path: redact(route.path),
      query: Object.fromEntries([...route.query].map(([k, v]) => [redact(k), redact(v)])),
      proxied: route.proxied,
      body: redactDeep(body),
      bodyBytes,
      headers,
    };
    if (route.model !== undefined) entry.model = redact(route.model);
    if (route.requestId !== undefined) entry.requestId = redact(route.requestId);
    recorded.push(entry);
    if (recorded.length > maxRecorded) recorded.splice(0, recorded.length - maxRecorded);
    return entry;
  }

  // -------------------------------------------------------------------------------------------
  // Operations

  function modelNotFound(model: string): Reply {
    return json(404, { detail: `Application '${model}' not found` });
  }

  function startTimeoutSeconds(req: IncomingMessage): number | undefined {
    const v = headerValue(req.headers["x-fal-request-timeout"]);
    if (v === undefined) return undefined;
    const n = Number.parseFloat(v);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  }

  async function handleRun(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    body: unknown,
  ): Promise<Reply> {
    const model = route.model as string;
    if (!getModel(model)) return modelNotFound(model);
    const timeout = startTimeoutSeconds(req);
    const job = queue.enqueue({
      model,
      app: appPrefix(model),
      kind: "run",
      body,
      ...(timeout !== undefined ? { startTimeoutSeconds: timeout } : {}),
    });
    // If the caller goes away, free the worker.
    const onClose = (): void => {
      if (job.status !== "COMPLETED") queue.cancelJob(job);
    };
    res.on("close", onClose);
    await job.done;
    res.off("close", onClose);
    const result = job.result ?? { status: 500, body: { detail: "Internal Server Error" } };
    return {
      status: result.status,
      body: result.body,
      headers: result.headers ?? {},
      requestId: job.id,
    };
  }

  function handleSubmit(req: IncomingMessage, route: Route, body: unknown): Reply {
    const model = route.model as string;
    if (!getModel(model)) return modelNotFound(model);
    const webhook = route.query.get("fal_webhook") ?? undefined;
    if (webhook !== undefined && !isDeliverableWebhookUrl(webhook)) {
      return json(400, { detail: "fal_webhook must be an absolute http(s) URL" });
    }
    const timeout = startTimeoutSeconds(req);
    const job = queue.enqueue({
      model,
      app: appPrefix(model),
      kind: "queue",
      body,
      ...(webhook !== undefined ? { webhookUrl: webhook } : {}),
      ...(timeout !== undefined ? { startTimeoutSeconds: timeout } : {}),
    });
    const answer: Record<string, unknown> = {
      status: "IN_QUEUE",
      request_id: job.id,
      ...requestUrls(job),
      queue_position: queue.position(job) ?? 0,
    };
    if (webhook !== undefined) answer.gateway_request_id = job.id;
    return json(200, answer, { requestId: job.id });
  }

  function handleStatus(route: Route): Reply {
    const job = findJob(route);
    if (!job) return json(404, { detail: `Request ${route.requestId ?? ""} not found` });
    const body = statusBody(job, truthyLogs(route.query.get("logs")) ? [...job.logs] : []);
    return json(job.status === "COMPLETED" ? 200 : 202, body, { requestId: job.id });
  }

  function handleResult(route: Route): Reply {
    const job = findJob(route);
    if (!job) return json(404, { detail: `Request ${route.requestId ?? ""} not found` });
    if (job.status !== "COMPLETED" || !job.result)
      return json(400, { detail: "Request is still in progress" }, { requestId: job.id });
    return {
      status: job.result.status,
      body: job.result.body,
      headers: job.result.headers ?? {},
      requestId: job.id,
    };
  }

  function handleCancel(route: Route): Reply {
    counters.cancelsReceived += 1;
    const job = findJob(route);
    if (!job) return json(404, { status: "NOT_FOUND" });
    const outcome = queue.cancelJob(job);
    if (outcome === "ALREADY_COMPLETED")
      return json(400, { status: "ALREADY_COMPLETED" }, { requestId: job.id });
    log(`cancelled ${job.id}`);
    return json(202, { status: "CANCELLATION_REQUESTED" }, { requestId: job.id });
  }

  function handleStream(res: ServerResponse, route: Route, mutation: Mutation): Reply | undefined {
    const job = findJob(route);
    if (!job) return json(404, { detail: `Request ${route.requestId ?? ""} not found` });
    const withLogs = truthyLogs(route.query.get("logs"));
    countStatus(200);
    res.writeHead(200, {
      ...baseHeaders(job.id, "text/event-stream"),
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    res.flushHeaders();
    if (mutation === "brokenJson") {
      res.end('data: {"status": "IN_PROGRESS", "request_id\n\n');
      return undefined;
    }
    if (mutation === "truncateBody") {
      res.write(`data: ${JSON.stringify(statusBody(job, [])).slice(0, 20)}`, () =>
        res.socket?.destroy(),
      );
      return undefined;
    }
    let sentLogs = 0;
    let lastKey = "";
    let ended = false;
    const end = (abrupt = false): void => {
      if (ended) return;
      ended = true;
      clearInterval(keepalive);
      job.listeners.delete(push);
      streamClosers.delete(end);
      if (abrupt) res.destroy();
      else if (!res.writableEnded) res.end();
    };
    const push = (): void => {
      if (ended) return;
      const logs = withLogs ? job.logs.slice(sentLogs) : [];
      const key = `${job.status}|${queue.position(job) ?? ""}|${logs.length}`;
      if (key === lastKey && job.status !== "COMPLETED") return;
      lastKey = key;
      sentLogs += logs.length;
      res.write(`data: ${JSON.stringify(statusBody(job, logs))}\n\n`);
      if (job.status === "COMPLETED") end();
    };
    const keepalive = setInterval(() => {
      if (!ended) res.write(": keepalive\n\n");
    }, keepaliveMs);
    streamClosers.add(end);
    res.on("close", () => end());
    job.listeners.add(push);
    push();
    return undefined;
  }

  function handleUploadInitiate(body: unknown): Reply {
    const input =
      body !== null && typeof body === "object" && !Array.isArray(body)
        ? (body as Record<string, unknown>)
        : {};
    const contentType =
      typeof input.content_type === "string" && input.content_type
        ? input.content_type
        : "application/octet-stream";
    const fileName =
      typeof input.file_name === "string" && input.file_name
        ? input.file_name
        : `${Date.now()}.${extensionFor(contentType)}`;
    const pending = files.initiateUpload(contentType, fileName);
    return json(200, {
      upload_url: `${baseUrl}/upload/${pending.token}`,
      file_url: `${baseUrl}/files/${pending.key.split("/").map(encodeURIComponent).join("/")}`,
    });
  }

  function handleUpload(req: IncomingMessage, route: Route, data: Buffer): Reply {
    const file = files.completeUpload(
      route.uploadToken as string,
      data,
      headerValue(req.headers["content-type"]),
    );
    if (!file) return json(404, { detail: "Upload URL not found or expired" });
    counters.uploads += 1;
    return json(200, {
      file_url: `${baseUrl}/files/${file.key.split("/").map(encodeURIComponent).join("/")}`,
      size: data.length,
    });
  }

  function handleFile(route: Route, fault: FaultRule | undefined): Reply {
    if (fault && "notAnImage" in fault)
      return { status: 200, raw: NOT_AN_IMAGE, contentType: "text/html; charset=utf-8" };
    const file = files.get(route.fileKey as string);
    if (!file) return json(404, { detail: "File not found" });
    return {
      status: 200,
      raw: file.data,
      contentType: file.contentType,
      headers: {
        "cache-control": "public, max-age=3600",
        "x-content-type-options": "nosniff",
        "content-security-policy": "sandbox",
      },
    };
  }

  function handleInfo(): Reply {
    return json(200, {
      name: "local-fal",
      description: "Local fal-compatible server with a preview renderer (not a model).",
      models: [...MODELS.keys()],
      routes: [
        "/run/{model}",
        "/queue/{model}",
        "/rest/storage/upload/initiate",
        "/files/{name}",
        "/api/fal/proxy",
      ],
    });
  }

  // -------------------------------------------------------------------------------------------
  // The request handler

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (closingController.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        closingController.signal.removeEventListener("abort", done);
        resolve();
      }
      closingController.signal.addEventListener("abort", done, { once: true });
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = (req.method ?? "GET").toUpperCase();
    const fallbackId = randomUUID();
    counters.requests += 1;
    openResponses.add(res);
    res.on("close", () => openResponses.delete(res));
    let entry: RecordedRequest | undefined;
    let logLine = "";
    res.on("finish", () => {
      if (entry) entry.status = res.statusCode;
      log(
        redact(
          `${logLine || `${method} ${req.url ?? ""}`} -> ${res.statusCode} ${(performance.now() - started).toFixed(0)}ms`,
        ),
      );
    });

    const route = resolveRoute(method, req.url ?? "/", req.headers, selfOrigin);
    counters.byOperation[route.operation] = (counters.byOperation[route.operation] ?? 0) + 1;
    logLine = `${method} ${route.path}${route.proxied ? " (proxy)" : ""} [${route.operation}${route.model ? ` ${route.model}` : ""}]`;

    if (closing) {
      send(
        req,
        res,
        json(503, { detail: "Server is shutting down" }, { headers: { connection: "close" } }),
        fallbackId,
        undefined,
      );
      return;
    }

    // Body (bounded).
    let data: Buffer = Buffer.alloc(0);
    if (BODY_METHODS.has(method)) {
      const read = await readBody(req);
      if (!read.ok) {
        entry = record(req, route, undefined, 0);
        const headers: Record<string, string> = read.drained ? {} : { connection: "close" };
        send(
          req,
          res,
          json(413, { detail: `Request body is larger than ${maxBodyBytes} bytes` }, { headers }),
          fallbackId,
          undefined,
        );
        return;
      }
      data = read.data;
    } else {
      req.resume();
    }
    const binary = route.operation === "upload";
    const parsed = binary ? ({ ok: true, value: undefined } as const) : parseJson(data);
    entry = record(
      req,
      route,
      parsed.ok ? parsed.value : redact(data.toString("utf8").slice(0, 1000)),
      data.length,
    );

    if (route.operation === "preflight") {
      countStatus(204);
      res.writeHead(204, {
        ...baseHeaders(fallbackId),
        "access-control-allow-methods": "GET, HEAD, POST, PUT, OPTIONS",
        "access-control-allow-headers":
          headerValue(req.headers["access-control-request-headers"]) ??
          "authorization, content-type, accept, x-fal-target-url",
        "access-control-max-age": "600",
      });
      res.end();
      return;
    }
    if (route.error) {
      send(
        req,
        res,
        json(route.error.status, { detail: route.error.detail }),
        fallbackId,
        undefined,
      );
      return;
    }
    if (AUTH_OPERATIONS.has(route.operation) && !authorized(req)) {
      counters.unauthorized += 1;
      send(req, res, json(401, { detail: "Unauthorized" }), fallbackId, undefined);
      return;
    }

    // Faults.
    const fop = faultOperation(route.operation);
    let fault: FaultRule | undefined;
    if (fop) {
      const job = route.requestId ? queue.get(route.requestId) : undefined;
      const models = job
        ? [job.model, job.app]
        : route.model
          ? [route.model, appPrefix(route.model)]
          : [];
      fault = faults.take(fop, models);
    }
    let mutation: Mutation;
    if (fault) {
      counters.faultsInjected += 1;
      log(`fault injected on ${route.operation}: ${JSON.stringify({ ...fault, body: undefined })}`);
      if ("resetConnection" in fault) {
        counters.byStatus.reset = (counters.byStatus.reset ?? 0) + 1;
        req.socket.resetAndDestroy();
        return;
      }
      if ("hang" in fault) return; // close() or the client ends it
      if ("status" in fault) {
        send(
          req,
          res,
          json(fault.status, fault.body ?? { detail: "Injected fault" }, {
            headers: fault.headers ?? {},
          }),
          fallbackId,
          undefined,
        );
        return;
      }
      if ("delayMs" in fault) {
        await sleep(fault.delayMs);
        if (closing || res.destroyed) return;
      }
      if ("brokenJson" in fault) mutation = "brokenJson";
      if ("truncateBody" in fault) mutation = "truncateBody";
      if ("notAnImage" in fault && route.operation !== "file") {
        send(
          req,
          res,
          { status: 200, raw: NOT_AN_IMAGE, contentType: "text/html; charset=utf-8" },
          fallbackId,
          undefined,
        );
        return;
      }
    }

    // JSON bodies of the model calls.
    if ((route.operation === "run" || route.operation === "submit") && !parsed.ok) {
      if (getModel(route.model as string)) {
        send(
          req,
          res,
          json(422, { detail: jsonDecodeError(parsed.message) }),
          fallbackId,
          mutation,
        );
      } else send(req, res, modelNotFound(route.model as string), fallbackId, mutation);
      return;
    }
    const body = parsed.ok ? parsed.value : undefined;

    let reply: Reply | undefined;
    switch (route.operation) {
      case "run":
        reply = await handleRun(req, res, route, body);
        break;
      case "submit":
        reply = handleSubmit(req, route, body);
        break;
      case "status":
        reply = handleStatus(route);
        break;
      case "stream":
        reply = handleStream(res, route, mutation);
        break;
      case "result":
        reply = handleResult(route);
        break;
      case "cancel":
        reply = handleCancel(route);
        break;
      case "upload-initiate":
        reply = handleUploadInitiate(body);
        break;
      case "upload-multipart":
        reply = json(501, {
          detail: "Multipart uploads (files over 90 MB) are not supported by the local fal server",
        });
        break;
      case "upload":
        reply = handleUpload(req, route, data);
        break;
      case "token":
        reply = json(200, `local-fal.${randomBytes(24).toString("base64url")}`);
        break;
      case "file":
        reply = handleFile(route, fault);
        break;
      case "info":
        reply = handleInfo();
        break;
      default:
        reply = json(404, { detail: `Path ${route.path} not found` });
    }
    if (reply) send(req, res, reply, fallbackId, mutation);
  }

  // -------------------------------------------------------------------------------------------
  // Server lifecycle

  const sockets = new Set<Socket>();
  const httpServer = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`internal error: ${describeError(error)}`);
      if (!res.headersSent && !res.destroyed) {
        send(req, res, json(500, { detail: "Internal Server Error" }), randomUUID(), undefined);
      } else res.destroy();
    });
  });
  httpServer.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  httpServer.on("clientError", (_error, socket) => {
    if (socket.writable)
      socket.end(
        'HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"detail":"Bad Request"}',
      );
    else socket.destroy();
  });

  const listen = (): Promise<LocalFalServer> =>
    new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      httpServer.once("error", onError);
      httpServer.listen(options.port ?? 0, host, () => {
        httpServer.off("error", onError);
        const address = httpServer.address() as AddressInfo;
        const urlHost =
          host === "0.0.0.0" || host === "::" || host === ""
            ? "127.0.0.1"
            : host.includes(":")
              ? `[${host}]`
              : host;
        selfOrigin = `http://${urlHost}:${address.port}`;
        if (!baseUrl) baseUrl = selfOrigin;
        log(
          `listening on ${selfOrigin} (workers=${queue.workers}, inferenceMs=${options.inferenceMs ?? 0})`,
        );
        let closePromise: Promise<void> | undefined;
        resolve({
          url: baseUrl,
          port: address.port,
          setFaults: (rules) => faults.set(rules),
          stats: () => ({
            requests: counters.requests,
            byOperation: { ...counters.byOperation },
            byStatus: { ...counters.byStatus },
            unauthorized: counters.unauthorized,
            cancelsReceived: counters.cancelsReceived,
            faultsInjected: counters.faultsInjected,
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
          requests: () => recorded.map((r) => structuredClone(r)),
          clearRequests: () => {
            recorded.length = 0;
          },
          close: () => {
            if (!closePromise) {
              closing = true;
              closePromise = new Promise<void>((done) => {
                closingController.abort();
                for (const end of [...streamClosers]) end(true);
                queue.close();
                webhooks.abortAll();
                httpServer.close(() => {
                  files.clear();
                  done();
                });
                for (const res of openResponses) if (!res.writableEnded) res.destroy();
                httpServer.closeAllConnections();
                for (const socket of sockets) socket.destroy();
              });
            }
            return closePromise;
          },
        });
      });
    });

  return { httpServer, listen };
}

/** Starts a local fal server and resolves once it is listening. */
export async function startLocalFalServer(
  options: LocalFalServerOptions = {},
): Promise<LocalFalServer> {
  return createLocalFalServer(options).listen();
}
