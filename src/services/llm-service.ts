// LLMService: what every LLM service shares (Pipecat's services/llm_service.py plus the frame
// handling of services/openai/base_llm.py). It answers an LLMContextFrame by streaming a
// completion: LLMFullResponseStartFrame, one LLMTextFrame per text delta, LLMFullResponseEndFrame,
// with TTFB, processing and token-usage metrics. A concrete service only turns a context into a
// stream of parts (streamCompletion). One completion runs at a time, in frame order; an
// interruption aborts it at once (its signal reaches fetch) and nothing more of it is pushed.
// Function calling is not ported: tool-call deltas are noticed and reported as unsupported.
import type { Frame } from "../frames/base.js";
import { StartFrame } from "../frames/lifecycle.js";
import {
  LLMContext,
  LLMContextFrame,
  LLMFullResponseEndFrame,
  LLMFullResponseStartFrame,
  LLMMessagesAppendFrame,
  LLMMessagesUpdateFrame,
  LLMRunFrame,
} from "../frames/llm.js";
import { type LLMTokenUsage, MetricsFrame } from "../frames/metrics.js";
import { LLMUpdateSettingsFrame, type SettingsMapping } from "../frames/settings.js";
import { LLMTextFrame } from "../frames/text.js";
import { FrameDirection } from "../processors/direction.js";
import { describeError } from "../utils/errors.js";
import { logger } from "../utils/logger.js";
import { AIService, type AIServiceOptions } from "./ai-service.js";
import type { LLMSettings } from "./llm-settings.js";
import type { ServiceSettings } from "./settings.js";

/** One piece of a streamed completion, as a concrete service reports it. */
export type LLMStreamPart =
  /** The response began (the first chunk with choices): ends the TTFB measurement. */
  | { type: "response-metadata"; id?: string | undefined; model?: string | undefined }
  /** Text of the reply, in order. Empty deltas are not reported. */
  | { type: "text-delta"; text: string }
  /** A fragment of a tool call. Function calling is not ported yet: the service reports it as unsupported. */
  | { type: "tool-call-delta"; name?: string | undefined }
  /** Tokens used; when several arrive, the last one counts. */
  | { type: "usage"; usage: LLMTokenUsage }
  /** Why the reply ended: "stop", "length", "tool_calls", "content_filter"... */
  | { type: "finish"; finishReason: string };

/** What a concrete service gets to produce one completion. */
export interface LLMCompletionOptions<S extends LLMSettings> {
  /** Aborted on interruption or CancelFrame (or by the caller of runInference). */
  signal: AbortSignal;
  /** A snapshot of the settings when the request started: later updates do not affect it. */
  settings: S;
}

export interface LLMServiceOptions<S extends LLMSettings> extends AIServiceOptions<S> {
  /**
   * The context that LLMMessagesAppendFrame, LLMMessagesUpdateFrame and LLMRunFrame work on; each
   * LLMContextFrame replaces it with its own. Default: an empty context.
   */
  context?: LLMContext;
}

export interface RunInferenceOptions {
  signal?: AbortSignal;
}

export abstract class LLMService<S extends LLMSettings> extends AIService<S> {
  #context: LLMContext;
  /** The StartFrame asked for usage metrics (Pipecat's enable_usage_metrics). */
  #usageMetrics = false;
  /** The model the provider says answered the last response (e.g. "gpt-4.1-2025-04-14"). */
  #fullModelName: string | undefined;

  constructor(options: LLMServiceOptions<S>) {
    super(options);
    this.#context = options.context ?? new LLMContext();
  }

  /** Streams one completion of `context`: the provider's protocol, as parts. Throws typed errors. */
  protected abstract streamCompletion(
    context: LLMContext,
    options: LLMCompletionOptions<S>,
  ): AsyncIterable<LLMStreamPart>;

  /** The context the append/update/run frames work on (the last LLMContextFrame's, or the initial one). */
  get context(): LLMContext {
    return this.#context;
  }

  /** The model the provider reported for the last response, when it said (Pipecat's get_full_model_name). */
  get fullModelName(): string | undefined {
    return this.#fullModelName;
  }

  override canGenerateMetrics(): boolean {
    return true;
  }

  /**
   * One completion outside a pipeline (Pipecat's run_inference): the reply's whole text, or null
   * when it had none. Throws the provider's typed errors; uses the current settings.
   */
  async runInference(
    context: LLMContext,
    options: RunInferenceOptions = {},
  ): Promise<string | null> {
    const signal = options.signal ?? new AbortController().signal;
    const settings = this.settingsStore.copy() as S;
    let text: string | null = null;
    for await (const part of this.streamCompletion(context, { signal, settings })) {
      if (part.type === "text-delta") text = (text ?? "") + part.text;
    }
    return text;
  }

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);

    if (frame instanceof StartFrame) {
      this.#usageMetrics = frame.enableUsageMetrics;
      await this.pushFrame(frame, direction);
    } else if (frame instanceof LLMContextFrame) {
      this.#context = frame.context;
      await this.#complete(frame.context, signal);
    } else if (frame instanceof LLMMessagesAppendFrame) {
      this.#context.addMessages(frame.messages);
      if (frame.runLlm) await this.#complete(this.#context, signal);
    } else if (frame instanceof LLMMessagesUpdateFrame) {
      this.#context.setMessages(frame.messages);
      if (frame.runLlm) await this.#complete(this.#context, signal);
    } else if (frame instanceof LLMRunFrame) {
      await this.#complete(this.#context, signal);
    } else if (
      frame instanceof LLMUpdateSettingsFrame &&
      (frame.service === undefined || frame.service === this)
    ) {
      await this.#applySettingsFrame(frame);
    } else {
      await this.pushFrame(frame, direction);
    }
  }

  async #applySettingsFrame(frame: LLMUpdateSettingsFrame): Promise<void> {
    try {
      // A settings object or a plain object; anything else is refused with what to pass.
      await this.updateSettings(frame.delta as ServiceSettings | SettingsMapping);
    } catch (error) {
      await this.pushError(`Settings update rejected: ${describeError(error)}`, { cause: error });
    }
  }

  /**
   * Streams one completion into frames. A failure becomes an upstream ErrorFrame and the response
   * is still closed with LLMFullResponseEndFrame (the text already pushed stays); an interruption
   * stops it silently: the InterruptionFrame tells downstream what happened.
   */
  async #complete(context: LLMContext, signal: AbortSignal): Promise<void> {
    const settings = this.settingsStore.copy() as S;
    await this.pushFrame(new LLMFullResponseStartFrame());
    this.startProcessingMetrics();
    this.startTtfbMetrics();
    logger.debug(`${this.name}: generating from a context of ${context.messageCount} messages`);
    let usage: LLMTokenUsage | undefined;
    let warnedToolCalls = false;
    try {
      for await (const part of this.streamCompletion(context, { signal, settings })) {
        if (signal.aborted) break;
        switch (part.type) {
          case "response-metadata":
            await this.stopTtfbMetrics();
            if (part.model !== undefined) this.#fullModelName = part.model;
            break;
          case "text-delta":
            await this.stopTtfbMetrics();
            await this.pushFrame(new LLMTextFrame(part.text));
            break;
          case "usage":
            usage = part.usage;
            break;
          case "tool-call-delta":
            if (!warnedToolCalls) {
              warnedToolCalls = true;
              logger.warn(
                `${this.name}: the model called a tool${part.name ? ` (${part.name})` : ""}; function calling is not supported yet, the call is ignored`,
              );
            }
            break;
          case "finish":
            if (part.finishReason === "length")
              logger.info(`${this.name}: the reply was cut off at the token limit`);
            break;
        }
      }
    } catch (error) {
      if (!signal.aborted)
        await this.pushError(`Error during completion: ${describeError(error)}`, {
          cause: error,
        });
    } finally {
      // Reported even when the reply failed or was interrupted: the tokens were spent.
      if (usage !== undefined) await this.#reportUsage(usage);
    }
    if (signal.aborted) return;
    await this.stopProcessingMetrics();
    await this.pushFrame(new LLMFullResponseEndFrame());
  }

  async #reportUsage(usage: LLMTokenUsage): Promise<void> {
    if (!this.metricsEnabled && !this.#usageMetrics) return;
    const data = { type: "llm_usage" as const, processor: this.name, value: usage };
    const model = this.metricsModel;
    await this.pushFrame(
      new MetricsFrame([model === undefined ? data : { ...data, model }]),
      FrameDirection.DOWNSTREAM,
    );
  }
}
