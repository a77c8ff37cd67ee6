export {
  BaseObserver,
  monotonicNs,
  type FrameProcessed,
  type FramePushed,
  type ObserverProxyLike,
} from "./base-observer.js";
export { TaskObserver } from "./task-observer.js";
