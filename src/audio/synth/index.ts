// Local speech synthesis for the twins: the engine-neutral interface, both engines, the chooser
// and the voices.
export {
  type SpeechSynthesizer,
  type SpeechEngine,
  type SynthesisRequest,
  SpeechSynthesisError,
  MIN_SYNTHESIS_SAMPLE_RATE,
  MAX_SYNTHESIS_SAMPLE_RATE,
  DEFAULT_MAX_TEXT_CHARS,
} from "./speech-synthesizer.js";
export {
  createSpeechSynthesizer,
  type CreateSpeechSynthesizerOptions,
  type SpeechEngineChoice,
} from "./create.js";
export {
  EspeakSynthesizer,
  findEspeak,
  ESPEAK_PROGRAM,
  DEFAULT_ESPEAK_TIMEOUT_MS,
  DEFAULT_MAX_AUDIO_SECONDS,
  type EspeakSynthesizerOptions,
} from "./espeak.js";
export { FormantSynthesizer, type FormantSynthesizerOptions } from "./formant.js";
export {
  SPEECH_VOICES,
  DEFAULT_SPEECH_VOICE_ID,
  resolveSpeechVoice,
  type SpeechVoice,
  type SpeechVoiceGender,
} from "./voices.js";
