// The server kit: a provider-neutral HTTP toolkit on web standards (Request → Response) for the
// local twins (src/local/). Handlers and middleware never see node:http; node.ts adapts.
export { createApp, type App, type AppOptions, type FetchOptions } from "./app.js";
export {
  compose,
  internalServerError,
  type ErrorHandler,
  type Handler,
  type Middleware,
  type Next,
} from "./compose.js";
export {
  RequestContext,
  contextKey,
  type BodyReader,
  type ContextKey,
  type RequestContextInit,
  type ResponseTransform,
} from "./context.js";
export { HttpError, type HttpErrorOptions } from "./http-error.js";
export { bytesResponse, isJsonResponse, jsonResponse } from "./response.js";
export {
  FaultInjector,
  assertValidFaultRule,
  type FaultAction,
  type FaultRule,
} from "./faults.js";
export {
  ANY_HOST,
  LOOPBACK_HOST_NAMES,
  checkHostAndOrigin,
  createHostPolicy,
  exposureWarning,
  isLoopbackAddress,
  type GuardVerdict,
  type HostPolicy,
  type HostPolicyOptions,
} from "./host-guard.js";
export {
  createNodeServer,
  refuseForeignUpgrade,
  type ClientErrorStatus,
  type NodeServer,
  type NodeServerOptions,
} from "./node.js";
export {
  apiKeyAuth,
  apiKeyFrom,
  type ApiKeyAuthOptions,
  type KeyExtractor,
} from "./middleware/auth.js";
export { bodyLimit, type BodyLimitOptions, type TooLargeInfo } from "./middleware/body-limit.js";
export { hostGuard, requestHost, type HostGuardOptions } from "./middleware/host-guard.js";
export {
  claimBodyFault,
  failingBody,
  faultInjection,
  injectedFault,
  type BodyFault,
  type FaultInjectionOptions,
  type FaultTarget,
  type StatusFault,
} from "./middleware/faults.js";
export {
  CREDENTIAL_HEADERS,
  RequestRecorder,
  recordRequests,
  recordedHeaders,
  type RecordRequestsOptions,
  type RecordedEntry,
} from "./middleware/record.js";
export {
  createRedactor,
  redactSecrets,
  type RedactSecretsOptions,
  type Redactor,
  type RedactorOptions,
} from "./middleware/redact.js";
export { refuseWhenClosing, type RefuseWhenClosingOptions } from "./middleware/shutdown.js";
