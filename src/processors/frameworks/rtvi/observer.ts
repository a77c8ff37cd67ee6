// RTVIObserver (Pipecat's processors/frameworks/rtvi/observer.py): watches every frame pushed in
// the pipeline and tells the client about the ones RTVI has a message for, through the
// RTVIProcessor (urgent transport messages). Each frame is reported once, whichever processors
// push it; of a broadcast pair, only the downstream copy.
//
// | frame                                           | message                                  |
// |-------------------------------------------------|------------------------------------------|
// | BotStarted/StoppedSpeakingFrame                 | bot-started / bot-stopped-speaking       |
// | InterruptionFrame                               | bot-interrupted                          |
// | TranscriptionFrame / InterimTranscriptionFrame  | user-transcription (final true / false)  |
// | LLMContextFrame ending with a user message      | user-llm-text                            |
// | LLMFullResponseStart/EndFrame                   | bot-llm-started / bot-llm-stopped        |
// | LLMTextFrame                                    | bot-llm-text                             |
// | TTSStarted/StoppedFrame                         | bot-tts-started / bot-tts-stopped        |
// | AggregatedTextFrame, TTSTextFrame               | bot-output (+ bot-tts-text for TTS text) |
// | MetricsFrame                                    | metrics (ttfb, processing, tokens, characters) |
// | ErrorFrame                                      | error (fatal only when the frame is)     |
// | RTVIServerMessageFrame                          | server-message                           |
// | RTVIServerResponseFrame                         | server-response / error-response         |
//
// AggregatedTextFrame and TTSTextFrame are reported only once the output transport has pushed
// them, i.e. after the audio before them was played, and text that will be spoken waits for
// bot-started-speaking. Pipecat sends `error` for ErrorFrames from the RTVIProcessor; here the
// observer does it, so errors raised anywhere are reported once.
import type { Frame } from "../../../frames/base.js";
import { ErrorFrame } from "../../../frames/error.js";
import { InterruptionFrame } from "../../../frames/lifecycle.js";
import {
  LLMContextFrame,
  LLMFullResponseEndFrame,
  LLMFullResponseStartFrame,
} from "../../../frames/llm.js";
import { type MetricsData, MetricsFrame } from "../../../frames/metrics.js";
import { RTVIServerMessageFrame, RTVIServerResponseFrame } from "../../../frames/rtvi.js";
import {
  AggregatedTextFrame,
  BotStartedSpeakingFrame,
  BotStoppedSpeakingFrame,
  TTSStartedFrame,
  TTSStoppedFrame,
  TTSTextFrame,
} from "../../../frames/speech.js";
import {
  InterimTranscriptionFrame,
  LLMTextFrame,
  TranscriptionFrame,
} from "../../../frames/text.js";
import { BaseObserver, type FramePushed } from "../../../observers/base-observer.js";
import { BaseOutputTransport } from "../../../transports/base-output.js";
import { describeError } from "../../../utils/errors.js";
import { logger } from "../../../utils/logger.js";
import { FrameDirection } from "../../direction.js";
import type { FrameProcessor } from "../../frame-processor.js";
import {
  type RTVIBotOutputData,
  rtviError,
  rtviErrorResponse,
  type RTVIMessage,
  rtviMessage,
  type RTVIMetricsData,
  rtviServerMessage,
  rtviServerResponse,
} from "./models.js";
import type { RTVIProcessor } from "./processor.js";

/** Frame ids remembered to report each frame once (oldest forgotten first). */
const SEEN_FRAMES_CAPACITY = 4096;

/**
 * The frames #report has a message for (a subclass counts, as `instanceof` does there). Most
 * frames pushed are none of these; they are passed over before any promise or bookkeeping.
 */
const REPORTED_FRAMES: ReadonlyArray<abstract new (...args: never[]) => Frame> = [
  BotStartedSpeakingFrame,
  BotStoppedSpeakingFrame,
  InterruptionFrame,
  TranscriptionFrame,
  InterimTranscriptionFrame,
  LLMContextFrame,
  LLMFullResponseStartFrame,
  LLMFullResponseEndFrame,
  LLMTextFrame,
  TTSStartedFrame,
  TTSStoppedFrame,
  AggregatedTextFrame,
  MetricsFrame,
  ErrorFrame,
  RTVIServerMessageFrame,
  RTVIServerResponseFrame,
];

function isReported(frame: Frame): boolean {
  for (const type of REPORTED_FRAMES) if (frame instanceof type) return true;
  return false;
}

/** What onPushFrame returns for a frame it has nothing to say about: settled, shared. */
const NOTHING_TO_REPORT: Promise<void> = Promise.resolve();

/** Which messages the observer sends; everything on by default (Pipecat's RTVIObserverParams). */
export interface RTVIObserverParams {
  /** bot-output. */
  botOutputEnabled?: boolean;
  /** bot-llm-started / -stopped / -text. */
  botLlmEnabled?: boolean;
  /** bot-tts-started / -stopped / -text. */
  botTtsEnabled?: boolean;
  /** bot-started / -stopped-speaking and bot-interrupted. */
  botSpeakingEnabled?: boolean;
  /** user-llm-text. */
  userLlmEnabled?: boolean;
  /** user-transcription. */
  userTranscriptionEnabled?: boolean;
  /** metrics. */
  metricsEnabled?: boolean;
  /** error, for ErrorFrames. */
  errorsEnabled?: boolean;
  /** Aggregation types ("sentence", "word"...) never sent as bot-output / bot-tts-text. */
  skipAggregatorTypes?: readonly string[];
  /** Frames pushed by these processors are never reported. */
  ignoredSources?: readonly FrameProcessor[];
}

/**
 * Turns pipeline frames into RTVI messages for the client.
 *
 * @example
 * ```ts
 * const rtvi = new RTVIProcessor();
 * const task = new PipelineTask(pipeline, { observers: [new RTVIObserver(rtvi)] });
 * // Anywhere in the pipeline, tell the client something now:
 * await processor.pushFrame(new RTVIServerMessageFrame({ type: "progress", done: 2, total: 5 }));
 * ```
 */
export class RTVIObserver extends BaseObserver {
  readonly #rtvi: RTVIProcessor;
  readonly #params: Required<Omit<RTVIObserverParams, "skipAggregatorTypes" | "ignoredSources">>;
  readonly #skipTypes: ReadonlySet<string>;
  readonly #ignored: Set<FrameProcessor>;
  readonly #seen = new Set<number>();
  readonly #seenOrder: number[] = [];
  #botSpeaking = false;
  #heldText: AggregatedTextFrame[] = [];

  constructor(rtvi: RTVIProcessor, params: RTVIObserverParams = {}) {
    super();
    this.#rtvi = rtvi;
    this.#params = {
      botOutputEnabled: params.botOutputEnabled ?? true,
      botLlmEnabled: params.botLlmEnabled ?? true,
      botTtsEnabled: params.botTtsEnabled ?? true,
      botSpeakingEnabled: params.botSpeakingEnabled ?? true,
      userLlmEnabled: params.userLlmEnabled ?? true,
      userTranscriptionEnabled: params.userTranscriptionEnabled ?? true,
      metricsEnabled: params.metricsEnabled ?? true,
      errorsEnabled: params.errorsEnabled ?? true,
    };
    this.#skipTypes = new Set(params.skipAggregatorTypes ?? []);
    this.#ignored = new Set(params.ignoredSources ?? []);
  }

  /** Stops reporting frames pushed by `source`. */
  addIgnoredSource(source: FrameProcessor): void {
    this.#ignored.add(source);
  }

  removeIgnoredSource(source: FrameProcessor): void {
    this.#ignored.delete(source);
  }

  /** Sends one message; subclasses may send differently. */
  protected async sendRTVIMessage(message: RTVIMessage): Promise<void> {
    await this.#rtvi.pushTransportMessage(message);
  }

  override onPushFrame(event: FramePushed): Promise<void> {
    // Every push of every frame comes here: the ones without a message leave at once.
    if (!isReported(event.frame)) return NOTHING_TO_REPORT;
    return this.#onReportedFrame(event);
  }

  async #onReportedFrame(event: FramePushed): Promise<void> {
    const { frame, source, direction } = event;
    if (this.#ignored.size > 0 && this.#ignored.has(source)) return;
    if (frame.broadcastSiblingId !== undefined && direction !== FrameDirection.DOWNSTREAM) return;
    if (this.#seen.has(frame.id)) return;
    try {
      const handled = await this.#report(frame, source);
      if (handled) this.#markSeen(frame.id);
    } catch (error) {
      logger.warn(`RTVIObserver: could not report ${frame}: ${describeError(error)}`);
    }
  }

  #markSeen(id: number): void {
    this.#seen.add(id);
    this.#seenOrder.push(id);
    if (this.#seenOrder.length > SEEN_FRAMES_CAPACITY) {
      const oldest = this.#seenOrder.splice(0, this.#seenOrder.length - SEEN_FRAMES_CAPACITY);
      for (const old of oldest) this.#seen.delete(old);
    }
  }

  /** Sends the frame's message; false when the frame should be looked at again later. */
  async #report(frame: Frame, source: FrameProcessor): Promise<boolean> {
    const p = this.#params;
    if (frame instanceof BotStartedSpeakingFrame) {
      if (!p.botSpeakingEnabled) return true;
      await this.sendRTVIMessage(rtviMessage("bot-started-speaking"));
      this.#botSpeaking = true;
      const held = this.#heldText;
      this.#heldText = [];
      for (const text of held) await this.#sendText(text);
    } else if (frame instanceof BotStoppedSpeakingFrame) {
      if (!p.botSpeakingEnabled) return true;
      await this.sendRTVIMessage(rtviMessage("bot-stopped-speaking"));
      this.#botSpeaking = false;
    } else if (frame instanceof InterruptionFrame) {
      this.#heldText = [];
      if (p.botSpeakingEnabled) await this.sendRTVIMessage(rtviMessage("bot-interrupted"));
    } else if (frame instanceof TranscriptionFrame || frame instanceof InterimTranscriptionFrame) {
      if (p.userTranscriptionEnabled) {
        await this.sendRTVIMessage(
          rtviMessage("user-transcription", {
            text: frame.text,
            user_id: frame.userId,
            timestamp: frame.timestamp,
            final: frame instanceof TranscriptionFrame,
          }),
        );
      }
    } else if (frame instanceof LLMContextFrame) {
      if (p.userLlmEnabled) await this.#reportUserText(frame);
    } else if (frame instanceof LLMFullResponseStartFrame) {
      if (p.botLlmEnabled) await this.sendRTVIMessage(rtviMessage("bot-llm-started"));
    } else if (frame instanceof LLMFullResponseEndFrame) {
      if (p.botLlmEnabled) await this.sendRTVIMessage(rtviMessage("bot-llm-stopped"));
    } else if (frame instanceof LLMTextFrame) {
      if (p.botLlmEnabled)
        await this.sendRTVIMessage(rtviMessage("bot-llm-text", { text: frame.text }));
    } else if (frame instanceof TTSStartedFrame) {
      if (p.botTtsEnabled) await this.sendRTVIMessage(rtviMessage("bot-tts-started"));
    } else if (frame instanceof TTSStoppedFrame) {
      if (p.botTtsEnabled) await this.sendRTVIMessage(rtviMessage("bot-tts-stopped"));
    } else if (frame instanceof AggregatedTextFrame) {
      if (!p.botOutputEnabled && !p.botTtsEnabled) return true;
      // Only once the output transport pushed it: in step with the audio.
      if (!(source instanceof BaseOutputTransport)) return false;
      const spoken = frame instanceof TTSTextFrame || frame.willBeSpoken;
      if (spoken && !this.#botSpeaking) this.#heldText.push(frame);
      else await this.#sendText(frame);
    } else if (frame instanceof MetricsFrame) {
      if (p.metricsEnabled) await this.#reportMetrics(frame.data);
    } else if (frame instanceof ErrorFrame) {
      if (p.errorsEnabled) await this.sendRTVIMessage(rtviError(frame.error, frame.fatal));
    } else if (frame instanceof RTVIServerMessageFrame) {
      await this.sendRTVIMessage(rtviServerMessage(frame.data));
    } else if (frame instanceof RTVIServerResponseFrame) {
      const request = frame.clientMessage;
      await this.sendRTVIMessage(
        frame.error !== undefined
          ? rtviErrorResponse(request.msgId, frame.error)
          : rtviServerResponse(request.msgId, request.type, frame.data),
      );
    }
    return true;
  }

  async #sendText(frame: AggregatedTextFrame): Promise<void> {
    const type = frame.aggregatedBy;
    if (this.#skipTypes.has(type)) return;
    const isTTS = frame instanceof TTSTextFrame;
    // Protocol 2: word and token pieces are not bot-output (bot-tts-text still carries them).
    if (this.#params.botOutputEnabled && type !== "word" && type !== "token") {
      const data: RTVIBotOutputData = {
        text: frame.text,
        spoken: isTTS,
        will_be_spoken: frame.willBeSpoken,
        aggregated_by: type,
        segment_id: frame.id,
      };
      if (frame.willBeSpoken) {
        data.spoken_status = isTTS ? "completed" : "new";
        data.spoken_progress = isTTS
          ? { accumulated_text: frame.text, remaining_text: "" }
          : { accumulated_text: "", remaining_text: frame.text };
      }
      await this.sendRTVIMessage(rtviMessage("bot-output", data));
    }
    if (isTTS && this.#params.botTtsEnabled) {
      await this.sendRTVIMessage(rtviMessage("bot-tts-text", { text: frame.text }));
    }
  }

  async #reportUserText(frame: LLMContextFrame): Promise<void> {
    const last = frame.context.getMessages().at(-1);
    if (last?.role !== "user" || last.content === undefined || last.content === null) return;
    const text =
      typeof last.content === "string"
        ? last.content
        : last.content
            .map((part) => (typeof part.text === "string" ? part.text : undefined))
            .filter((t): t is string => t !== undefined)
            .join(" ");
    await this.sendRTVIMessage(rtviMessage("user-llm-text", { text }));
  }

  async #reportMetrics(data: readonly MetricsData[]): Promise<void> {
    const metrics: RTVIMetricsData = {};
    const add = <K extends keyof RTVIMetricsData>(
      key: K,
      entry: NonNullable<RTVIMetricsData[K]>[number],
    ): void => {
      const list = (metrics[key] ?? []) as Array<typeof entry>;
      list.push(entry);
      (metrics as Record<string, unknown>)[key] = list;
    };
    for (const d of data) {
      const base =
        d.model === undefined
          ? { processor: d.processor }
          : { processor: d.processor, model: d.model };
      if (d.type === "ttfb") add("ttfb", { ...base, value: d.value });
      else if (d.type === "processing") add("processing", { ...base, value: d.value });
      else if (d.type === "tts_usage") add("characters", { ...base, value: d.value });
      else if (d.type === "llm_usage") {
        const u = d.value;
        add("tokens", {
          ...base,
          prompt_tokens: u.promptTokens,
          completion_tokens: u.completionTokens,
          total_tokens: u.totalTokens,
          ...(u.cacheReadInputTokens === undefined
            ? {}
            : { cache_read_input_tokens: u.cacheReadInputTokens }),
          ...(u.cacheCreationInputTokens === undefined
            ? {}
            : { cache_creation_input_tokens: u.cacheCreationInputTokens }),
          ...(u.reasoningTokens === undefined ? {} : { reasoning_tokens: u.reasoningTokens }),
        });
      }
    }
    if (Object.keys(metrics).length > 0)
      await this.sendRTVIMessage(rtviMessage("metrics", metrics));
  }
}
