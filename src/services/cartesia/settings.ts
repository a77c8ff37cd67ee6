// CartesiaHttpTTSService settings (Pipecat's CartesiaTTSSettings and GenerationConfig) and the
// values Cartesia's bytes API accepts: sample rates, languages, emotions, generation ranges.
import { SettingsValidationError } from "../../utils/errors.js";
import { type Given, type SettingsInit, TTSSettings, isGiven, isPlainObject } from "../settings.js";

/** Output sample rates Cartesia accepts (`output_format.sample_rate`), in Hz. */
export const CARTESIA_SAMPLE_RATES = Object.freeze([
  8000, 16000, 22050, 24000, 44100, 48000,
] as const);
export type CartesiaSampleRate = (typeof CARTESIA_SAMPLE_RATES)[number];

/** Language codes of Cartesia's API (cartesia-js 4.2.0 `SupportedLanguage`). */
export const CARTESIA_LANGUAGES: readonly string[] = Object.freeze([
  "en",
  "fr",
  "de",
  "es",
  "pt",
  "zh",
  "ja",
  "hi",
  "it",
  "ko",
  "nl",
  "pl",
  "ru",
  "sv",
  "tr",
  "tl",
  "bg",
  "ro",
  "ar",
  "cs",
  "el",
  "fi",
  "hr",
  "ms",
  "sk",
  "da",
  "ta",
  "uk",
  "hu",
  "no",
  "vi",
  "bn",
  "th",
  "he",
  "ka",
  "id",
  "te",
  "gu",
  "kn",
  "ml",
  "mr",
  "pa",
  "or",
  "ur",
]);

/** Emotions `generation_config.emotion` accepts (cartesia-js 4.2.0 `Emotion`). */
export const CARTESIA_EMOTIONS: readonly string[] = Object.freeze([
  "neutral",
  "happy",
  "excited",
  "enthusiastic",
  "elated",
  "euphoric",
  "triumphant",
  "amazed",
  "surprised",
  "flirtatious",
  "curious",
  "content",
  "peaceful",
  "serene",
  "calm",
  "grateful",
  "affectionate",
  "trust",
  "sympathetic",
  "anticipation",
  "mysterious",
  "angry",
  "mad",
  "outraged",
  "frustrated",
  "agitated",
  "threatened",
  "disgusted",
  "contempt",
  "envious",
  "sarcastic",
  "ironic",
  "sad",
  "dejected",
  "melancholic",
  "disappointed",
  "hurt",
  "guilty",
  "bored",
  "tired",
  "rejected",
  "nostalgic",
  "wistful",
  "apologetic",
  "hesitant",
  "insecure",
  "confused",
  "resigned",
  "anxious",
  "panicked",
  "alarmed",
  "scared",
  "proud",
  "confident",
  "distant",
  "skeptical",
  "contemplative",
  "determined",
]);

/** `generation_config.volume` bounds (sonic-3 and later), inclusive. */
export const CARTESIA_MIN_VOLUME = 0.5;
export const CARTESIA_MAX_VOLUME = 2;
/** `generation_config.speed` bounds, inclusive. */
export const CARTESIA_MIN_SPEED = 0.6;
export const CARTESIA_MAX_SPEED = 1.5;

/** Pipecat's GenerationConfig: guidance for sonic-3 models. Every field is optional. */
export interface CartesiaGenerationConfig {
  /** Loudness multiplier, 0.5–2.0 (1 = as recorded). */
  volume?: number;
  /** Speaking-rate multiplier, 0.6–1.5. */
  speed?: number;
  /** One of CARTESIA_EMOTIONS, e.g. "calm". */
  emotion?: string;
}
const GENERATION_CONFIG_KEYS = ["volume", "speed", "emotion"];

/** The voice of Pipecat's example 04 ("British Reading Lady"), for examples and docs. */
export const CARTESIA_EXAMPLE_VOICE_ID = "71a7ad14-091c-4e8e-a314-022ece01c121";

/** Pipecat's store defaults for CartesiaHttpTTSService (`voice` has none: it must be given). */
export const CARTESIA_DEFAULTS = Object.freeze({
  model: "sonic-3.5",
  language: "en",
  generationConfig: null,
  pronunciationDictId: null,
});

/**
 * The language code a setting stands for: a code of CARTESIA_LANGUAGES as it is, or the base code
 * of a locale ("en-GB", "pt_BR" → "en", "pt"), as Pipecat resolves its Language values.
 * Undefined when the base code is not one Cartesia speaks.
 */
export function cartesiaLanguageCode(language: string): string | undefined {
  const base = language.trim().toLowerCase().split(/[-_]/)[0] ?? "";
  return CARTESIA_LANGUAGES.includes(base) ? base : undefined;
}

function checkString(field: string, value: unknown, allowed: string, nullable: boolean): void {
  if (value === null && nullable) return;
  if (typeof value !== "string" || value.trim() === "")
    throw new SettingsValidationError(field, value, allowed);
}

function checkRange(field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max)
    throw new SettingsValidationError(field, value, `a number from ${min} to ${max}`);
}

function checkGenerationConfig(value: unknown): void {
  if (value === null) return;
  if (!isPlainObject(value))
    throw new SettingsValidationError(
      "generationConfig",
      value,
      "null or an object with volume, speed and/or emotion",
    );
  for (const key of Object.keys(value)) {
    if (!GENERATION_CONFIG_KEYS.includes(key))
      throw new SettingsValidationError(
        `generationConfig.${key}`,
        value[key],
        `one of the keys ${GENERATION_CONFIG_KEYS.join(", ")}`,
      );
  }
  const { volume, speed, emotion } = value;
  if (volume !== undefined)
    checkRange("generationConfig.volume", volume, CARTESIA_MIN_VOLUME, CARTESIA_MAX_VOLUME);
  if (speed !== undefined)
    checkRange("generationConfig.speed", speed, CARTESIA_MIN_SPEED, CARTESIA_MAX_SPEED);
  if (emotion !== undefined && !CARTESIA_EMOTIONS.includes(emotion as string))
    throw new SettingsValidationError(
      "generationConfig.emotion",
      emotion,
      `one of ${CARTESIA_EMOTIONS.join(", ")}`,
    );
}

/**
 * Settings of CartesiaHttpTTSService (`CartesiaHttpTTSService.Settings`): model, voice, language,
 * generationConfig, pronunciationDictId. camelCase fields; `fromMapping` also takes snake_case
 * (`generation_config`, `voice_id`...). Validated on construction and whenever a delta is
 * applied.
 */
export class CartesiaTTSSettings extends TTSSettings {
  static override readonly fields: readonly string[] = [
    ...TTSSettings.fields,
    "generationConfig",
    "pronunciationDictId",
  ];

  /** Cartesia model id, e.g. "sonic-3.5". */
  declare model: Given<string>;
  /** Cartesia voice id (required: there is no default voice). */
  declare voice: Given<string>;
  /** A code of CARTESIA_LANGUAGES or a locale of one ("en-GB" is sent as "en"); null = not sent. */
  declare language: Given<string | null>;
  /** Volume, speed and emotion guidance; null = not sent. */
  declare generationConfig: Given<CartesiaGenerationConfig | null>;
  /** A pronunciation dictionary id; null = none. */
  declare pronunciationDictId: Given<string | null>;

  constructor(init: SettingsInit<CartesiaTTSSettings> = {}) {
    super(init);
    this.validate();
  }

  /** Throws a SettingsValidationError naming the field, the value and what is allowed. NOT_GIVEN fields pass. */
  override validate(): void {
    super.validate();
    if (isGiven(this.model))
      checkString("model", this.model, 'a non-empty Cartesia model id (e.g. "sonic-3.5")', false);
    if (isGiven(this.voice))
      checkString(
        "voice",
        this.voice,
        `a Cartesia voice id (e.g. "${CARTESIA_EXAMPLE_VOICE_ID}")`,
        false,
      );
    const language: unknown = this.language;
    if (isGiven(language) && language !== null) {
      if (typeof language !== "string" || cartesiaLanguageCode(language) === undefined)
        throw new SettingsValidationError(
          "language",
          language,
          `null, or one of ${CARTESIA_LANGUAGES.join(", ")} (or a locale of one, e.g. "en-GB")`,
        );
    }
    if (isGiven(this.generationConfig)) checkGenerationConfig(this.generationConfig);
    if (isGiven(this.pronunciationDictId))
      checkString(
        "pronunciationDictId",
        this.pronunciationDictId,
        "null or a pronunciation dictionary id",
        true,
      );
  }
}
