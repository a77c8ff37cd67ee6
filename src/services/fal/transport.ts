// fal's protocol over HTTP: sync run, queue (submit, status, SSE status stream, result, cancel).
// Built on an injectable `fetch` (our equivalent of Pipecat's aiohttp session), with AbortSignal
// everywhere, per-attempt timeouts, and retries that honour Retry-After. The generic parts (fetch
// failures, body reading, Retry-After, SSE, backoff) live in utils/; this file maps them to fal's
// paths, headers and typed errors.
import { LinkedAbort, onAbort } from "../../utils/abort.js";
import { PipecatError, describeError } from "../../utils/errors.js";
import {
  asRecord,
  classifyFetchError,
  discardBody,
  parseRetryAfter,
  readErrorBody,
  readJsonBody,
  type JsonBody,
} from "../../utils/http.js";
import { logger } from "../../utils/logger.js";
import { redactValue } from "../../utils/secrets.js";
import { readServerSentEvents } from "../../utils/sse.js";
import { FalApiError, FalNetworkError, FalResponseError, FalTimeoutError } from "./errors.js";
import { parseModelId } from "./models.js";
import { DEFAULT_RETRY_POLICY, falPolicyFor, withRetries, type RetryPolicy } from "./retry.js";

export const FAL_RUN_URL = "https://fal.run";
export const FAL_QUEUE_URL = "https://queue.fal.run";
const USER_AGENT = "pipecat-ts";

export interface FalEndpoints {
  /** Where sync runs go: `{runUrl}/{model}`. */
  runUrl: string;
  /** Where queue calls go: `{queueUrl}/{model}`, `{queueUrl}/{owner}/{alias}/requests/{id}...`. */
  queueUrl: string;
}

/**
 * fal's hosts, or a fal-compatible server at `baseUrl` laid out as `{baseUrl}/run/...` and
 * `{baseUrl}/queue/...` (the local server's layout).
 */
export function falEndpoints(baseUrl?: string): FalEndpoints {
  if (!baseUrl) return { runUrl: FAL_RUN_URL, queueUrl: FAL_QUEUE_URL };
  const base = baseUrl.replace(/\/+$/, "");
  return { runUrl: `${base}/run`, queueUrl: `${base}/queue` };
}

export type FalQueueState = "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED";

export interface FalLog {
  message: string;
  level?: string;
  timestamp?: string;
}

export interface FalQueueStatus {
  status: FalQueueState;
  requestId: string;
  queuePosition?: number;
  logs: FalLog[];
}

export interface FalResponse {
  data: unknown;
  requestId: string | undefined;
  /** HTTP attempts it took (1 = no retry). */
  attempts: number;
}

export interface FalSubmitted {
  requestId: string;
  queuePosition: number | undefined;
  status: FalQueueState;
  attempts: number;
}

export interface FalTransportOptions {
  /** The HTTP layer; default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Returns the key at call time (so runtime key changes apply); undefined sends no Authorization. */
  credentials: () => string | undefined;
  endpoints: FalEndpoints;
  retry?: Partial<RetryPolicy>;
  /** Deadline for one HTTP attempt (sync runs include the inference). Default 60 s. */
  httpTimeoutMs?: number;
  onRetry?: (info: { operation: string; attempt: number; delayMs: number; error: unknown }) => void;
}

interface CallOptions {
  signal?: AbortSignal;
}

export const DEFAULT_HTTP_TIMEOUT_MS = 60_000;
/** How long a best-effort cancel may take before it is given up. */
const CANCEL_TIMEOUT_MS = 5_000;

export class FalTransport {
  readonly #fetch: typeof fetch;
  readonly #credentials: () => string | undefined;
  readonly #endpoints: FalEndpoints;
  readonly #policy: RetryPolicy;
  readonly #httpTimeoutMs: number;
  readonly #onRetry: FalTransportOptions["onRetry"];

  constructor(options: FalTransportOptions) {
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#credentials = options.credentials;
    this.#endpoints = options.endpoints;
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#httpTimeoutMs = options.httpTimeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
    this.#onRetry = options.onRetry;
  }

  get endpoints(): FalEndpoints {
    return this.#endpoints;
  }

  /** `POST {run}/{model}`: the model output in one call. */
  async run(
    model: string,
    input: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<FalResponse> {
    const url = `${this.#endpoints.runUrl}/${parseModelId(model).submitPath}`;
    // Re-sent on 429/5xx answers, but not after a reset or timeout: fal may be running it already.
    const { value, attempts } = await this.#retrying("run", false, options.signal, () =>
      this.#json("run", url, { method: "POST", body: JSON.stringify(input) }, options.signal),
    );
    return { ...value, attempts };
  }

  /** `POST {queue}/{model}`: queues a request. Never re-sent once fal may have accepted it. */
  async submit(
    model: string,
    input: Record<string, unknown>,
    options: CallOptions & {
      webhookUrl?: string;
      startTimeoutSeconds?: number;
      headers?: Record<string, string>;
    } = {},
  ): Promise<FalSubmitted> {
    const query = options.webhookUrl
      ? `?fal_webhook=${encodeURIComponent(options.webhookUrl)}`
      : "";
    const url = `${this.#endpoints.queueUrl}/${parseModelId(model).submitPath}${query}`;
    const headers: Record<string, string> = {
      "x-fal-queue-priority": "normal",
      ...options.headers,
    };
    if (options.startTimeoutSeconds !== undefined)
      headers["x-fal-request-timeout"] = String(options.startTimeoutSeconds);
    const caller = options.signal;
    if (caller?.aborted) throw caller.reason;
    // Once a submit is on the wire fal may queue the request whether or not we still listen, and
    // only its answer names the request to cancel. So an abort does not cut the attempt in flight
    // (its own timeout still bounds it; no new attempt starts): the caller is released at once
    // and whatever fal queued is cancelled when the answer comes.
    const answer = this.#retrying("submit", false, caller, () =>
      this.#json(
        "submit",
        url,
        { method: "POST", body: JSON.stringify(input), headers },
        undefined,
      ),
    ).then(({ value, attempts }): FalSubmitted => {
      const body = asRecord(value.data);
      const requestId = typeof body?.request_id === "string" ? body.request_id : value.requestId;
      if (!requestId) throw new FalResponseError("fal submit answered without a request_id");
      return {
        requestId,
        queuePosition: typeof body?.queue_position === "number" ? body.queue_position : undefined,
        status: parseState(body?.status) ?? "IN_QUEUE",
        attempts,
      };
    });
    if (!caller) return answer;
    return new Promise<FalSubmitted>((resolve, reject) => {
      const unregister = onAbort(caller, () => {
        reject(caller.reason);
        answer.then(
          (late) => {
            if (late.status !== "COMPLETED") void this.cancel(model, late.requestId);
          },
          () => undefined, // it failed: nothing was queued, or nothing we could name
        );
      });
      answer.then(
        (submitted) => {
          unregister();
          resolve(submitted);
        },
        (error: unknown) => {
          unregister();
          reject(error);
        },
      );
    });
  }

  /** `GET .../requests/{id}/status`. */
  async status(
    model: string,
    requestId: string,
    options: CallOptions & { logs?: boolean } = {},
  ): Promise<FalQueueStatus> {
    const url = `${this.#requestUrl(model, requestId)}/status?logs=${options.logs ? 1 : 0}`;
    const { value } = await this.#retrying("status", true, options.signal, () =>
      this.#json("status", url, { method: "GET" }, options.signal),
    );
    return parseStatus(value.data, requestId);
  }

  /**
   * `GET .../requests/{id}/status/stream`: yields each status until COMPLETED. Throws
   * FalResponseError when the server does not speak SSE there, so the caller can fall back to
   * polling.
   */
  async *streamStatus(
    model: string,
    requestId: string,
    options: CallOptions & { logs?: boolean } = {},
  ): AsyncGenerator<FalQueueStatus> {
    const url = `${this.#requestUrl(model, requestId)}/status/stream?logs=${options.logs ? 1 : 0}`;
    // No per-attempt timeout here: the stream lives as long as the request; the caller's signal
    // bounds it.
    const response = await this.#send(
      "stream",
      url,
      { method: "GET", headers: { accept: "text/event-stream" } },
      options.signal,
      options.signal,
    );
    if (!response.ok) throw await this.#apiError("stream", response);
    const type = response.headers.get("content-type") ?? "";
    if (!type.includes("text/event-stream") || !response.body) {
      await discardBody(response);
      throw new FalResponseError(
        `fal status stream answered with content-type "${type}", not text/event-stream`,
      );
    }
    for await (const data of readServerSentEvents(response.body)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch (cause) {
        throw new FalResponseError("fal status stream sent an event that is not JSON", { cause });
      }
      const status = parseStatus(parsed, requestId);
      yield status;
      if (status.status === "COMPLETED") return;
    }
  }

  /** `GET .../requests/{id}`: the output, or the model's error replayed. */
  async result(model: string, requestId: string, options: CallOptions = {}): Promise<FalResponse> {
    const url = this.#requestUrl(model, requestId);
    const { value, attempts } = await this.#retrying("result", true, options.signal, () =>
      this.#json("result", url, { method: "GET" }, options.signal),
    );
    return { ...value, attempts };
  }

  /** `PUT .../requests/{id}/cancel`. Best effort: resolves to whether fal accepted it; never throws. */
  async cancel(
    model: string,
    requestId: string,
    options: { timeoutMs?: number } = {},
  ): Promise<boolean> {
    const url = `${this.#requestUrl(model, requestId)}/cancel`;
    const linked = new LinkedAbort([], { timeoutMs: options.timeoutMs ?? CANCEL_TIMEOUT_MS });
    try {
      const response = await this.#send("cancel", url, { method: "PUT" }, undefined, linked.signal);
      await discardBody(response);
      if (!response.ok)
        logger.info(`fal cancel of request ${requestId} answered HTTP ${response.status}`);
      return response.ok;
    } catch (error) {
      // Best effort: the caller has already given up on this request; say why fal was not told.
      logger.info(`fal cancel of request ${requestId} failed: ${describeError(error)}`);
      return false;
    } finally {
      linked.dispose();
    }
  }

  #requestUrl(model: string, requestId: string): string {
    return `${this.#endpoints.queueUrl}/${parseModelId(model).requestsPrefix}/requests/${encodeURIComponent(requestId)}`;
  }

  #retrying<T>(
    operation: string,
    idempotent: boolean,
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
  ): Promise<{ value: T; attempts: number }> {
    return withRetries(call, falPolicyFor(operation, this.#policy), {
      idempotent,
      signal,
      onRetry: (info) => this.#onRetry?.({ operation, ...info }),
    });
  }

  /** One attempt: send, then read the JSON body, all within the per-attempt timeout. */
  async #json(
    operation: string,
    url: string,
    init: RequestInit,
    signal: AbortSignal | undefined,
  ): Promise<{ data: unknown; requestId: string | undefined }> {
    const attempt = new LinkedAbort([signal], {
      timeoutMs: this.#httpTimeoutMs,
      timeoutReason: () => new FalTimeoutError(`fal ${operation}`, this.#httpTimeoutMs),
    });
    try {
      const response = await this.#send(operation, url, init, signal, attempt.signal);
      if (!response.ok) throw await this.#apiError(operation, response);
      const requestId = response.headers.get("x-fal-request-id") ?? undefined;
      let body: JsonBody;
      try {
        body = await readJsonBody(response);
      } catch (cause) {
        throw translateFetchError(operation, cause, signal, this.#httpTimeoutMs, false);
      }
      if (!body.ok) {
        throw new FalResponseError(
          `fal ${operation} answered HTTP ${response.status} with a body that is not JSON`,
          { cause: body.error },
        );
      }
      return { data: body.value, requestId };
    } finally {
      attempt.dispose();
    }
  }

  /** Sends with fal's headers. `callerSignal` is the caller's own (for telling its abort apart); `signal` may add a deadline. */
  async #send(
    operation: string,
    url: string,
    init: RequestInit,
    callerSignal: AbortSignal | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const headers: Record<string, string> = {
      accept: "application/json",
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      ...(init.headers as Record<string, string> | undefined),
    };
    const key = this.#credentials();
    if (key) headers.authorization = `Key ${key}`;
    try {
      return await this.#fetch(url, { ...init, headers, signal });
    } catch (cause) {
      throw translateFetchError(operation, cause, callerSignal, this.#httpTimeoutMs, true);
    }
  }

  async #apiError(operation: string, response: Response): Promise<FalApiError> {
    // fal's errors are `{"detail": ...}`; gateways may answer with any JSON, or with text.
    const body = await readErrorBody(response);
    const record = asRecord(body);
    const detail = record && "detail" in record ? record.detail : body;
    return new FalApiError({
      status: response.status,
      // A misbehaving server could echo our Authorization header back: never let the key through.
      detail: redactValue(detail, [this.#credentials()]),
      requestId: response.headers.get("x-fal-request-id") ?? undefined,
      retryAfterMs: parseRetryAfter(response.headers.get("retry-after")),
      userTimeout:
        response.status === 504 && response.headers.get("x-fal-request-timeout-type") === "user",
      operation,
    });
  }
}

/** Maps what fetch (or a body read) throws to fal's typed errors. The caller's own abort is re-thrown as is. */
function translateFetchError(
  operation: string,
  cause: unknown,
  callerSignal: AbortSignal | undefined,
  timeoutMs: number,
  beforeResponse: boolean,
): unknown {
  const failure = classifyFetchError(cause, { callerSignal, beforeResponse });
  if (failure.kind === "aborted") return failure.reason;
  // Our own per-attempt deadline aborts with a FalTimeoutError as its reason.
  if (cause instanceof PipecatError) return cause;
  if (failure.kind === "timeout") return new FalTimeoutError(`fal ${operation}`, timeoutMs);
  const reason = failure.code ? ` (${failure.code})` : "";
  return new FalNetworkError(`fal ${operation} failed: network error${reason}`, {
    cause,
    notSent: failure.notSent,
  });
}

function parseState(value: unknown): FalQueueState | undefined {
  return value === "IN_QUEUE" || value === "IN_PROGRESS" || value === "COMPLETED"
    ? value
    : undefined;
}

function parseStatus(body: unknown, requestId: string): FalQueueStatus {
  const record = asRecord(body);
  const status = parseState(record?.status);
  if (!record || !status)
    throw new FalResponseError(`fal status for request ${requestId} is not a known status`);
  const logs = Array.isArray(record.logs)
    ? record.logs
        .map(asRecord)
        .filter(
          (l): l is Record<string, unknown> => l !== undefined && typeof l.message === "string",
        )
        .map((l) => ({
          message: l.message as string,
          ...(typeof l.level === "string" ? { level: l.level } : {}),
          ...(typeof l.timestamp === "string" ? { timestamp: l.timestamp } : {}),
        }))
    : [];
  return {
    status,
    requestId: typeof record.request_id === "string" ? record.request_id : requestId,
    ...(typeof record.queue_position === "number" ? { queuePosition: record.queue_position } : {}),
    logs,
  };
}
