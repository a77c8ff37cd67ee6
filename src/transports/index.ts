export { BaseInputTransport } from "./base-input.js";
export {
  BaseOutputTransport,
  BOT_SPEAKING_FRAME_PERIOD_MS,
  type BaseOutputTransportOptions,
} from "./base-output.js";
export { BaseTransport } from "./base-transport.js";
export { type OutputClock, realClock } from "./clock.js";
export {
  DEFAULT_AUDIO_OUT_10MS_CHUNKS,
  DEFAULT_BOT_STOPPED_SPEAKING_TIMEOUT_SECS,
  DEFAULT_MAX_QUEUED_AUDIO_SECS,
  MAX_AUDIO_OUT_10MS_CHUNKS,
  resolveTransportParams,
  type ResolvedTransportParams,
  type TransportParams,
} from "./params.js";
export * from "./websocket/index.js";
