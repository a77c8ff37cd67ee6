// Public API of the local fal-compatible server (package export "pipecat-ts/local-fal").
export { createLocalFalServer, startLocalFalServer } from "./server.js";
export type {
  LocalFalServer,
  LocalFalServerHandle,
  LocalFalServerOptions,
  LocalFalStats,
  RecordedRequest,
} from "./server.js";
export { createLocalFalApp } from "./app.js";
export type { LocalFalApp, LocalFalAppOptions, LocalFalControls } from "./app.js";
export { localFalFetch } from "./fetch.js";
export { rewriteFalUrl, PROXY_PATH, TARGET_URL_HEADER } from "./routes.js";
export type { Operation } from "./routes.js";
export type { FaultAction, FaultOperation, FaultRule } from "./faults.js";
export { IMAGE_SIZE_PRESETS, LOCAL_FAL_MODELS, MODELS, validateInput } from "./models.js";
export type {
  FieldError,
  LocalFalFieldError,
  LocalFalModelSpec,
  ModelSpec,
  NormalizedInput,
  ValidationResult,
} from "./models.js";
export { renderPreviewImage, renderPreviewPixels } from "./renderer.js";
export type { EncodedImage, ImageFormat, ImageStyle, RenderSpec } from "./renderer.js";
export type { OutputImage, TextToImageOutput } from "./inference.js";
