// OpenAILLMService settings (Pipecat's OpenAILLMSettings in services/openai/base_llm.py), with the
// ranges OpenAI's API documents and Pipecat's InputParams enforced.
import { SettingsValidationError } from "../../utils/errors.js";
import { LLMSettings, type LLMValues, checkPositiveInteger } from "../llm-settings.js";
import { type Given, type SettingsInit, isGiven } from "../settings.js";

/** OpenAI's processing tiers (`service_tier`). */
export type OpenAIServiceTier = "auto" | "default" | "flex" | "scale" | "priority";
export const OPENAI_SERVICE_TIERS: readonly OpenAIServiceTier[] = Object.freeze([
  "auto",
  "default",
  "flex",
  "scale",
  "priority",
]);

/** Keys `extra` may not hold: the service decides them (it reads a stream; messages come from the context). */
const RESERVED_EXTRA_KEYS: readonly string[] = ["stream", "messages"];

/** Every OpenAILLMSettings field with a real value. */
export interface OpenAILLMValues extends LLMValues {
  maxCompletionTokens: number | null;
  serviceTier: OpenAIServiceTier | null;
}

/** Pipecat's defaults: "gpt-4.1" and nothing else set (OpenAI's own defaults apply). */
export const OPENAI_LLM_DEFAULTS: Readonly<OpenAILLMValues> = Object.freeze({
  model: "gpt-4.1",
  systemInstruction: null,
  temperature: null,
  maxTokens: null,
  topP: null,
  frequencyPenalty: null,
  presencePenalty: null,
  seed: null,
  maxCompletionTokens: null,
  serviceTier: null,
});

/**
 * Settings of OpenAILLMService (`OpenAILLMService.Settings`). Each field is sent under its
 * snake_case name only when it is not null; `extra` is merged into the request body last (so it
 * can set any other Chat Completions parameter, e.g. `{ reasoning_effort: "low" }`).
 */
export class OpenAILLMSettings extends LLMSettings {
  static override readonly fields: readonly string[] = [
    ...LLMSettings.fields,
    "maxCompletionTokens",
    "serviceTier",
  ];

  /** OpenAI's documented ranges. */
  static override readonly ranges: Readonly<Record<string, readonly [number, number]>> = {
    ...LLMSettings.ranges,
    temperature: [0, 2],
    frequencyPenalty: [-2, 2],
    presencePenalty: [-2, 2],
  };

  /** The newer name of the reply's token limit (reasoning models take only this one). */
  declare maxCompletionTokens: Given<number | null>;
  declare serviceTier: Given<OpenAIServiceTier | null>;

  constructor(init: SettingsInit<OpenAILLMSettings> = {}) {
    // LLMSettings' constructor validates, and `validate` is this class's: checked once, in full.
    super(init);
  }

  /** A complete store holding {@link OPENAI_LLM_DEFAULTS}. */
  static defaults(): OpenAILLMSettings {
    return new OpenAILLMSettings({ ...OPENAI_LLM_DEFAULTS });
  }

  override validate(): void {
    super.validate();
    checkPositiveInteger("maxCompletionTokens", this.maxCompletionTokens);
    const tier: unknown = this.serviceTier;
    if (isGiven(tier) && tier !== null && !OPENAI_SERVICE_TIERS.includes(tier as OpenAIServiceTier))
      throw new SettingsValidationError(
        "serviceTier",
        tier,
        `${OPENAI_SERVICE_TIERS.map((t) => `"${t}"`).join(", ")}, or null`,
      );
    for (const key of RESERVED_EXTRA_KEYS) {
      if (Object.hasOwn(this.extra, key))
        throw new SettingsValidationError(
          `extra.${key}`,
          this.extra[key],
          key === "stream"
            ? "nothing: the service always streams"
            : "nothing: messages come from the LLMContext",
        );
    }
  }
}
