// OpenAILLMService: chat completions through OpenAI (or any OpenAI-compatible server, such as the
// local twin), the TypeScript counterpart of Pipecat's services/openai/llm.py. The frame handling
// is LLMService's; this class holds the connection options and turns a context into Pipecat's
// request body (chat-completions.ts speaks the protocol).
import type { LLMContext } from "../../frames/llm.js";
import { envValue } from "../../utils/env.js";
import { SettingsValidationError, describeError } from "../../utils/errors.js";
import { logger } from "../../utils/logger.js";
import type { RetryPolicy } from "../../utils/retry.js";
import { type LLMCompletionOptions, LLMService, type LLMStreamPart } from "../llm-service.js";
import {
  ChatCompletionsClient,
  OPENAI_BASE_URL,
  buildChatCompletionBody,
  normalizeBaseUrl,
} from "./chat-completions.js";
import { OpenAILLMSettings } from "./settings.js";

export interface OpenAILLMServiceOptions {
  /** The API key, sent as `Authorization: Bearer`. Default `$OPENAI_API_KEY` (read at each request). */
  apiKey?: string;
  /** Where `/chat/completions` lives. Default `$OPENAI_BASE_URL`, else "https://api.openai.com/v1". */
  baseUrl?: string;
  /** The HTTP layer. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** A delta over the defaults (model "gpt-4.1", nothing else set). */
  settings?: OpenAILLMSettings;
  /** Sent as `OpenAI-Organization`. */
  organization?: string;
  /** Sent as `OpenAI-Project`. */
  project?: string;
  /** More headers for every request (Pipecat's default_headers). */
  headers?: Record<string, string>;
  /** Retries of 429/5xx/network failures before any text arrived. Default: 2 retries, 0.5 s doubling to 8 s. */
  retry?: Partial<RetryPolicy>;
  /** How long to wait for the response to start, and for each next piece of the stream. Default 60 s. */
  timeoutMs?: number;
  /** The context LLMMessagesAppendFrame/UpdateFrame/LLMRunFrame work on (default: an empty one). */
  context?: LLMContext;
  name?: string;
}

export class OpenAILLMService extends LLMService<OpenAILLMSettings> {
  static readonly Settings = OpenAILLMSettings;

  readonly #client: ChatCompletionsClient;
  readonly #baseUrl: string;

  constructor(options: OpenAILLMServiceOptions = {}) {
    const settings = OpenAILLMSettings.defaults();
    if (options.settings !== undefined) settings.applyUpdate(options.settings);
    super({ settings, context: options.context, name: options.name });
    validateOptions(options);
    const fromEnv = envValue("OPENAI_BASE_URL");
    this.#baseUrl = normalizeBaseUrl(
      options.baseUrl ?? fromEnv ?? OPENAI_BASE_URL,
      options.baseUrl === undefined && fromEnv !== undefined ? "OPENAI_BASE_URL" : "baseUrl",
    );
    const headers: Record<string, string> = { ...options.headers };
    if (options.organization) headers["openai-organization"] = options.organization;
    if (options.project) headers["openai-project"] = options.project;
    const apiKey = options.apiKey;
    this.#client = new ChatCompletionsClient({
      fetch: options.fetch,
      apiKey: () => apiKey || envValue("OPENAI_API_KEY"),
      baseUrl: this.#baseUrl,
      headers,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      onRetry: ({ attempt, delayMs, error }) =>
        logger.warn(
          `${this.name}: chat completion retry ${attempt} in ${delayMs} ms (${describeError(error)})`,
        ),
    });
  }

  /** Where requests go, e.g. "https://api.openai.com/v1". */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  protected override validateSettings(settings: OpenAILLMSettings): void {
    settings.validate();
  }

  protected override streamCompletion(
    context: LLMContext,
    options: LLMCompletionOptions<OpenAILLMSettings>,
  ): AsyncIterable<LLMStreamPart> {
    const body = buildChatCompletionBody(context, options.settings);
    return this.#client.stream(body, { signal: options.signal });
  }
}

function validateOptions(options: OpenAILLMServiceOptions): void {
  if (
    options.timeoutMs !== undefined &&
    (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0)
  )
    throw new SettingsValidationError("timeoutMs", options.timeoutMs, "a positive number of ms");
  const retry = options.retry ?? {};
  for (const field of ["maxRetries", "baseDelayMs", "maxDelayMs", "maxRetryAfterMs"] as const) {
    const value = retry[field];
    if (value !== undefined && (!Number.isInteger(value) || value < 0))
      throw new SettingsValidationError(`retry.${field}`, value, "an integer >= 0");
  }
  if (options.headers !== undefined) {
    for (const [name, value] of Object.entries(options.headers)) {
      if (typeof value !== "string")
        throw new SettingsValidationError(`headers.${name}`, value, "a string");
    }
  }
}
