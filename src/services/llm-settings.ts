// LLMSettings: the settings every LLM service shares (Pipecat's LLMSettings in services/settings.py).
// `null` is a real value meaning "not set": the provider's default applies and nothing is sent.
// Ranges are provider rules, checked by each provider's subclass (OpenAI: temperature 0–2, ...);
// this class checks only what holds for any provider (a number is finite, a count is a positive
// integer).
import { SettingsValidationError } from "../utils/errors.js";
import { type Given, ServiceSettings, type SettingsInit, isGiven } from "./settings.js";

/** Every LLMSettings field with a real value. */
export interface LLMValues {
  model: string;
  systemInstruction: string | null;
  temperature: number | null;
  maxTokens: number | null;
  topP: number | null;
  frequencyPenalty: number | null;
  presencePenalty: number | null;
  seed: number | null;
}

/**
 * Settings of LLM services. Every field defaults to NOT_GIVEN (a delta); a service's store holds a
 * value in each, `null` for "not set". `fromMapping` also takes the snake_case names
 * (`max_tokens`, `top_p`, `system_instruction`, ...).
 */
export class LLMSettings extends ServiceSettings {
  static override readonly fields: readonly string[] = [
    ...ServiceSettings.fields,
    "systemInstruction",
    "temperature",
    "maxTokens",
    "topP",
    "frequencyPenalty",
    "presencePenalty",
    "seed",
  ];

  /**
   * The numeric fields and their allowed ranges (inclusive). Providers narrow them in their
   * subclass (OpenAI: temperature 0–2); here only what any provider would refuse is excluded.
   */
  static readonly ranges: Readonly<Record<string, readonly [number, number]>> = {
    temperature: [0, Number.MAX_VALUE],
    topP: [0, 1],
    frequencyPenalty: [-Number.MAX_VALUE, Number.MAX_VALUE],
    presencePenalty: [-Number.MAX_VALUE, Number.MAX_VALUE],
  };

  /** The model id, e.g. "gpt-4.1". */
  declare model: Given<string>;
  /** Sent as a system message before the context's messages. */
  declare systemInstruction: Given<string | null>;
  declare temperature: Given<number | null>;
  /** The most tokens the reply may have. */
  declare maxTokens: Given<number | null>;
  declare topP: Given<number | null>;
  declare frequencyPenalty: Given<number | null>;
  declare presencePenalty: Given<number | null>;
  /** For reproducible sampling, where the provider supports it. */
  declare seed: Given<number | null>;

  constructor(init: SettingsInit<LLMSettings> = {}) {
    super(init);
    this.validate();
  }

  /** Throws a SettingsValidationError naming the field, the value and what is allowed. */
  override validate(): void {
    super.validate();
    const model: unknown = this.model;
    if (isGiven(model) && (typeof model !== "string" || model.trim() === ""))
      throw new SettingsValidationError("model", model, 'a non-empty model id (e.g. "gpt-4.1")');
    const instruction: unknown = this.systemInstruction;
    if (isGiven(instruction) && instruction !== null && typeof instruction !== "string")
      throw new SettingsValidationError("systemInstruction", instruction, "a string, or null");
    const { ranges } = this.constructor as typeof LLMSettings;
    const self = this as unknown as Record<string, unknown>;
    for (const [field, [min, max]] of Object.entries(ranges))
      checkNumber(field, self[field], min, max);
    checkPositiveInteger("maxTokens", this.maxTokens);
    const seed: unknown = this.seed;
    if (isGiven(seed) && seed !== null && (typeof seed !== "number" || !Number.isSafeInteger(seed)))
      throw new SettingsValidationError("seed", seed, "an integer, or null");
  }
}

/**
 * Throws unless `value` is NOT_GIVEN, null, or a finite number in [min, max]. The allowed text
 * leaves out a bound at ±Number.MAX_VALUE.
 */
export function checkNumber(field: string, value: unknown, min: number, max: number): void {
  if (!isGiven(value) || value === null) return;
  if (typeof value === "number" && Number.isFinite(value) && value >= min && value <= max) return;
  const range =
    min === -Number.MAX_VALUE && max === Number.MAX_VALUE
      ? "a finite number"
      : max === Number.MAX_VALUE
        ? `a number >= ${min}`
        : `a number from ${min} to ${max}`;
  throw new SettingsValidationError(field, value, `${range}, or null`);
}

/** Throws unless `value` is NOT_GIVEN, null, or an integer >= 1. */
export function checkPositiveInteger(field: string, value: unknown): void {
  if (!isGiven(value) || value === null) return;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 1) return;
  throw new SettingsValidationError(field, value, "a positive integer, or null");
}
