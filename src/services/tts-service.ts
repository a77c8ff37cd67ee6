// TTSService: turns text into speech frames, the base of every TTS service (Pipecat's
// services/tts_service.py, trimmed to what an HTTP service needs). It cuts incoming text into the
// units it speaks (sentences, or each piece as it comes), frames each unit the way Pipecat does,
// and turns the audio bytes a concrete service streams into bounded TTSAudioRawFrames. A concrete
// service implements one method: runTTS(text, context), an async iterable of s16le mono bytes.
//
// Frames out, per LLM turn (LLMFullResponseStartFrame ... LLMFullResponseEndFrame), one context:
//   LLMFullResponseStartFrame
//   for each unit: AggregatedTextFrame(willBeSpoken) → TTSStartedFrame (first unit only)
//                  → TTSAudioRawFrame(s) → TTSTextFrame
//   TTSStoppedFrame → LLMFullResponseEndFrame
// Text outside a turn (a bare TextFrame, e.g. from a SentenceAggregator inside a
// SyncParallelPipeline branch) and every TTSSpeakFrame is a context of its own, closed at once:
//   AggregatedTextFrame → TTSStartedFrame → TTSAudioRawFrame(s) → TTSTextFrame → TTSStoppedFrame
// (Pipecat closes such a context after 3 s without audio; closing it at once keeps everything a
// frame causes inside that frame's processing, which SyncParallelPipeline relies on.)
//
// Everything for a unit is pushed before the frame that carried its text is done: the request is
// awaited in processFrame(), so the next frame (and SyncParallelPipeline's sentinel) waits behind
// the audio. The text frames themselves are consumed, as in Pipecat: what goes on is the
// AggregatedTextFrame announcing the text and the TTSTextFrame saying it was spoken.
import { randomUUID } from "node:crypto";
import type { Frame } from "../frames/base.js";
import { TTSAudioRawFrame } from "../frames/audio.js";
import { ErrorFrame } from "../frames/error.js";
import {
  CancelFrame,
  DEFAULT_AUDIO_OUT_SAMPLE_RATE,
  EndFrame,
  InterruptionFrame,
  type StartFrame,
} from "../frames/lifecycle.js";
import { LLMFullResponseEndFrame, LLMFullResponseStartFrame } from "../frames/llm.js";
import { MetricsFrame } from "../frames/metrics.js";
import { TTSUpdateSettingsFrame } from "../frames/settings.js";
import {
  AggregatedTextFrame,
  type AggregationType,
  TTSSpeakFrame,
  TTSStartedFrame,
  TTSStoppedFrame,
  TTSTextFrame,
} from "../frames/speech.js";
import { InterimTranscriptionFrame, TextFrame, TranscriptionFrame } from "../frames/text.js";
import { AudioChunker } from "../audio/chunker.js";
import { pcm16BytesForDuration } from "../audio/pcm.js";
import { FrameDirection } from "../processors/direction.js";
import { LinkedAbort } from "../utils/abort.js";
import {
  PipecatError,
  SettingsValidationError,
  brandErrorClass,
  describeError,
} from "../utils/errors.js";
import { logger } from "../utils/logger.js";
import { SimpleTextAggregator } from "../utils/text/simple-text-aggregator.js";
import { AIService, type AIServiceOptions } from "./ai-service.js";
import {
  type SettingsClass,
  type TTSSettings,
  ServiceSettings,
  isPlainObject,
} from "./settings.js";

/** How incoming text is cut before synthesis (Pipecat's TextAggregationMode). */
export type TextAggregationMode = "sentence" | "token";
export const TextAggregationMode = Object.freeze({
  /** Hold text until a sentence is complete (the default): natural prosody, a sentence of latency. */
  SENTENCE: "sentence",
  /** Speak each piece of text as it arrives (for input that is already cut, e.g. sentences). */
  TOKEN: "token",
} as const);
const TEXT_AGGREGATION_MODES: readonly TextAggregationMode[] = ["sentence", "token"];

/** Largest TTSAudioRawFrame by default, in ms: Pipecat's output transport plays 40 ms chunks. */
export const DEFAULT_MAX_AUDIO_CHUNK_MS = 40;
/** Bounds of `maxChunkMs`, in ms. */
const MIN_AUDIO_CHUNK_MS = 10;
const MAX_AUDIO_CHUNK_MS = 1000;
/** Bounds of `sampleRate`, in Hz. */
const MIN_SAMPLE_RATE = 8_000;
const MAX_SAMPLE_RATE = 192_000;
/** Longest text quoted in an error message, in characters. */
const QUOTED_TEXT_MAX_CHARS = 60;

export interface TTSServiceOptions<S extends TTSSettings> extends AIServiceOptions<S> {
  /** "sentence" (default) or "token". */
  textAggregationMode?: TextAggregationMode;
  /** Rate of the audio frames, in Hz. Default: the StartFrame's `audioOutSampleRate` (24000). */
  sampleRate?: number;
  /**
   * Largest TTSAudioRawFrame, in ms of audio (default 40). Audio is pushed as it arrives, so
   * frames may be shorter; never longer, and always whole 16-bit samples.
   */
  maxChunkMs?: number;
}

/** What a concrete service gets for one unit of text. */
export interface TTSRunContext<S extends TTSSettings> {
  /** Aborted on interruption, CancelFrame, or when the frame's processing is abandoned. */
  signal: AbortSignal;
  /** A snapshot of the settings when the unit was taken up: later updates do not affect it. */
  settings: S;
  /** The rate the bytes must have, in Hz (the service's sampleRate). */
  sampleRate: number;
  /** The TTS context (one per LLM turn, or per standalone utterance). */
  contextId: string;
}

/** A TTS context in progress: one LLM turn, or one standalone utterance. */
interface SpeechContext {
  readonly id: string;
  /** True once its TTSStartedFrame went out (so a TTSStoppedFrame is owed). */
  started: boolean;
}

/** A synthesis that ended without a single byte of audio (the service accepted the text but said nothing). */
export class TTSNoAudioError extends PipecatError {
  static {
    brandErrorClass(TTSNoAudioError, "TTSNoAudioError", "TTS_NO_AUDIO_ERROR");
  }

  constructor(text: string) {
    super(`TTS produced no audio for ${quote(text)}`, { category: "server" });
  }
}

export abstract class TTSService<S extends TTSSettings> extends AIService<S> {
  readonly textAggregationMode: TextAggregationMode;
  readonly maxChunkMs: number;
  readonly #initSampleRate: number | undefined;
  #startSampleRate: number | undefined;
  #usageMetrics = false;
  readonly #aggregator: SimpleTextAggregator;
  /** The LLM turn in progress (between LLMFullResponseStart and End), if any. */
  #turn: SpeechContext | undefined;
  /** Aborted and replaced at each interruption/cancel: every synthesis listens to the current one. */
  #epoch = new AbortController();

  constructor(options: TTSServiceOptions<S>) {
    super(options);
    const mode = options.textAggregationMode ?? TextAggregationMode.SENTENCE;
    if (!TEXT_AGGREGATION_MODES.includes(mode))
      throw new SettingsValidationError(
        "textAggregationMode",
        mode,
        TEXT_AGGREGATION_MODES.map((m) => `"${m}"`).join(" or "),
      );
    this.textAggregationMode = mode;
    if (options.sampleRate !== undefined) checkSampleRate("sampleRate", options.sampleRate);
    this.#initSampleRate = options.sampleRate;
    const chunkMs = options.maxChunkMs ?? DEFAULT_MAX_AUDIO_CHUNK_MS;
    if (!Number.isInteger(chunkMs) || chunkMs < MIN_AUDIO_CHUNK_MS || chunkMs > MAX_AUDIO_CHUNK_MS)
      throw new SettingsValidationError(
        "maxChunkMs",
        chunkMs,
        `an integer from ${MIN_AUDIO_CHUNK_MS} to ${MAX_AUDIO_CHUNK_MS} (ms)`,
      );
    this.maxChunkMs = chunkMs;
    this.#aggregator = new SimpleTextAggregator({ aggregationType: mode });
  }

  /**
   * Synthesizes one unit of text: s16le mono bytes at `context.sampleRate`, in order, as they
   * arrive (pieces of any size; the base cuts them into frames). Throws typed errors; on abort,
   * rejects with the signal's reason.
   */
  protected abstract runTTS(text: string, context: TTSRunContext<S>): AsyncIterable<Uint8Array>;

  /**
   * The rate of the audio frames, in Hz: the `sampleRate` option, else the StartFrame's
   * `audioOutSampleRate`; 24000 before a StartFrame arrives.
   */
  get sampleRate(): number {
    return this.#initSampleRate ?? this.#startSampleRate ?? DEFAULT_AUDIO_OUT_SAMPLE_RATE;
  }

  override canGenerateMetrics(): boolean {
    return true;
  }

  protected override async start(frame: StartFrame): Promise<void> {
    await super.start(frame);
    try {
      checkSampleRate("audioOutSampleRate", frame.audioOutSampleRate);
      this.#startSampleRate = frame.audioOutSampleRate;
    } catch (error) {
      if (this.#initSampleRate === undefined)
        logger.error(
          `${this.name}: ${describeError(error)}; synthesizing at ${this.sampleRate} Hz`,
        );
    }
    this.#usageMetrics = frame.enableUsageMetrics;
  }

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);

    if (frame instanceof InterruptionFrame || frame instanceof CancelFrame) {
      this.#reset();
      await this.pushFrame(frame, direction);
    } else if (direction === FrameDirection.UPSTREAM) {
      await this.pushFrame(frame, direction);
    } else if (frame instanceof TextFrame && frame.skipTts === true) {
      await this.pushFrame(frame, direction);
    } else if (frame instanceof AggregatedTextFrame) {
      // Already cut by someone else: spoken as it is (Pipecat does the same).
      await this.#speak(frame.text, frame.aggregatedBy, signal);
    } else if (
      frame instanceof TextFrame &&
      !(frame instanceof TranscriptionFrame) &&
      !(frame instanceof InterimTranscriptionFrame)
    ) {
      for (const unit of this.#aggregator.aggregate(frame.text))
        await this.#speak(unit.text, unit.type, signal);
    } else if (frame instanceof LLMFullResponseStartFrame) {
      // A turn left open (no End seen) is closed first, so every Started gets its Stopped.
      await this.#endTurn();
      this.#turn = { id: randomUUID(), started: false };
      await this.pushFrame(frame, direction);
    } else if (frame instanceof LLMFullResponseEndFrame || frame instanceof EndFrame) {
      await this.#flush(signal);
      await this.#endTurn();
      await this.pushFrame(frame, direction);
    } else if (frame instanceof TTSSpeakFrame) {
      await this.#speakStandalone(frame.text, "sentence", signal);
    } else if (
      frame instanceof TTSUpdateSettingsFrame &&
      (frame.service === undefined || frame.service === this)
    ) {
      await this.#applySettingsFrame(frame);
    } else {
      await this.pushFrame(frame, direction);
    }
  }

  override async cleanup(): Promise<void> {
    this.#reset();
    await super.cleanup();
  }

  /** Speaks whatever the aggregator still holds (end of a turn, or of the pipeline). */
  async #flush(signal: AbortSignal): Promise<void> {
    const rest = this.#aggregator.flush();
    if (rest) await this.#speak(rest.text, rest.type, signal);
  }

  /** Closes the turn in progress: its TTSStoppedFrame, if it started. */
  async #endTurn(): Promise<void> {
    const turn = this.#turn;
    this.#turn = undefined;
    if (turn?.started) await this.pushFrame(new TTSStoppedFrame(turn.id));
  }

  /** One unit: inside the turn in progress, or as a context of its own when there is none. */
  async #speak(text: string, aggregatedBy: AggregationType, signal: AbortSignal): Promise<void> {
    if (this.#turn) await this.#synthesize(text, aggregatedBy, this.#turn, signal);
    else await this.#speakStandalone(text, aggregatedBy, signal);
  }

  async #speakStandalone(
    text: string,
    aggregatedBy: AggregationType,
    signal: AbortSignal,
  ): Promise<void> {
    const context: SpeechContext = { id: randomUUID(), started: false };
    const epoch = this.#epoch.signal;
    await this.#synthesize(text, aggregatedBy, context, signal);
    if (context.started && !epoch.aborted && !signal.aborted)
      await this.pushFrame(new TTSStoppedFrame(context.id));
  }

  /**
   * AggregatedTextFrame → TTSStartedFrame (once per context) → audio → TTSTextFrame. A failure
   * becomes an ErrorFrame upstream and no TTSTextFrame (the text was not spoken); an interruption
   * ends it silently, dropping the rest of the audio.
   */
  async #synthesize(
    rawText: string,
    aggregatedBy: AggregationType,
    context: SpeechContext,
    frameSignal: AbortSignal,
  ): Promise<void> {
    const transcript =
      this.textAggregationMode === "token" ? rawText.trim() : stripNewlines(rawText);
    if (transcript.trim() === "") return;
    const epoch = this.#epoch.signal;
    const linked = new LinkedAbort([epoch, frameSignal]);
    const { signal } = linked;
    try {
      const announced = new AggregatedTextFrame(rawText, aggregatedBy, context.id);
      announced.willBeSpoken = true;
      // Not part of the conversation until it is spoken (the TTSTextFrame carries it then).
      announced.appendToContext = false;
      await this.pushFrame(announced);
      if (!context.started) {
        context.started = true;
        await this.pushFrame(new TTSStartedFrame(context.id));
      }
      const spoken = await this.#streamAudio(transcript, context.id, signal);
      if (!spoken || signal.aborted) return;
      const done = new TTSTextFrame(rawText, aggregatedBy, context.id);
      done.willBeSpoken = true;
      done.includesInterFrameSpaces = this.textAggregationMode === "token";
      await this.pushFrame(done);
    } finally {
      linked.dispose();
    }
  }

  /** Runs the synthesis and pushes its audio; true when it completed. Reports its own failure. */
  async #streamAudio(transcript: string, contextId: string, signal: AbortSignal): Promise<boolean> {
    const sampleRate = this.sampleRate;
    const chunker = new AudioChunker({
      maxBytes: pcm16BytesForDuration(this.maxChunkMs, sampleRate),
      // Pass audio on as soon as a whole sample is there: latency over frame count.
      minBytes: 2,
    });
    const settings = this.settingsStore.copy() as S;
    const push = async (bytes: Uint8Array): Promise<void> => {
      if (signal.aborted) return;
      await this.pushFrame(
        new TTSAudioRawFrame({ audio: bytes, sampleRate, numChannels: 1, contextId }),
      );
    };
    let received = 0;
    this.startTtfbMetrics();
    this.startProcessingMetrics();
    try {
      for await (const bytes of this.runTTS(transcript, {
        signal,
        settings,
        sampleRate,
        contextId,
      })) {
        if (signal.aborted) break;
        if (bytes.byteLength === 0) continue;
        if (received === 0) await this.stopTtfbMetrics();
        received += bytes.byteLength;
        for (const chunk of chunker.push(bytes)) await push(chunk);
      }
      if (signal.aborted) return false;
      for (const chunk of chunker.flush()) await push(chunk);
      await this.stopProcessingMetrics();
      if (received === 0) throw new TTSNoAudioError(transcript);
      await this.#reportUsage(transcript);
      return true;
    } catch (error) {
      // An interruption is not a failure: the audio was not wanted any more.
      if (signal.aborted) return false;
      await this.stopAllMetrics();
      await this.pushErrorFrame(
        new ErrorFrame(`TTS failed for ${quote(transcript)}: ${describeError(error)}`, {
          cause: error,
          category: error instanceof PipecatError ? error.category : undefined,
          processor: this,
          prompt: transcript,
        }),
      );
      return false;
    } finally {
      chunker.reset();
    }
  }

  async #reportUsage(transcript: string): Promise<void> {
    if (!this.metricsEnabled || !this.#usageMetrics) return;
    await this.pushFrame(
      new MetricsFrame([
        {
          type: "tts_usage",
          processor: this.name,
          model: this.metricsModel,
          value: transcript.length,
        },
      ]),
    );
  }

  async #applySettingsFrame(frame: TTSUpdateSettingsFrame): Promise<void> {
    try {
      await this.updateSettings(this.#toDelta(frame.delta));
    } catch (error) {
      await this.pushError(`Settings update rejected: ${describeError(error)}`, {
        cause: error,
        category: "validation",
      });
    }
  }

  /** A settings object as it is; a plain object (`{ voice: "..." }`) through the class's fromMapping. */
  #toDelta(delta: unknown): ServiceSettings {
    if (delta instanceof ServiceSettings) return delta;
    if (isPlainObject(delta)) {
      const cls = this.settingsStore.constructor as SettingsClass<S> & {
        fromMapping(mapping: Record<string, unknown>): S;
      };
      return cls.fromMapping(delta);
    }
    throw new SettingsValidationError(
      "delta",
      delta,
      "a settings object (e.g. new Service.Settings({...})) or a plain object of fields",
    );
  }

  /** An interruption or cancel: abort the synthesis in flight, forget held text and the turn. */
  #reset(): void {
    const epoch = this.#epoch;
    this.#epoch = new AbortController();
    epoch.abort(new DOMException("TTS interrupted", "AbortError"));
    this.#aggregator.handleInterruption();
    this.#turn = undefined;
  }
}

function checkSampleRate(field: string, rate: number): void {
  if (!Number.isInteger(rate) || rate < MIN_SAMPLE_RATE || rate > MAX_SAMPLE_RATE)
    throw new SettingsValidationError(
      field,
      rate,
      `an integer from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} (Hz)`,
    );
}

/** Leading newlines off (Pipecat's lstrip("\n")): they make some engines pause. */
function stripNewlines(text: string): string {
  return text.replace(/^\n+/, "");
}

function quote(text: string): string {
  const short =
    text.length > QUOTED_TEXT_MAX_CHARS ? `${text.slice(0, QUOTED_TEXT_MAX_CHARS - 1)}…` : text;
  return JSON.stringify(short);
}
