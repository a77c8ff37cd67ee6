// pipecat-ts public API.
export * from "./frames/index.js";
export * from "./processors/index.js";
export * from "./pipeline/index.js";
export * from "./observers/index.js";
export {
  logger,
  setLogger,
  silentLogger,
  createConsoleLogger,
  type Logger,
  type LogLevel,
} from "./utils/logger.js";
export {
  PipecatError,
  SettingsValidationError,
  categoryForHttpStatus,
  classifyCause,
  describeError,
  isPermanentCategory,
  type ErrorCategory,
} from "./utils/errors.js";

export {
  matchEndOfSentence,
  SENTENCE_ENDING_PUNCTUATION,
  UNAMBIGUOUS_SENTENCE_ENDING_PUNCTUATION,
} from "./utils/text/end-of-sentence.js";
export {
  SimpleTextAggregator,
  type SimpleTextAggregatorOptions,
  type SimpleAggregationType,
} from "./utils/text/simple-text-aggregator.js";
export type { Aggregation, TextAggregator } from "./utils/text/text-aggregator.js";
export * from "./audio/index.js";

export {
  NOT_GIVEN,
  NotGiven,
  isGiven,
  isNotGiven,
  assertGiven,
  ServiceSettings,
  ImageGenSettings,
  type Given,
} from "./services/settings.js";
export {
  IMAGE_SIZE_PRESETS,
  resolveImageSize,
  parseImageSize,
  type ImageSize,
  type ImageSizePreset,
} from "./services/image-size.js";
// PixelSize (what an image measures) comes with the frames above; ImageSize is the setting.
export { AIService, type AIServiceOptions } from "./services/ai-service.js";
export {
  ImageGenService,
  ImageGenCancelledError,
  DEFAULT_MAX_CONCURRENCY,
  type ImageGenServiceOptions,
  type ImageGenContext,
  type ImageGenProgressUpdate,
  type RunImageGenOptions,
} from "./services/image-service.js";
export { ImageCache, type ImageCacheOptions } from "./services/images/cache.js";
export { ImageDecodeError } from "./services/images/decode.js";
export { ImageDownloadError } from "./services/images/download.js";

export {
  FalImageGenService,
  type FalImageGenServiceOptions,
  type FalQueueOptions,
  type FalMode,
  type FalStatusMode,
  type DecodeMode,
} from "./services/fal/image.js";
export { FalImageGenSettings, FalInputParams } from "./services/fal/settings.js";
export {
  FAL_MODELS,
  buildFalArguments,
  parseModelId,
  type FalModelSpec,
} from "./services/fal/models.js";
export {
  FAL_MODEL_SCHEMAS,
  falModelSchema,
  type FalFieldSchema,
  type FalModelSchema,
} from "./services/fal/schemas.js";
export {
  FalApiError,
  FalResponseError,
  FalNetworkError,
  FalTimeoutError,
  type FalFieldError,
} from "./services/fal/errors.js";
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./utils/retry.js";
export {
  FalTransport,
  falEndpoints,
  FAL_RUN_URL,
  FAL_QUEUE_URL,
  type FalEndpoints,
  type FalQueueStatus,
} from "./services/fal/transport.js";
