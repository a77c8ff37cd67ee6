// The error audio helpers throw when bytes are not the audio they claim to be (a WAV that is not
// 16-bit PCM, an odd number of PCM bytes): names the field, the value and what is allowed.
import { PipecatError, brandErrorClass, describeValue } from "../utils/errors.js";

export class AudioFormatError extends PipecatError {
  static {
    brandErrorClass(AudioFormatError, "AudioFormatError", "AUDIO_FORMAT_ERROR");
  }

  readonly field: string;
  readonly value: unknown;
  readonly allowed: string;
  constructor(field: string, value: unknown, allowed: string) {
    super(`Unsupported audio: "${field}" is ${describeValue(value)}. Allowed: ${allowed}.`, {
      category: "validation",
    });
    this.field = field;
    this.value = value;
    this.allowed = allowed;
  }
}
