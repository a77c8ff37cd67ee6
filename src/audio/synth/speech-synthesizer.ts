// What a speech synthesizer is for the local twins: text in, 16-bit mono PCM out at the asked
// sample rate, streamed as it is produced (so a TTS twin can stream its HTTP body), cancelled by an
// AbortSignal. Two engines implement it: espeak-ng as an external program, and a built-in formant
// synthesizer for machines without it.
import {
  PipecatError,
  brandErrorClass,
  type ErrorCategory,
  SettingsValidationError,
} from "../../utils/errors.js";

/** The sample rates a request may ask for (Hz), inclusive: Cartesia's 8000 to 48000. */
export const MIN_SYNTHESIS_SAMPLE_RATE = 8_000;
export const MAX_SYNTHESIS_SAMPLE_RATE = 48_000;
/** Longest text accepted by default, in characters (a TTS request is one sentence, usually). */
export const DEFAULT_MAX_TEXT_CHARS = 10_000;
/** Speed and volume multipliers accepted (Cartesia's generation_config allows 0.6–1.5, 0.5–2). */
export const MIN_SPEED = 0.5;
export const MAX_SPEED = 2;
export const MIN_VOLUME = 0;
export const MAX_VOLUME = 2;

export interface SynthesisRequest {
  text: string;
  /** Output rate in Hz, 8000–48000. */
  sampleRate: number;
  /** A voice id from SPEECH_VOICES; default DEFAULT_SPEECH_VOICE_ID. */
  voice?: string;
  /** Speaking-rate multiplier, 0.5–2; default 1. */
  speed?: number;
  /** Loudness multiplier, 0–2; default 1. */
  volume?: number;
  signal?: AbortSignal;
}

export type SpeechEngine = "espeak-ng" | "builtin";

export interface SpeechSynthesizer {
  readonly engine: SpeechEngine;
  /** One line saying which engine speaks, e.g. "speech: espeak-ng 1.51 (external program)". */
  describe(): string;
  /**
   * s16le mono chunks at `request.sampleRate`, in order, as they are made. Each chunk holds whole
   * samples. Aborting the signal stops the work and rejects with the signal's reason.
   */
  synthesize(request: SynthesisRequest): AsyncIterable<Uint8Array>;
}

/** Synthesis failed: the engine crashed, ran too long, or produced too much. */
export class SpeechSynthesisError extends PipecatError {
  static {
    brandErrorClass(SpeechSynthesisError, "SpeechSynthesisError", "SPEECH_SYNTHESIS_ERROR");
  }

  constructor(message: string, category: ErrorCategory, cause?: unknown) {
    super(message, { category, cause });
  }
}

/** Checks a request's fields; returns the speed and volume with defaults applied. */
export function checkSynthesisRequest(
  request: SynthesisRequest,
  maxTextChars: number,
): { speed: number; volume: number } {
  if (typeof request.text !== "string")
    throw new SettingsValidationError("text", request.text, "a string");
  if (request.text.length > maxTextChars)
    throw new SettingsValidationError(
      "text",
      `${request.text.length} characters`,
      `at most ${maxTextChars} characters`,
    );
  const rate = request.sampleRate;
  if (
    !Number.isInteger(rate) ||
    rate < MIN_SYNTHESIS_SAMPLE_RATE ||
    rate > MAX_SYNTHESIS_SAMPLE_RATE
  )
    throw new SettingsValidationError(
      "sampleRate",
      rate,
      `an integer from ${MIN_SYNTHESIS_SAMPLE_RATE} to ${MAX_SYNTHESIS_SAMPLE_RATE} (Hz)`,
    );
  const speed = request.speed ?? 1;
  if (!Number.isFinite(speed) || speed < MIN_SPEED || speed > MAX_SPEED)
    throw new SettingsValidationError("speed", speed, `a number from ${MIN_SPEED} to ${MAX_SPEED}`);
  const volume = request.volume ?? 1;
  if (!Number.isFinite(volume) || volume < MIN_VOLUME || volume > MAX_VOLUME)
    throw new SettingsValidationError(
      "volume",
      volume,
      `a number from ${MIN_VOLUME} to ${MAX_VOLUME}`,
    );
  return { speed, volume };
}
