// Public API of the local Cartesia twin (package export "pipecat-ts/local-cartesia").
export { createLocalCartesiaServer, startLocalCartesiaServer } from "./server.js";
export type {
  LocalCartesiaServer,
  LocalCartesiaServerHandle,
  LocalCartesiaServerOptions,
  LocalCartesiaStats,
  RecordedRequest,
} from "./server.js";
export { createLocalCartesiaApp } from "./app.js";
export type { LocalCartesiaApp, LocalCartesiaAppOptions, LocalCartesiaControls } from "./app.js";
export type { FaultAction, FaultOperation, FaultRule } from "./faults.js";
export type { Operation } from "./routes.js";
export {
  CARTESIA_ENCODINGS,
  alawToLinear,
  encodePcm16,
  linearToAlaw,
  linearToMulaw,
  mulawToLinear,
  wavHeaderFor,
  type CartesiaEncoding,
} from "./encodings.js";
export { listVoices, toCartesiaVoice, type CartesiaVoice, type VoicePage } from "./voices.js";
