// Audio building blocks: s16le PCM helpers, WAV files, resampling, chunking, and local speech
// synthesis.
export { AudioFormatError } from "./errors.js";
export {
  clampInt16,
  concatBytes,
  downmixToMono,
  floatToPcm16,
  pcm16BytesForDuration,
  pcm16DurationSeconds,
  pcm16Rms,
  pcm16Silence,
  pcm16ToSamples,
  samplesToPcm16,
} from "./pcm.js";
export {
  WAV_HEADER_BYTES,
  WavStreamDecoder,
  decodeWav,
  encodeWav,
  wavHeader,
  type DecodedWav,
  type WavFormat,
} from "./wav.js";
export { LinearResampler, resamplePcm16, type LinearResamplerOptions } from "./resampler.js";
export { AudioChunker, chunkAudio, type AudioChunkerOptions } from "./chunker.js";
export * from "./synth/index.js";
