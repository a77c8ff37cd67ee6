// CartesiaHttpTTSService: speech from Cartesia's HTTP bytes API (`POST /tts/bytes`), the
// TypeScript counterpart of Pipecat's services/cartesia/tts.py CartesiaHttpTTSService. Unlike
// Pipecat's, which reads the whole body and pushes one frame, the audio is read as it streams in
// and pushed in bounded frames (TTSService cuts them); failures before the first audio byte are
// retried (429/5xx answers and network errors, honouring Retry-After), never 4xx answers, never
// after audio went out, never once interrupted.
import { LinearResampler } from "../../audio/resampler.js";
import { envValue } from "../../utils/env.js";
import { LinkedAbort } from "../../utils/abort.js";
import { PipecatError, SettingsValidationError } from "../../utils/errors.js";
import {
  asRecord,
  checkBaseUrl,
  classifyFetchError,
  discardBody,
  readErrorBody,
  retryAfterMsOf,
} from "../../utils/http.js";
import { logger } from "../../utils/logger.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryWithBackoff } from "../../utils/retry.js";
import { redactValue } from "../../utils/secrets.js";
import { isGiven } from "../settings.js";
import { TTSService, type TTSRunContext, type TextAggregationMode } from "../tts-service.js";
import { CartesiaApiError, CartesiaNetworkError, CartesiaTimeoutError } from "./errors.js";
import {
  CARTESIA_DEFAULTS,
  CARTESIA_EXAMPLE_VOICE_ID,
  CARTESIA_SAMPLE_RATES,
  type CartesiaSampleRate,
  CartesiaTTSSettings,
  cartesiaLanguageCode,
} from "./settings.js";

/** The API version this client is written against (Pipecat's `_CARTESIA_API_VERSION`). */
export const CARTESIA_API_VERSION = "2026-03-01";
export const CARTESIA_BASE_URL = "https://api.cartesia.ai";
/** Deadline for one request, from sending it to the last audio byte. */
export const DEFAULT_CARTESIA_TIMEOUT_MS = 60_000;

export interface CartesiaHttpTTSServiceOptions {
  /** Cartesia API key, sent as `X-API-Key`. Default `$CARTESIA_API_KEY`; none = no key header. */
  apiKey?: string;
  /** Default `$CARTESIA_BASE_URL`, else https://api.cartesia.ai (e.g. the local twin's URL). */
  baseUrl?: string;
  /** The HTTP layer. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Rate of the audio, one of CARTESIA_SAMPLE_RATES. Default: the pipeline's output rate. */
  sampleRate?: CartesiaSampleRate;
  /** model, voice (required), language, generationConfig, pronunciationDictId. */
  settings?: CartesiaTTSSettings;
  /** "sentence" (default) or "token" (each text frame spoken as it comes). */
  textAggregationMode?: TextAggregationMode;
  /** Retries of 429/502/503/504 answers and network errors before any audio. */
  retry?: Partial<RetryPolicy>;
  /** Deadline for one request (each attempt), in ms. Default 60 s. */
  timeoutMs?: number;
  /** Largest audio frame, in ms. Default 40. */
  maxChunkMs?: number;
  /** Extra headers sent with every request (Pipecat's extra_headers). */
  extraHeaders?: Record<string, string>;
  name?: string;
}

/** The JSON body of `POST /tts/bytes`, as this service sends it. */
export interface CartesiaBytesRequest {
  model_id: string;
  transcript: string;
  voice: { mode: "id"; id: string };
  output_format: { container: "raw"; encoding: "pcm_s16le"; sample_rate: number };
  language?: string;
  generation_config?: { volume?: number; speed?: number; emotion?: string };
  pronunciation_dict_id?: string;
}

/** The body for one transcript with these settings, at this sample rate (Pipecat's payload). */
export function buildCartesiaBytesRequest(
  settings: CartesiaTTSSettings,
  transcript: string,
  sampleRate: number,
): CartesiaBytesRequest {
  const body: CartesiaBytesRequest = {
    model_id: String(settings.model),
    transcript,
    voice: { mode: "id", id: String(settings.voice) },
    output_format: { container: "raw", encoding: "pcm_s16le", sample_rate: sampleRate },
  };
  const language = settings.language;
  if (isGiven(language) && language) {
    const code = cartesiaLanguageCode(language);
    if (code) body.language = code;
  }
  const config = settings.generationConfig;
  if (isGiven(config) && config) {
    const out: NonNullable<CartesiaBytesRequest["generation_config"]> = {};
    if (config.volume !== undefined) out.volume = config.volume;
    if (config.speed !== undefined) out.speed = config.speed;
    if (config.emotion !== undefined) out.emotion = config.emotion;
    if (Object.keys(out).length > 0) body.generation_config = out;
  }
  const dict = settings.pronunciationDictId;
  if (isGiven(dict) && dict) body.pronunciation_dict_id = dict;
  return body;
}

/**
 * The rate to ask Cartesia for so that `sampleRate` can be served: itself when Cartesia offers it,
 * else the next higher rate it offers (48000 at most); the audio is then resampled.
 */
export function cartesiaRequestSampleRate(sampleRate: number): CartesiaSampleRate {
  const rates: readonly number[] = CARTESIA_SAMPLE_RATES;
  if (rates.includes(sampleRate)) return sampleRate as CartesiaSampleRate;
  const higher = CARTESIA_SAMPLE_RATES.find((rate) => rate > sampleRate);
  return higher ?? 48000;
}

/** An answered request whose first audio bytes have arrived (or whose body was empty). */
interface OpenedStream {
  reader: ReadableStreamDefaultReader<Uint8Array>;
  first: Uint8Array | undefined;
  done: boolean;
}

export class CartesiaHttpTTSService extends TTSService<CartesiaTTSSettings> {
  static readonly Settings = CartesiaTTSSettings;

  readonly #apiKey: string | undefined;
  readonly #baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #policy: RetryPolicy;
  readonly #timeoutMs: number;
  readonly #extraHeaders: Record<string, string>;

  constructor(options: CartesiaHttpTTSServiceOptions = {}) {
    const settings = new CartesiaTTSSettings({ ...CARTESIA_DEFAULTS });
    if (options.settings !== undefined) settings.applyUpdate(options.settings);
    const voice: unknown = settings.voice;
    if (!isGiven(voice) || typeof voice !== "string")
      throw new SettingsValidationError(
        "settings.voice",
        isGiven(voice) ? voice : undefined,
        `a Cartesia voice id, e.g. new CartesiaHttpTTSService.Settings({ voice: "${CARTESIA_EXAMPLE_VOICE_ID}" })`,
      );
    const rates: readonly number[] = CARTESIA_SAMPLE_RATES;
    if (options.sampleRate !== undefined && !rates.includes(options.sampleRate))
      throw new SettingsValidationError(
        "sampleRate",
        options.sampleRate,
        `one of ${CARTESIA_SAMPLE_RATES.join(", ")} (Hz)`,
      );
    super({
      settings,
      name: options.name,
      sampleRate: options.sampleRate,
      textAggregationMode: options.textAggregationMode,
      maxChunkMs: options.maxChunkMs,
    });
    const timeoutMs = options.timeoutMs ?? DEFAULT_CARTESIA_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw new SettingsValidationError("timeoutMs", timeoutMs, "a positive number of ms");
    this.#timeoutMs = timeoutMs;
    this.#apiKey = options.apiKey ?? envValue("CARTESIA_API_KEY");
    const fromEnv = envValue("CARTESIA_BASE_URL");
    this.#baseUrl = checkBaseUrl(
      // Named as the user gave it, as the fal and OpenAI services do.
      options.baseUrl === undefined && fromEnv !== undefined ? "CARTESIA_BASE_URL" : "baseUrl",
      options.baseUrl ?? fromEnv ?? CARTESIA_BASE_URL,
      "an http(s) URL, e.g. https://api.cartesia.ai",
    );
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#extraHeaders = { ...options.extraHeaders };
  }

  /** Where requests go (Cartesia, or a Cartesia-compatible server such as the local twin). */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  protected override async *runTTS(
    text: string,
    context: TTSRunContext<CartesiaTTSSettings>,
  ): AsyncGenerator<Uint8Array> {
    const requestRate = cartesiaRequestSampleRate(context.sampleRate);
    const body = JSON.stringify(buildCartesiaBytesRequest(context.settings, text, requestRate));
    const { signal } = context;
    let attempt: LinkedAbort | undefined;
    let opened: OpenedStream | undefined;
    try {
      ({ value: opened } = await retryWithBackoff(
        () => {
          attempt?.dispose();
          attempt = new LinkedAbort([signal], {
            timeoutMs: this.#timeoutMs,
            timeoutReason: () => new CartesiaTimeoutError(this.#timeoutMs),
          });
          return this.#open(body, signal, attempt.signal);
        },
        {
          policy: this.#policy,
          signal,
          isRetryable: (error) => this.#isRetryable(error),
          retryAfterMs: (error) =>
            error instanceof CartesiaApiError ? error.retryAfterMs : undefined,
          onRetry: ({ attempt: n, delayMs, error }) =>
            logger.warn(
              `${this.name}: Cartesia retry ${n} in ${delayMs} ms (${(error as Error).message})`,
            ),
        },
      ));
      const resampler =
        requestRate === context.sampleRate
          ? undefined
          : new LinearResampler(requestRate, context.sampleRate);
      const convert = (bytes: Uint8Array): Uint8Array => resampler?.process(bytes) ?? bytes;
      if (opened.first) yield convert(opened.first);
      while (!opened.done) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await opened.reader.read();
        } catch (cause) {
          throw translateFetchError(cause, signal, this.#timeoutMs, {
            beforeResponse: false,
            midStream: true,
          });
        }
        if (result.done) opened.done = true;
        else yield convert(result.value);
      }
      if (resampler) yield resampler.flush();
    } finally {
      attempt?.dispose();
      // Stopped early (interrupted, failed): release the connection.
      if (opened && !opened.done) await opened.reader.cancel().catch(() => undefined);
    }
  }

  #isRetryable(error: unknown): boolean {
    if (error instanceof CartesiaApiError)
      return this.#policy.retryableStatuses.includes(error.status);
    // Only failures before audio reach the retry loop; a deadline is not retried (a server that
    // hangs once tends to hang again, and the listener is waiting).
    return error instanceof CartesiaNetworkError;
  }

  /** Sends the request and waits for the first audio bytes (so a reset before them is retried). */
  async #open(body: string, callerSignal: AbortSignal, signal: AbortSignal): Promise<OpenedStream> {
    const headers: Record<string, string> = {
      "Cartesia-Version": CARTESIA_API_VERSION,
      "Content-Type": "application/json",
      ...this.#extraHeaders,
    };
    if (this.#apiKey) headers["X-API-Key"] = this.#apiKey;
    let response: Response;
    try {
      response = await this.#fetch(`${this.#baseUrl}/tts/bytes`, {
        method: "POST",
        headers,
        body,
        signal,
      });
    } catch (cause) {
      throw translateFetchError(cause, callerSignal, this.#timeoutMs, {
        beforeResponse: true,
        midStream: false,
      });
    }
    if (!response.ok) throw await this.#apiError(response);
    if (!response.body) {
      await discardBody(response);
      return { reader: new ReadableStream<Uint8Array>().getReader(), first: undefined, done: true };
    }
    const reader = response.body.getReader();
    try {
      for (;;) {
        const result = await reader.read();
        if (result.done) return { reader, first: undefined, done: true };
        if (result.value.byteLength > 0) return { reader, first: result.value, done: false };
      }
    } catch (cause) {
      await reader.cancel().catch(() => undefined);
      throw translateFetchError(cause, callerSignal, this.#timeoutMs, {
        beforeResponse: false,
        midStream: false,
      });
    }
  }

  async #apiError(response: Response): Promise<CartesiaApiError> {
    const body = await readErrorBody(response);
    const requestId =
      response.headers.get("x-request-id") ?? response.headers.get("cartesia-request-id");
    return new CartesiaApiError({
      status: response.status,
      // A misbehaving server could echo our key back: never let it through.
      body: redactValue(asRecord(body) ?? body, [this.#apiKey]),
      requestId: requestId ?? undefined,
      retryAfterMs: retryAfterMsOf(response.headers),
    });
  }
}

/** Maps what fetch (or a body read) throws to Cartesia's typed errors; the caller's abort as is. */
function translateFetchError(
  cause: unknown,
  callerSignal: AbortSignal,
  timeoutMs: number,
  where: { beforeResponse: boolean; midStream: boolean },
): unknown {
  const { beforeResponse, midStream } = where;
  const failure = classifyFetchError(cause, { callerSignal, beforeResponse });
  if (failure.kind === "aborted") return failure.reason;
  // Our own deadline aborts with a CartesiaTimeoutError as its reason.
  if (cause instanceof PipecatError) return cause;
  if (failure.kind === "timeout") return new CartesiaTimeoutError(timeoutMs);
  const code = failure.code ? ` (${failure.code})` : "";
  const what = midStream ? "the audio stream broke" : "network error";
  return new CartesiaNetworkError(`Cartesia tts/bytes failed: ${what}${code}`, {
    cause,
    notSent: failure.notSent,
    midStream,
  });
}
