export * from "./models.js";
export {
  DEFAULT_MAX_PENDING_RTVI_MESSAGES,
  RTVIProcessor,
  type RTVIClientMessageContext,
  type RTVIClientMessageHandler,
  type RTVIProcessorEvents,
  type RTVIProcessorOptions,
  type RTVISendTextHandler,
} from "./processor.js";
export { RTVIObserver, type RTVIObserverParams } from "./observer.js";
