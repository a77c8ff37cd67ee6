export { FrameDirection } from "./direction.js";
export {
  FrameProcessor,
  ABANDONED_RUN_GRACE_MS,
  runDetached,
  type FrameProcessorOptions,
  type FrameProcessorSetup,
  type FrameProcessorEvents,
  type PushErrorOptions,
} from "./frame-processor.js";
export { FrameProcessorMetrics } from "./metrics.js";
export { EventEmitter, type EventHandler } from "./events.js";
export { IdentityFilter } from "./identity-filter.js";
export { ErrorTap } from "./error-tap.js";
export {
  SentenceAggregator,
  type SentenceAggregatorOptions,
} from "./aggregators/sentence-aggregator.js";
