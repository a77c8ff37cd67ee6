// FalImageGenService: text-to-image through fal.ai (or any fal-compatible server), the TypeScript
// counterpart of Pipecat's services/fal/image.py, plus queue mode, retries, timeouts, every image,
// ordered concurrency, a seeded-request cache and deferred decoding.
import { URLImageRawFrame, type DecodedImage } from "../../frames/image.js";
import { LinkedAbort, sleep } from "../../utils/abort.js";
import { warnDeprecatedOnce } from "../../utils/deprecation.js";
import { SettingsValidationError, describeError } from "../../utils/errors.js";
import { envValue } from "../../utils/env.js";
import { checkBaseUrl } from "../../utils/http.js";
import { logger } from "../../utils/logger.js";
import { ImageCache, type CachedGeneration, type ImageCacheOptions } from "../images/cache.js";
import { decodeToPixels, readImageHeader } from "../images/decode.js";
import { downloadImage, type DownloadedImage } from "../images/download.js";
import { ImageGenService, type ImageGenContext } from "../image-service.js";
import { FalResponseError, FalTimeoutError } from "./errors.js";
import { buildFalArguments, cacheKeyFor, validateSettingsForModel } from "./models.js";
import { parseImageGenOutput, type FalImageGenOutput } from "./output.js";
import type { RetryPolicy } from "./retry.js";
import { FalImageGenSettings, FalInputParams } from "./settings.js";
import { falEndpoints, FalTransport, type FalQueueStatus, type FalResponse } from "./transport.js";

export type FalMode = "sync" | "queue";
export type FalStatusMode = "stream" | "poll";
export type DecodeMode = "raw" | "deferred";

/** Options that only queue mode uses: how a queued request is started and followed. */
export interface FalQueueOptions {
  /** Follow the status over SSE ("stream", falling back to polling) or by polling. Default "stream". */
  statusMode?: FalStatusMode;
  /** Delay between status polls. Default 250 ms. */
  pollIntervalMs?: number;
  /** `x-fal-request-timeout`, seconds until fal must start processing (> 1). */
  startTimeoutSeconds?: number;
  /** fal POSTs the result here too (`fal_webhook`). */
  webhookUrl?: string;
}

export interface FalImageGenServiceOptions {
  /** fal API key. When given, also sets `process.env.FAL_KEY` (as Pipecat does). Default: `$FAL_KEY`. */
  key?: string;
  settings?: FalImageGenSettings;
  /** The HTTP layer for every call (fal API and downloads). Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** @deprecated Use `settings: new FalImageGenService.Settings({ model })`. */
  model?: string;
  /** @deprecated Use `settings: new FalImageGenService.Settings({...})`. Ignored entirely when `settings` is given. */
  params?: FalInputParams;
  /** A fal-compatible server (e.g. the local one) laid out as `{baseUrl}/run`, `{baseUrl}/queue`. Default `$FAL_BASE_URL`, else fal.ai. */
  baseUrl?: string;
  /** "sync" (Pipecat's: one POST to fal.run) or "queue" (submit, follow status, fetch result). Default "sync". */
  mode?: FalMode;
  /** Queue mode only: status stream or polling, poll interval, start timeout, webhook. */
  queue?: FalQueueOptions;
  /** @deprecated Use `queue: { statusMode }`, which wins when both are given. */
  statusMode?: FalStatusMode;
  /** @deprecated Use `queue: { pollIntervalMs }`, which wins when both are given. */
  pollIntervalMs?: number;
  /** @deprecated Use `queue: { startTimeoutSeconds }`, which wins when both are given. */
  startTimeoutSeconds?: number;
  /** @deprecated Use `queue: { webhookUrl }`, which wins when both are given. */
  webhookUrl?: string;
  /** Deadline for one prompt, from submission to the last image. Default 120 s. */
  timeoutMs?: number;
  /** Deadline for one HTTP attempt. Default 60 s. */
  httpTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Ask fal for data URIs (`sync_mode`): no download round trip. Default false. */
  syncMode?: boolean;
  /** Image download limits. Defaults: 50 MiB, 30 s. */
  download?: { maxBytes?: number; timeoutMs?: number };
  /** "raw" decodes pixels onto every frame (Pipecat's behaviour); "deferred" keeps the encoded file and decodes on `frame.pixels()`. */
  decode?: DecodeMode;
  /** Cache seeded requests in memory (same model, prompt, seed, arguments → no second call). Default off. */
  cache?: boolean | ImageCacheOptions;
  /** Prompts in flight at once; output stays in prompt order. Default 4. */
  maxConcurrency?: number;
  name?: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const DEFAULT_POLL_INTERVAL_MS = 250;

export class FalImageGenService extends ImageGenService<FalImageGenSettings> {
  static readonly Settings = FalImageGenSettings;
  static readonly InputParams = FalInputParams;

  readonly mode: FalMode;
  readonly decodeMode: DecodeMode;
  readonly #key: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #transport: FalTransport;
  readonly #options: FalImageGenServiceOptions;
  /** The queue options in force: `queue`, completed by the deprecated flat options. */
  readonly #queue: FalQueueOptions;
  readonly #cache: ImageCache | undefined;

  constructor(options: FalImageGenServiceOptions = {}) {
    const settings = FalImageGenService.#initialSettings(options);
    super({ settings, maxConcurrency: options.maxConcurrency, name: options.name });
    this.validateSettings(settings);
    const queue = queueOptionsInForce(options);
    validateOptions(options, queue);
    this.#queue = queue.values;
    if (options.key) process.env.FAL_KEY = options.key;
    this.#key = options.key;
    this.#options = options;
    this.mode = options.mode ?? "sync";
    this.decodeMode = options.decode ?? "raw";
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#transport = new FalTransport({
      fetch: this.#fetch,
      credentials: () => this.#key ?? process.env.FAL_KEY,
      endpoints: falEndpoints(options.baseUrl ?? envValue("FAL_BASE_URL")),
      retry: options.retry,
      httpTimeoutMs: options.httpTimeoutMs,
      onRetry: ({ operation, attempt, delayMs }) =>
        logger.warn(`${this.name}: fal ${operation} retry ${attempt} in ${delayMs} ms`),
    });
    if (options.cache) this.#cache = new ImageCache(options.cache === true ? {} : options.cache);
  }

  /** Where requests go (fal.ai or a fal-compatible server). */
  get endpoints(): { runUrl: string; queueUrl: string } {
    return this.#transport.endpoints;
  }

  /** The seeded-request cache, when enabled. */
  get cache(): ImageCache | undefined {
    return this.#cache;
  }

  override canGenerateMetrics(): boolean {
    return true;
  }

  protected override validateSettings(settings: FalImageGenSettings): void {
    settings.validate();
    validateSettingsForModel(settings);
  }

  protected override async *generate(
    prompt: string,
    context: ImageGenContext<FalImageGenSettings>,
  ): AsyncGenerator<URLImageRawFrame> {
    const { settings } = context;
    const model = String(settings.model);
    const body = buildFalArguments(model, settings, prompt);
    if (this.#options.syncMode && !("sync_mode" in body)) body.sync_mode = true;

    const cacheKey =
      this.#cache && typeof body.seed === "number" ? cacheKeyFor(model, body) : undefined;
    const cached = cacheKey ? this.#cache?.get(cacheKey) : undefined;
    if (cached) {
      context.report({
        model,
        requestId: cached.requestId,
        timings: cached.timings,
        seed: cached.seed,
        imageCount: cached.images.length,
        bytes: totalBytes(cached),
        cached: true,
        attempts: 0,
      });
      for (const [index, image] of cached.images.entries()) {
        yield await this.#frame(
          prompt,
          index,
          image.url,
          { bytes: image.bytes, mimeType: image.mimeType },
          image,
          context.signal,
          cached,
        );
      }
      return;
    }

    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // Aborts on interruption/cancel (context.signal), when this prompt's deadline passes, or when
    // the generation ends early (a failed image, a consumer that stops): no download outlives it.
    const ended = new AbortController();
    const linked = new LinkedAbort([context.signal, ended.signal], {
      timeoutMs,
      timeoutReason: () => new FalTimeoutError("Image generation", timeoutMs),
    });
    const signal = linked.signal;
    // Set once every request and download has finished: nothing is left to abort then, and
    // aborting would only wake the finished fetches' signals (each fetch's Request follows ours).
    let settled = false;
    try {
      const response =
        this.mode === "queue"
          ? await this.#viaQueue(model, body, signal, context)
          : await this.#viaRun(model, body, signal, context);
      const output = parseImageGenOutput(response.data);
      context.progress({ stage: "downloading", requestId: response.requestId });
      // Start every download at once; hand frames out in image order as each one is ready.
      const downloads = output.images.map((image) =>
        downloadImage(image.url, {
          fetch: this.#fetch,
          signal,
          maxBytes: this.#options.download?.maxBytes,
          timeoutMs: this.#options.download?.timeoutMs,
        }),
      );
      for (const pending of downloads) pending.catch(() => undefined); // a later failure must not go unhandled while we await an earlier one
      const files: DownloadedImage[] = [];
      for (const [index, image] of output.images.entries()) {
        const file = await downloads[index];
        if (!file) throw new FalResponseError(`fal image ${index} was not downloaded`);
        files.push(file);
        yield await this.#frame(prompt, index, image.url, file, image, signal, {
          requestId: response.requestId,
          seed: output.seed,
          timings: output.timings,
        });
      }
      const facts = {
        model,
        requestId: response.requestId,
        timings: output.timings,
        seed: output.seed,
        imageCount: files.length,
        bytes: files.reduce((s, f) => s + f.bytes.byteLength, 0),
        cached: false,
        attempts: response.attempts,
      };
      settled = true;
      context.report(facts);
      if (cacheKey) this.#remember(cacheKey, output, files, response.requestId);
    } catch (error) {
      // Our own deadline surfaces as its typed error, whatever the aborted call threw.
      if (linked.timedOut && !context.signal.aborted) throw signal.reason;
      throw error;
    } finally {
      if (!settled) ended.abort(new DOMException("Image generation ended", "AbortError"));
      linked.dispose();
    }
  }

  async #viaRun(
    model: string,
    body: Record<string, unknown>,
    signal: AbortSignal,
    context: ImageGenContext<FalImageGenSettings>,
  ): Promise<FalResponse> {
    context.progress({ stage: "submitted" });
    return this.#transport.run(model, body, { signal });
  }

  async #viaQueue(
    model: string,
    body: Record<string, unknown>,
    signal: AbortSignal,
    context: ImageGenContext<FalImageGenSettings>,
  ): Promise<FalResponse> {
    const submitted = await this.#transport.submit(model, body, {
      signal,
      webhookUrl: this.#queue.webhookUrl,
      startTimeoutSeconds: this.#queue.startTimeoutSeconds,
    });
    const { requestId } = submitted;
    context.progress({ stage: "in_queue", requestId, queuePosition: submitted.queuePosition });
    let completed = submitted.status === "COMPLETED";
    try {
      if (!completed) await this.#followStatus(model, requestId, signal, context);
      completed = true;
      const result = await this.#transport.result(model, requestId, { signal });
      return {
        ...result,
        attempts: submitted.attempts + result.attempts - 1,
        requestId: result.requestId ?? requestId,
      };
    } finally {
      // Interrupted, timed out or failed before fal finished: tell fal to stop (and stop billing).
      if (!completed) void this.#transport.cancel(model, requestId);
    }
  }

  /** Follows a queued request until COMPLETED: over SSE when possible, else by polling. */
  async #followStatus(
    model: string,
    requestId: string,
    signal: AbortSignal,
    context: ImageGenContext<FalImageGenSettings>,
  ): Promise<void> {
    const seenLogs = new Set<string>();
    const report = (status: FalQueueStatus): void => {
      const logs = status.logs.filter((log) => {
        const key = `${log.timestamp ?? ""}|${log.message}`;
        if (seenLogs.has(key)) return false;
        seenLogs.add(key);
        return true;
      });
      if (status.status === "IN_QUEUE")
        context.progress({
          stage: "in_queue",
          requestId,
          queuePosition: status.queuePosition,
          logs,
        });
      else if (status.status === "IN_PROGRESS")
        context.progress({ stage: "in_progress", requestId, logs });
      else if (logs.length > 0) context.progress({ stage: "in_progress", requestId, logs });
    };
    if ((this.#queue.statusMode ?? "stream") === "stream") {
      try {
        for await (const status of this.#transport.streamStatus(model, requestId, {
          signal,
          logs: true,
        })) {
          report(status);
          if (status.status === "COMPLETED") return;
        }
      } catch (error) {
        if (signal.aborted) throw error;
        logger.info(
          `${this.name}: status stream unavailable (${describeError(error)}); polling instead`,
        );
      }
    }
    const interval = this.#queue.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    for (;;) {
      const status = await this.#transport.status(model, requestId, { signal, logs: true });
      report(status);
      if (status.status === "COMPLETED") return;
      await sleep(interval, signal);
    }
  }

  async #frame(
    prompt: string,
    index: number,
    url: string,
    file: DownloadedImage,
    reported: { width: number | undefined; height: number | undefined },
    signal: AbortSignal,
    request: Pick<CachedGeneration, "requestId" | "seed" | "timings">,
  ): Promise<URLImageRawFrame> {
    // Nothing is decoded for a prompt that was already interrupted.
    if (signal.aborted) throw signal.reason;
    const bytes = file.bytes;
    const metadata = {
      requestId: request.requestId,
      seed: request.seed,
      timings: request.timings,
      reportedSize:
        reported.width && reported.height
          ? { width: reported.width, height: reported.height }
          : undefined,
    };
    let frame: URLImageRawFrame;
    if (this.decodeMode === "deferred") {
      const header = await readImageHeader(bytes);
      frame = new URLImageRawFrame({
        url,
        size: header.size,
        format: header.format,
        encoded: bytes,
        mimeType: file.mimeType,
        prompt,
        imageIndex: index,
        decode: (): Promise<DecodedImage> => decodeToPixels(bytes),
      });
    } else {
      const decoded = await decodeToPixels(bytes);
      frame = new URLImageRawFrame({
        url,
        image: decoded.pixels,
        size: decoded.size,
        format: decoded.format,
        encoded: bytes,
        mimeType: file.mimeType,
        prompt,
        imageIndex: index,
      });
    }
    frame.metadata = { fal: metadata };
    return frame;
  }

  #remember(
    cacheKey: string,
    output: FalImageGenOutput,
    files: DownloadedImage[],
    requestId: string | undefined,
  ): void {
    this.#cache?.set(cacheKey, {
      requestId,
      seed: output.seed,
      timings: output.timings,
      images: files.map((file, index) => ({
        bytes: file.bytes,
        mimeType: file.mimeType,
        url: output.images[index]?.url ?? "",
        width: output.images[index]?.width,
        height: output.images[index]?.height,
      })),
    });
  }

  /** Defaults, then the deprecated `params`/`model` (with a warning), then `settings` field by field. */
  static #initialSettings(options: FalImageGenServiceOptions): FalImageGenSettings {
    const store = FalImageGenSettings.defaults();
    if (options.params !== undefined) {
      warnDeprecatedOnce(
        "PIPECAT_FAL_PARAMS",
        "The `params` option of FalImageGenService is deprecated. Use `settings: new FalImageGenService.Settings({...})` instead. If both are provided, `settings` takes precedence.",
      );
      // As in Pipecat: with `settings` also given, `params` is ignored entirely.
      if (options.settings === undefined) store.applyUpdate(options.params.toSettings());
    }
    if (options.model !== undefined) {
      warnDeprecatedOnce(
        "PIPECAT_FAL_MODEL",
        "The `model` option of FalImageGenService is deprecated. Use `settings: new FalImageGenService.Settings({ model: ... })` instead. If both are provided, `settings` takes precedence.",
      );
      store.applyUpdate(new FalImageGenSettings({ model: options.model }));
    }
    if (options.settings !== undefined) store.applyUpdate(options.settings);
    return store;
  }
}

type QueueOptionName = keyof FalQueueOptions;

/** Deprecation codes of the flat queue options, one warning each per process. */
const FLAT_QUEUE_OPTION_CODES: Readonly<Record<QueueOptionName, string>> = {
  statusMode: "PIPECAT_FAL_STATUS_MODE",
  pollIntervalMs: "PIPECAT_FAL_POLL_INTERVAL_MS",
  startTimeoutSeconds: "PIPECAT_FAL_START_TIMEOUT_SECONDS",
  webhookUrl: "PIPECAT_FAL_WEBHOOK_URL",
};

interface QueueOptionsInForce {
  values: FalQueueOptions;
  /** The name each value was given under, for error messages: `queue.<name>`, or the flat name. */
  fields: Record<QueueOptionName, string>;
}

/** `queue`, completed by the deprecated flat options (each warns once); a grouped value wins. */
function queueOptionsInForce(options: FalImageGenServiceOptions): QueueOptionsInForce {
  if (
    options.queue !== undefined &&
    (typeof options.queue !== "object" || options.queue === null || Array.isArray(options.queue))
  )
    throw new SettingsValidationError(
      "queue",
      options.queue,
      "an object: { statusMode, pollIntervalMs, startTimeoutSeconds, webhookUrl }",
    );
  const grouped: FalQueueOptions = options.queue ?? {};
  const flat: FalQueueOptions = options;
  const fields = {} as Record<QueueOptionName, string>;
  const inForce = <K extends QueueOptionName>(name: K): FalQueueOptions[K] => {
    if (flat[name] !== undefined)
      warnDeprecatedOnce(
        FLAT_QUEUE_OPTION_CODES[name],
        `The \`${name}\` option of FalImageGenService is deprecated. Use \`queue: { ${name} }\` instead. If both are provided, \`queue.${name}\` takes precedence.`,
      );
    const fromGroup = grouped[name] !== undefined || flat[name] === undefined;
    fields[name] = fromGroup ? `queue.${name}` : name;
    return fromGroup ? grouped[name] : flat[name];
  };
  const values: FalQueueOptions = {
    statusMode: inForce("statusMode"),
    pollIntervalMs: inForce("pollIntervalMs"),
    startTimeoutSeconds: inForce("startTimeoutSeconds"),
    webhookUrl: inForce("webhookUrl"),
  };
  return { values, fields };
}

function validateOptions(options: FalImageGenServiceOptions, queue: QueueOptionsInForce): void {
  const positive = (field: string, value: number | undefined): void => {
    if (value !== undefined && (!Number.isFinite(value) || value <= 0))
      throw new SettingsValidationError(field, value, "a positive number");
  };
  const { values, fields } = queue;
  positive("timeoutMs", options.timeoutMs);
  positive("httpTimeoutMs", options.httpTimeoutMs);
  positive(fields.pollIntervalMs, values.pollIntervalMs);
  if (values.startTimeoutSeconds !== undefined && !(values.startTimeoutSeconds > 1)) {
    throw new SettingsValidationError(
      fields.startTimeoutSeconds,
      values.startTimeoutSeconds,
      "a number of seconds greater than 1",
    );
  }
  if (options.mode !== undefined && options.mode !== "sync" && options.mode !== "queue")
    throw new SettingsValidationError("mode", options.mode, '"sync" or "queue"');
  if (
    values.statusMode !== undefined &&
    values.statusMode !== "stream" &&
    values.statusMode !== "poll"
  )
    throw new SettingsValidationError(fields.statusMode, values.statusMode, '"stream" or "poll"');
  if (options.decode !== undefined && options.decode !== "raw" && options.decode !== "deferred")
    throw new SettingsValidationError("decode", options.decode, '"raw" or "deferred"');
  // The base URL is named as the user gave it: the option, or the environment variable.
  const fromEnv = envValue("FAL_BASE_URL");
  if (options.baseUrl !== undefined) checkBaseUrl("baseUrl", options.baseUrl);
  else if (fromEnv !== undefined) checkBaseUrl("FAL_BASE_URL", fromEnv);
}

function totalBytes(generation: CachedGeneration): number {
  return generation.images.reduce((sum, image) => sum + image.bytes.byteLength, 0);
}
