export { FrameDirection } from "./direction.js";
export {
  FrameProcessor,
  type FrameProcessorOptions,
  type FrameProcessorSetup,
  type PushErrorOptions,
} from "./frame-processor.js";
export { ABANDONED_RUN_GRACE_MS, runDetached } from "./lanes.js";
export { FrameProcessorMetrics } from "./metrics.js";
export { EventEmitter, type EventHandler, type FrameProcessorEvents } from "./events.js";
export { IdentityFilter } from "./identity-filter.js";
export { ErrorTap } from "./error-tap.js";
export {
  SentenceAggregator,
  type SentenceAggregatorOptions,
} from "./aggregators/sentence-aggregator.js";
