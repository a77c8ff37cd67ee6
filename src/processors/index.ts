export { FrameDirection } from "./direction.js";
export {
  FrameProcessor,
  classifyCause,
  runDetached,
  type FrameProcessorOptions,
  type FrameProcessorSetup,
  type FrameProcessorEvents,
  type PushErrorOptions,
} from "./frame-processor.js";
export { FrameProcessorMetrics } from "./metrics.js";
export { EventEmitter, type EventHandler } from "./events.js";
export { IdentityFilter } from "./identity-filter.js";
