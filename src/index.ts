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
  LLMService,
  type LLMServiceOptions,
  type LLMStreamPart,
  type LLMCompletionOptions,
  type RunInferenceOptions,
} from "./services/llm-service.js";
export { LLMSettings, type LLMValues } from "./services/llm-settings.js";
export { OpenAILLMService, type OpenAILLMServiceOptions } from "./services/openai/llm.js";
export {
  OpenAILLMSettings,
  OPENAI_LLM_DEFAULTS,
  OPENAI_SERVICE_TIERS,
  type OpenAILLMValues,
  type OpenAIServiceTier,
} from "./services/openai/settings.js";
export {
  OpenAIApiError,
  OpenAINetworkError,
  OpenAIResponseError,
  OpenAITimeoutError,
  type OpenAIApiErrorInit,
} from "./services/openai/errors.js";
export {
  OPENAI_BASE_URL,
  OPENAI_RETRY_POLICY,
  buildChatCompletionBody,
} from "./services/openai/chat-completions.js";
export { ServerSentEventsError } from "./utils/sse.js";
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

// Live: Pipecat's WebSocket transport, its protobuf serializer, and RTVI.
export * from "./serializers/index.js";
export * from "./transports/index.js";
export * from "./processors/frameworks/rtvi/index.js";

export { TTSSettings } from "./services/settings.js";
export {
  TTSService,
  TTSNoAudioError,
  TextAggregationMode,
  DEFAULT_MAX_AUDIO_CHUNK_MS,
  type TTSServiceOptions,
  type TTSRunContext,
} from "./services/tts-service.js";
export {
  CartesiaHttpTTSService,
  buildCartesiaBytesRequest,
  cartesiaRequestSampleRate,
  CARTESIA_API_VERSION,
  CARTESIA_BASE_URL,
  DEFAULT_CARTESIA_TIMEOUT_MS,
  type CartesiaHttpTTSServiceOptions,
  type CartesiaBytesRequest,
} from "./services/cartesia/tts.js";
export {
  CartesiaTTSSettings,
  CARTESIA_SAMPLE_RATES,
  CARTESIA_LANGUAGES,
  CARTESIA_EMOTIONS,
  CARTESIA_DEFAULTS,
  CARTESIA_EXAMPLE_VOICE_ID,
  cartesiaLanguageCode,
  type CartesiaSampleRate,
  type CartesiaGenerationConfig,
} from "./services/cartesia/settings.js";
export {
  CartesiaApiError,
  CartesiaNetworkError,
  CartesiaTimeoutError,
  type CartesiaApiErrorInit,
} from "./services/cartesia/errors.js";
