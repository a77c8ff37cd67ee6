// Chooses the local speech engine: espeak-ng when it is installed (real, intelligible speech),
// otherwise the built-in formant synthesizer. describe() on the result says which, in one line.
import { SettingsValidationError } from "../../utils/errors.js";
import { ESPEAK_PROGRAM, EspeakSynthesizer, findEspeak } from "./espeak.js";
import { FormantSynthesizer } from "./formant.js";
import { SpeechSynthesisError, type SpeechSynthesizer } from "./speech-synthesizer.js";

export type SpeechEngineChoice = "auto" | "espeak-ng" | "builtin";
const ENGINE_CHOICES: readonly SpeechEngineChoice[] = ["auto", "espeak-ng", "builtin"];

export interface CreateSpeechSynthesizerOptions {
  /** "auto" (default): espeak-ng if found, else built-in. "espeak-ng" fails if it is missing. */
  engine?: SpeechEngineChoice;
  /** espeak-ng's name on PATH or its path; default "espeak-ng". */
  espeakProgram?: string;
  /** espeak-ng's wall-clock limit per synthesis, in ms; default 30000. */
  timeoutMs?: number;
  /** Limit on the audio one espeak-ng synthesis may produce, in seconds; default 600. */
  maxAudioSeconds?: number;
  /** Longest text accepted, in characters; default 10000. */
  maxTextChars?: number;
}

export async function createSpeechSynthesizer(
  options: CreateSpeechSynthesizerOptions = {},
): Promise<SpeechSynthesizer> {
  const engine = options.engine ?? "auto";
  if (!ENGINE_CHOICES.includes(engine))
    throw new SettingsValidationError("engine", engine, ENGINE_CHOICES.join(", "));
  if (engine === "builtin")
    return new FormantSynthesizer({ reason: "chosen", maxTextChars: options.maxTextChars });

  const found = await findEspeak(options.espeakProgram ?? ESPEAK_PROGRAM);
  if ("program" in found) {
    return new EspeakSynthesizer({
      program: found.program,
      version: found.version,
      timeoutMs: options.timeoutMs,
      maxAudioSeconds: options.maxAudioSeconds,
      maxTextChars: options.maxTextChars,
    });
  }
  if (engine === "espeak-ng") {
    throw new SpeechSynthesisError(
      `engine "espeak-ng" was asked for, but ${found.reason} (Debian: apt-get install espeak-ng)`,
      "validation",
    );
  }
  return new FormantSynthesizer({ reason: found.reason, maxTextChars: options.maxTextChars });
}
