// The body of `POST /tts/bytes` as the local Cartesia twin reads it: every field the official SDK
// (cartesia-js 4.2.0 `TTSGenerateParams`) and Pipecat send, checked, with a Cartesia-shaped error
// that names the field, what came and what is allowed. Voices come in three shapes: a bare id
// string (the SDK), `{ id }` (the SDK's object form) and `{ mode: "id", id }` (older API, Pipecat).
import { DEFAULT_SPEECH_VOICE_ID, type SpeechVoice } from "../../audio/synth/voices.js";
import { describeValue } from "../../utils/errors.js";
import {
  CARTESIA_EMOTIONS,
  CARTESIA_LANGUAGES,
  CARTESIA_MAX_SPEED,
  CARTESIA_MAX_VOLUME,
  CARTESIA_MIN_SPEED,
  CARTESIA_MIN_VOLUME,
  CARTESIA_SAMPLE_RATES,
} from "../../services/cartesia/settings.js";
import { CARTESIA_ENCODINGS, type CartesiaEncoding } from "./encodings.js";
import type { CartesiaErrorCode } from "./replies.js";
import { findTwinVoice } from "./voices.js";

export type Container = "raw" | "wav";

/** A checked request, ready to synthesize. */
export interface TtsRequest {
  modelId: string;
  transcript: string;
  /** The voice id as the client named it. */
  voiceId: string;
  /** The twin voice that speaks it. */
  voice: SpeechVoice;
  container: Container;
  encoding: CartesiaEncoding;
  sampleRate: number;
  /** `language` (or `locale`) as sent; the voice decides how the twin speaks. */
  language?: string;
  /** generation_config.speed, default 1. */
  speed: number;
  /** generation_config.volume, default 1. */
  volume: number;
}

export interface TtsRequestError {
  status: number;
  code: CartesiaErrorCode;
  message: string;
}

export interface TtsRequestOptions {
  /** Longest transcript accepted, in characters. */
  maxTextChars: number;
  /** "reject" (default): an unknown voice id is a 404; "default": it speaks with the default voice. */
  unknownVoice: "reject" | "default";
}

/** The Cartesia model ids the twin answers to: the sonic family, dated or not. */
const MODEL_PATTERN = /^sonic(-[a-z0-9.]+)*$/;
const SPEED_WORDS = ["slowest", "slow", "normal", "fast", "fastest"];

class Invalid extends Error {
  constructor(
    readonly status: number,
    readonly code: CartesiaErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function invalid(field: string, value: unknown, allowed: string): Invalid {
  const got = value === undefined ? "nothing" : describeValue(value);
  return new Invalid(400, "invalid_request", `Invalid ${field}: got ${got}; expected ${allowed}.`);
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function readVoiceId(value: unknown): string {
  if (typeof value === "string") {
    if (value.trim() === "")
      throw invalid("voice", value, 'a voice id string, { id }, or { mode: "id", id }');
    return value;
  }
  const voice = record(value);
  if (!voice) throw invalid("voice", value, 'a voice id string, { id }, or { mode: "id", id }');
  if (voice.mode !== undefined && voice.mode !== "id")
    throw new Invalid(
      400,
      "unsupported",
      `Invalid voice.mode: got ${describeValue(voice.mode)}; only "id" is supported (voice embeddings are not accepted by this API version).`,
    );
  if (typeof voice.id !== "string" || voice.id.trim() === "")
    throw invalid("voice.id", voice.id, "a voice id string");
  return voice.id;
}

function readOutputFormat(value: unknown): {
  container: Container;
  encoding: CartesiaEncoding;
  sampleRate: number;
} {
  const format = record(value);
  if (!format)
    throw invalid("output_format", value, '{ container: "raw" | "wav", encoding, sample_rate }');
  const { container, encoding, sample_rate: sampleRate } = format;
  if (container === "mp3")
    throw new Invalid(
      400,
      "unsupported",
      'output_format.container "mp3" is not supported by the local Cartesia twin; use "raw" or "wav".',
    );
  if (container !== "raw" && container !== "wav")
    throw invalid(
      "output_format.container",
      container,
      '"raw" or "wav" ("mp3" is not supported by the twin)',
    );
  if (!CARTESIA_ENCODINGS.includes(encoding as CartesiaEncoding))
    throw invalid(
      "output_format.encoding",
      encoding,
      CARTESIA_ENCODINGS.map((e) => `"${e}"`).join(", "),
    );
  const rates: readonly number[] = CARTESIA_SAMPLE_RATES;
  if (typeof sampleRate !== "number" || !rates.includes(sampleRate))
    throw invalid(
      "output_format.sample_rate",
      sampleRate,
      `one of ${CARTESIA_SAMPLE_RATES.join(", ")}`,
    );
  return { container, encoding: encoding as CartesiaEncoding, sampleRate };
}

function readLanguage(body: Record<string, unknown>): string | undefined {
  const { language, locale } = body;
  const given = (v: unknown): boolean => v !== undefined && v !== null;
  if (given(language) && given(locale))
    throw new Invalid(400, "invalid_request", "Set language or locale, never both.");
  const field = given(language) ? "language" : "locale";
  const value = given(language) ? language : locale;
  if (!given(value)) return undefined;
  const base = typeof value === "string" ? (value.toLowerCase().split(/[-_]/)[0] ?? "") : "";
  if (!CARTESIA_LANGUAGES.includes(base))
    throw invalid(
      field,
      value,
      `one of ${CARTESIA_LANGUAGES.join(", ")} (or a locale of one, e.g. "en-GB")`,
    );
  return value as string;
}

function readGenerationConfig(value: unknown): { speed: number; volume: number } {
  if (value === undefined || value === null) return { speed: 1, volume: 1 };
  const config = record(value);
  if (!config)
    throw invalid("generation_config", value, "an object with volume, speed and/or emotion");
  const { speed = 1, volume = 1, emotion } = config;
  if (typeof speed !== "number" || !(speed >= CARTESIA_MIN_SPEED && speed <= CARTESIA_MAX_SPEED))
    throw invalid(
      "generation_config.speed",
      speed,
      `a number from ${CARTESIA_MIN_SPEED} to ${CARTESIA_MAX_SPEED}`,
    );
  if (
    typeof volume !== "number" ||
    !(volume >= CARTESIA_MIN_VOLUME && volume <= CARTESIA_MAX_VOLUME)
  )
    throw invalid(
      "generation_config.volume",
      volume,
      `a number from ${CARTESIA_MIN_VOLUME} to ${CARTESIA_MAX_VOLUME}`,
    );
  if (emotion !== undefined && emotion !== null && !CARTESIA_EMOTIONS.includes(emotion as string))
    throw invalid("generation_config.emotion", emotion, `one of ${CARTESIA_EMOTIONS.join(", ")}`);
  return { speed, volume };
}

/** Checks a parsed body; the request, or the error to answer with. */
export function parseTtsRequest(
  body: unknown,
  options: TtsRequestOptions,
): { ok: true; request: TtsRequest } | { ok: false; error: TtsRequestError } {
  try {
    const fields = record(body);
    if (!fields) throw invalid("request body", body, "a JSON object");
    const modelId = fields.model_id;
    if (typeof modelId !== "string" || !MODEL_PATTERN.test(modelId))
      throw invalid(
        "model_id",
        modelId,
        'a Cartesia TTS model id such as "sonic-3.5" or "sonic-3"',
      );
    const transcript = fields.transcript;
    if (typeof transcript !== "string" || transcript.trim() === "")
      throw invalid("transcript", transcript, "a non-empty string");
    if (transcript.length > options.maxTextChars)
      throw invalid(
        "transcript",
        `${transcript.length} characters`,
        `at most ${options.maxTextChars} characters`,
      );
    const voiceId = readVoiceId(fields.voice);
    let voice = findTwinVoice(voiceId);
    if (!voice) {
      if (options.unknownVoice === "reject")
        throw new Invalid(
          404,
          "voice_not_found",
          `Voice ${JSON.stringify(voiceId)} was not found. The local Cartesia twin has the voices listed by GET /voices.`,
        );
      voice = findTwinVoice(DEFAULT_SPEECH_VOICE_ID) as SpeechVoice;
    }
    const format = readOutputFormat(fields.output_format);
    const language = readLanguage(fields);
    const { speed, volume } = readGenerationConfig(fields.generation_config);
    // The deprecated top-level `speed` is accepted (and has no effect), as Cartesia still takes it.
    if (
      fields.speed !== undefined &&
      fields.speed !== null &&
      !(typeof fields.speed === "number" || SPEED_WORDS.includes(fields.speed as string))
    )
      throw invalid("speed", fields.speed, `a number or one of ${SPEED_WORDS.join(", ")}`);
    const request: TtsRequest = {
      modelId,
      transcript,
      voiceId,
      voice,
      ...format,
      speed,
      volume,
    };
    if (language !== undefined) request.language = language;
    return { ok: true, request };
  } catch (error) {
    if (error instanceof Invalid)
      return {
        ok: false,
        error: { status: error.status, code: error.code, message: error.message },
      };
    throw error;
  }
}
