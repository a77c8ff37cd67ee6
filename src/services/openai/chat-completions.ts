// OpenAI's Chat Completions protocol over fetch: the request body Pipecat sends, the SSE stream
// read into LLMStreamParts, OpenAI's error shape, and retries. Thin over utils/ (http.ts for fetch
// failures, error bodies and Retry-After; retry.ts for the backoff; sse.ts for the stream), as the
// Vercel AI SDK's providers are over provider-utils. Works with any OpenAI-compatible server.
import type { LLMContext, LLMContextMessage } from "../../frames/llm.js";
import type { LLMTokenUsage } from "../../frames/metrics.js";
import { LinkedAbort, sleep } from "../../utils/abort.js";
import {
  asRecord,
  checkBaseUrl,
  classifyFetchError,
  discardBody,
  readErrorBody,
  retryAfterMsOf,
} from "../../utils/http.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryDelayMs } from "../../utils/retry.js";
import { redactText } from "../../utils/secrets.js";
import { ServerSentEventsError, readServerSentEvents } from "../../utils/sse.js";
import type { LLMStreamPart } from "../llm-service.js";
import {
  OpenAIApiError,
  OpenAINetworkError,
  OpenAIResponseError,
  OpenAITimeoutError,
} from "./errors.js";
import type { OpenAILLMSettings } from "./settings.js";

export const OPENAI_BASE_URL = "https://api.openai.com/v1";
/** Default for `timeoutMs`: how long the service waits for the response to start, or for the stream's next bytes. */
export const DEFAULT_OPENAI_TIMEOUT_MS = 60_000;
const USER_AGENT = "pipecat-ts";
/** The data of the event that ends an OpenAI stream. */
const DONE = "[DONE]";
/** How much of an event that is not JSON an error quotes, in characters. */
const BAD_EVENT_QUOTED_CHARS = 80;

/**
 * OpenAI SDK's retry schedule (2 retries, 0.5 s doubling up to 8 s), on 429 and 5xx only: a 4xx
 * other than 429 is the request's own fault and is never sent again.
 */
export const OPENAI_RETRY_POLICY: RetryPolicy = Object.freeze({
  ...DEFAULT_RETRY_POLICY,
  maxRetries: 2,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
  retryableStatuses: Object.freeze([429, 500, 502, 503, 504]),
});

/** `baseUrl` without trailing slashes, checked to be http(s). Throws a SettingsValidationError naming `field`. */
export function normalizeBaseUrl(baseUrl: string, field = "baseUrl"): string {
  return checkBaseUrl(field, baseUrl);
}

/**
 * The request body, as Pipecat's build_chat_completion_params makes it: the model, streaming with
 * usage, each optional parameter only when set (not null), the messages (after a system message
 * holding `systemInstruction`, when set), tools and tool_choice when the context has them, and
 * `extra` merged last.
 */
export function buildChatCompletionBody(
  context: LLMContext,
  settings: OpenAILLMSettings,
): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: settings.model,
    stream: true,
    stream_options: { include_usage: true },
  };
  const optional: [string, unknown][] = [
    ["frequency_penalty", settings.frequencyPenalty],
    ["presence_penalty", settings.presencePenalty],
    ["seed", settings.seed],
    ["temperature", settings.temperature],
    ["top_p", settings.topP],
    ["max_tokens", settings.maxTokens],
    ["max_completion_tokens", settings.maxCompletionTokens],
    ["service_tier", settings.serviceTier],
  ];
  for (const [key, value] of optional) {
    if (typeof value === "number" || typeof value === "string") body[key] = value;
  }
  const messages: LLMContextMessage[] = context.getMessages();
  const instruction = settings.systemInstruction;
  if (typeof instruction === "string" && instruction !== "")
    messages.unshift({ role: "system", content: instruction });
  body.messages = messages;
  if (context.tools !== undefined && context.tools.length > 0) body.tools = context.tools;
  if (context.toolChoice !== undefined) body.tool_choice = context.toolChoice;
  for (const [key, value] of Object.entries(settings.extra)) body[key] = value;
  return body;
}

export interface ChatCompletionsClientOptions {
  /** Default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined;
  /** The key at call time; undefined sends no Authorization header. */
  apiKey: () => string | undefined;
  /** Without trailing slash, e.g. "https://api.openai.com/v1". */
  baseUrl: string;
  /** `OpenAI-Organization`, `OpenAI-Project`, and any other headers to send. */
  headers?: Record<string, string> | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  timeoutMs?: number | undefined;
  onRetry?: ((info: { attempt: number; delayMs: number; error: unknown }) => void) | undefined;
  /** Injected for tests: how to wait between attempts. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}

export interface StreamOptions {
  signal: AbortSignal;
}

/** Streams chat completions from `{baseUrl}/chat/completions`. */
export class ChatCompletionsClient {
  readonly #fetch: typeof fetch;
  readonly #apiKey: () => string | undefined;
  readonly #url: string;
  readonly #headers: Record<string, string>;
  readonly #policy: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #onRetry: ChatCompletionsClientOptions["onRetry"];
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: ChatCompletionsClientOptions) {
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#apiKey = options.apiKey;
    this.#url = `${options.baseUrl}/chat/completions`;
    this.#headers = { ...options.headers };
    this.#policy = { ...OPENAI_RETRY_POLICY, ...options.retry };
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_OPENAI_TIMEOUT_MS;
    this.#onRetry = options.onRetry;
    this.#sleep = options.sleep ?? sleep;
  }

  get url(): string {
    return this.#url;
  }

  /**
   * POSTs `body` and yields the stream's parts. Retries (429, 5xx, network failures and timeouts,
   * honouring Retry-After and `x-should-retry: false`) only while nothing of the reply has been
   * yielded: once text (or a tool call) went out, a failure is thrown, since sending the request
   * again would repeat a reply that was already partly delivered. Never retries after an abort.
   */
  async *stream(
    body: Record<string, unknown>,
    options: StreamOptions,
  ): AsyncGenerator<LLMStreamPart> {
    const { signal } = options;
    const rules = {
      isRetryable: (error: unknown) => this.#isRetryable(error),
      retryAfterMs: (error: unknown) =>
        error instanceof OpenAIApiError ? error.retryAfterMs : undefined,
    };
    for (let attempt = 0; ; attempt++) {
      let delivered = false;
      try {
        for await (const part of this.#attempt(body, signal)) {
          if (part.type === "text-delta" || part.type === "tool-call-delta") delivered = true;
          yield part;
        }
        return;
      } catch (error) {
        if (delivered || signal.aborted || attempt >= this.#policy.maxRetries) throw error;
        const delayMs = retryDelayMs(error, attempt, this.#policy, rules);
        if (delayMs === undefined) throw error;
        this.#onRetry?.({ attempt: attempt + 1, delayMs, error });
        await this.#sleep(delayMs, signal);
      }
    }
  }

  #isRetryable(error: unknown): boolean {
    if (error instanceof OpenAIApiError) {
      if (error.shouldRetry === false || error.category === "quota") return false;
      if (error.status !== undefined) return this.#policy.retryableStatuses.includes(error.status);
      // Reported inside the stream (before any text): the server's trouble, worth another try.
      return error.category === "server" || error.category === "rate_limit";
    }
    return error instanceof OpenAINetworkError || error instanceof OpenAITimeoutError;
  }

  /** One HTTP attempt: send, check the status, then read the stream into parts. */
  async *#attempt(
    body: Record<string, unknown>,
    signal: AbortSignal,
  ): AsyncGenerator<LLMStreamPart> {
    const idle = new IdleDeadline(this.#timeoutMs);
    const linked = new LinkedAbort([signal, idle.signal]);
    try {
      let response: Response;
      try {
        response = await this.#fetch(this.#url, {
          method: "POST",
          headers: this.#requestHeaders(),
          body: JSON.stringify(body),
          signal: linked.signal,
        });
      } catch (error) {
        throw this.#failure(error, signal, idle, true);
      }
      const requestId = response.headers.get("x-request-id") ?? undefined;
      if (!response.ok) throw await this.#apiError(response, requestId);
      if (response.body === null) {
        throw new OpenAIResponseError(
          `OpenAI chat completion answered HTTP ${response.status} without a body`,
        );
      }
      idle.touch();
      // A server that ignored `stream: true` (or a proxy's JSON error with a 200): say so plainly
      // instead of reading JSON as an empty event stream.
      const type = response.headers.get("content-type") ?? "";
      if (type.includes("application/json"))
        throw await this.#jsonInsteadOfStream(response, requestId);
      yield* this.#parts(response.body, requestId, signal, idle);
    } finally {
      linked.dispose();
      idle.dispose();
    }
  }

  async *#parts(
    body: ReadableStream<Uint8Array>,
    requestId: string | undefined,
    signal: AbortSignal,
    idle: IdleDeadline,
  ): AsyncGenerator<LLMStreamPart> {
    let started = false;
    let finished = false;
    let done = false;
    const events = readServerSentEvents(body, { doneData: DONE, onChunk: () => idle.touch() });
    try {
      for await (const data of events) {
        if (data === DONE) {
          done = true;
          break;
        }
        if (data.trim() === "") continue;
        const chunk = parseChunk(data, [this.#apiKey()]);
        if (chunk.error !== undefined && chunk.error !== null)
          throw errorFromBody(chunk, { requestId, secrets: [this.#apiKey()] });
        const usage = usageOf(chunk.usage);
        if (usage !== undefined) yield { type: "usage", usage };
        const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
        const choice = asRecord(choices[0]);
        if (choice === undefined) continue;
        if (!started) {
          started = true;
          yield {
            type: "response-metadata",
            id: typeof chunk.id === "string" ? chunk.id : undefined,
            model: typeof chunk.model === "string" ? chunk.model : undefined,
          };
        }
        const delta = asRecord(choice.delta);
        const content = delta?.content;
        if (typeof content === "string" && content !== "")
          yield { type: "text-delta", text: content };
        const toolCalls = delta?.tool_calls;
        if (Array.isArray(toolCalls) && toolCalls.length > 0) {
          const name = asRecord(asRecord(toolCalls[0])?.function)?.name;
          yield { type: "tool-call-delta", name: typeof name === "string" ? name : undefined };
        }
        if (typeof choice.finish_reason === "string") {
          finished = true;
          yield { type: "finish", finishReason: choice.finish_reason };
        }
      }
    } catch (error) {
      if (error instanceof OpenAIApiError || error instanceof OpenAIResponseError) throw error;
      throw this.#failure(error, signal, idle, false);
    }
    // Servers that end the response without [DONE] are fine once the reply said it was complete.
    if (!done && !finished && !signal.aborted) {
      throw new OpenAIResponseError(
        "OpenAI chat completion stream ended before the reply was complete (no finish_reason, no [DONE])",
      );
    }
  }

  #requestHeaders(): Record<string, string> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "text/event-stream",
      "user-agent": USER_AGENT,
      ...this.#headers,
    };
    const key = this.#apiKey();
    if (key) headers.authorization = `Bearer ${key}`;
    return headers;
  }

  /** What a failed fetch or body read means, as our typed errors (the caller's abort is passed on as is). */
  #failure(
    error: unknown,
    signal: AbortSignal,
    idle: IdleDeadline,
    beforeResponse: boolean,
  ): unknown {
    if (idle.expired && !signal.aborted) {
      return new OpenAITimeoutError(
        beforeResponse ? "OpenAI chat completion request" : "OpenAI chat completion stream",
        this.#timeoutMs,
      );
    }
    const failure = classifyFetchError(error, { callerSignal: signal, beforeResponse });
    if (failure.kind === "aborted") return failure.reason;
    if (failure.kind === "timeout")
      return new OpenAITimeoutError("OpenAI chat completion request", this.#timeoutMs);
    if (error instanceof ServerSentEventsError)
      return new OpenAIResponseError(`OpenAI chat completion stream: ${error.message}`, {
        cause: error,
      });
    const code = failure.code ? ` (${failure.code})` : "";
    return new OpenAINetworkError(
      `OpenAI chat completion ${beforeResponse ? "request" : "stream"} failed: network error${code}`,
      { cause: failure.cause, notSent: failure.notSent },
    );
  }

  async #jsonInsteadOfStream(
    response: Response,
    requestId: string | undefined,
  ): Promise<OpenAIApiError | OpenAIResponseError> {
    const body = asRecord(await readErrorBody(response));
    if (body?.error !== undefined && body.error !== null)
      return errorFromBody(body, { requestId, secrets: [this.#apiKey()] });
    return new OpenAIResponseError(
      `OpenAI chat completion answered HTTP ${response.status} with JSON, not an event stream (does the server support "stream": true?)`,
    );
  }

  async #apiError(response: Response, requestId: string | undefined): Promise<OpenAIApiError> {
    const body = await readErrorBody(response);
    await discardBody(response);
    const shouldRetry = response.headers.get("x-should-retry");
    return errorFromBody(body, {
      status: response.status,
      requestId,
      retryAfterMs: retryAfterMsOf(response.headers),
      shouldRetry: shouldRetry === "false" ? false : shouldRetry === "true" ? true : undefined,
      secrets: [this.#apiKey()],
    });
  }
}

/**
 * Parses one event's data as a JSON object, or throws an OpenAIResponseError quoting its start
 * with `secrets` redacted (a compatible server may echo the request's headers).
 */
function parseChunk(data: string, secrets: (string | undefined)[]): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch (cause) {
    const quoted = redactText(data, secrets).slice(0, BAD_EVENT_QUOTED_CHARS);
    throw new OpenAIResponseError(
      `OpenAI chat completion stream sent an event that is not JSON: ${quoted}`,
      { cause },
    );
  }
  const record = asRecord(parsed);
  if (record === undefined)
    throw new OpenAIResponseError(
      "OpenAI chat completion stream sent an event that is not an object",
    );
  return record;
}

/**
 * An OpenAIApiError from an error body: OpenAI's `{"error": {...}}`, a bare `{"error": "..."}` or
 * `{"message": "..."}` (some compatible servers), or text. The key is redacted from every string.
 */
function errorFromBody(
  body: unknown,
  init: {
    status?: number;
    requestId?: string | undefined;
    retryAfterMs?: number | undefined;
    shouldRetry?: boolean | undefined;
    secrets: (string | undefined)[];
  },
): OpenAIApiError {
  const clean = (value: unknown): string | undefined =>
    typeof value === "string" && value !== "" ? redactText(value, init.secrets) : undefined;
  const record = asRecord(body);
  const error = asRecord(record?.error);
  const fields = error ?? record;
  const message =
    clean(fields?.message) ??
    clean(record?.error) ??
    (typeof body === "string" ? clean(body) : undefined);
  return new OpenAIApiError({
    status: init.status,
    message,
    type: clean(fields?.type),
    code: typeof fields?.code === "number" ? String(fields.code) : clean(fields?.code),
    param: clean(fields?.param),
    requestId: init.requestId,
    retryAfterMs: init.retryAfterMs,
    shouldRetry: init.shouldRetry,
  });
}

/** OpenAI's `usage` object as LLMTokenUsage, or undefined when there is none. */
function usageOf(value: unknown): LLMTokenUsage | undefined {
  const usage = asRecord(value);
  if (usage === undefined) return undefined;
  const count = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  const promptTokens = count(usage.prompt_tokens);
  const completionTokens = count(usage.completion_tokens);
  const out: LLMTokenUsage = {
    promptTokens,
    completionTokens,
    totalTokens:
      typeof usage.total_tokens === "number" ? usage.total_tokens : promptTokens + completionTokens,
  };
  const cached = asRecord(usage.prompt_tokens_details)?.cached_tokens;
  if (typeof cached === "number") out.cacheReadInputTokens = cached;
  const reasoning = asRecord(usage.completion_tokens_details)?.reasoning_tokens;
  if (typeof reasoning === "number") out.reasoningTokens = reasoning;
  return out;
}

/**
 * A deadline that moves: it expires when `touch()` has not been called for `ms`. Its signal
 * aborts then. One timer, refreshed in place (no timer per chunk).
 */
class IdleDeadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  #expired = false;

  constructor(ms: number) {
    this.#timer = setTimeout(() => {
      this.#expired = true;
      this.#controller.abort(new DOMException("No data within the deadline", "TimeoutError"));
    }, ms);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get expired(): boolean {
    return this.#expired;
  }

  touch(): void {
    if (!this.#expired) this.#timer.refresh();
  }

  dispose(): void {
    clearTimeout(this.#timer);
  }
}
