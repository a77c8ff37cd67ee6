// The chain every twin puts in front of its handlers, declared once: each twin gives its routing,
// its protocol's error answers and its fault targets, and gets an app of the server kit. In the
// spirit of the AI SDK's provider utils: the shared plumbing knows no provider, and each provider
// supplies only the shapes that are its own.
//
// The chain, outermost first:
//   hostGuard          403 for a foreign Host or Origin (DNS rebinding), before anything else
//   …route             the twin's own: its response headers, then its router (sets the operation)
//   observeRequests    counters behind stats(), one log line per answer (observe.ts)
//   redactSecrets      JSON answers never echo the API key
//   refuseWhenClosing  503 once stop() has begun (lifecycle.ts)
//   bodyLimit          413 beyond maxBodyBytes
//   recordRequests     the ring behind requests() (recording.ts)
//   answerUnroutable   the twin's answer to unknown paths and wrong methods
//   apiKeyAuth         the twin's way of sending its key (only with requiredKey)
//   …beforeFaults      the twin's own (e.g. reading what a fault rule may match on)
//   faultInjection     the fault rules
// then the twin's handler.
import { type App, createApp } from "../../server/app.js";
import type { Handler, Middleware } from "../../server/compose.js";
import type { RequestContext } from "../../server/context.js";
import type { FaultInjector, FaultRule } from "../../server/faults.js";
import type { HostPolicy } from "../../server/host-guard.js";
import { apiKeyAuth, type KeyExtractor } from "../../server/middleware/auth.js";
import { bodyLimit } from "../../server/middleware/body-limit.js";
import {
  type FaultTarget,
  faultInjection,
  type StatusFault,
} from "../../server/middleware/faults.js";
import { hostGuard } from "../../server/middleware/host-guard.js";
import {
  type RecordedEntry,
  type RecordRequestsOptions,
  type RequestRecorder,
  recordRequests,
} from "../../server/middleware/record.js";
import { redactSecrets } from "../../server/middleware/redact.js";
import { refuseWhenClosing } from "../../server/middleware/shutdown.js";
import { describeError } from "../../utils/errors.js";
import type { TwinControls } from "./controls.js";
import type { TwinLifecycle } from "./lifecycle.js";
import type { TwinLog } from "./log.js";
import { observeRequests } from "./observe.js";
import type { TwinSecrets } from "./secrets.js";
import type { TwinRequestStats } from "./stats.js";

/** How a twin words the answers the shared chain gives, in its provider's error shape. */
export interface TwinReplies {
  /** 403: the Host or Origin is not allowed (`detail` is already redacted). */
  forbidden(detail: string): Response;
  /** 503 once the twin is closing (with `connection: close`). */
  closing(): Response;
  /** 413: the body is larger than `maxBytes`; `headers` close the connection when it was not drained. */
  tooLarge(maxBytes: number, headers: Record<string, string>): Response;
  /** 401: the request lacks the right key. */
  unauthorized(request: Request): Response;
  /** The answer to a `status` fault rule. */
  fault(rule: StatusFault): Response;
  /** 500: something threw (the error is logged, redacted, never answered). */
  internalError(): Response;
}

export interface TwinAppOptions<
  Operation extends string,
  FaultOp extends string,
  Entry extends RecordedEntry,
> {
  log: TwinLog;
  /** Whether the twin has a logger: without one, nothing waits for answers to log them. */
  logs: boolean;
  secrets: TwinSecrets;
  counters: TwinRequestStats<Operation>;
  replies: TwinReplies;
  /** The Host/Origin policy requests are checked against, and whether the twin is closing. */
  lifecycle: TwinLifecycle;
  maxBodyBytes: number;
  /** The twin's response headers and router, in order; the router sets what routeOf reads. */
  route: readonly Middleware[];
  /** The request's operation and path, as the router found them. */
  routeOf: (context: RequestContext) => { operation: Operation; path: string };
  /** The start of a request's log line; default "METHOD /path [operation]". */
  describe?: (request: Request, context: RequestContext) => string;
  /** Answers in JSON to leave byte for byte (e.g. stored files); default none. */
  redactSkip?: (context: RequestContext) => boolean;
  recorder: RequestRecorder<Entry>;
  describeRequest: RecordRequestsOptions<Entry>["describe"];
  /** Answers unknown paths and wrong methods; lets routed requests through. */
  answerUnroutable: Middleware;
  auth: {
    /** Where the twin's clients send the key. */
    extract: KeyExtractor;
    /** Which requests need the key; default every request. */
    when?: (request: Request, context: RequestContext) => boolean;
  };
  /** Middleware between the key check and the fault rules. */
  beforeFaults?: readonly Middleware[];
  faults: {
    injector: FaultInjector<FaultOp>;
    /** What a request counts as for fault rules; undefined = never faulted. */
    target: (request: Request, context: RequestContext) => FaultTarget<FaultOp> | undefined;
  };
  handler: Handler;
}

/** What the shared chain gives a twin: its app, and the controls that are the same on every twin. */
export interface TwinAppBase<FaultOp extends string, Entry extends RecordedEntry>
  extends App,
    Omit<TwinControls<FaultRule<FaultOp>, never, Entry>, "stats"> {
  /** Sets the Host/Origin policy every request is checked against (undefined: none). */
  setHostPolicy(policy: HostPolicy | undefined): void;
}

/** A twin's app: the shared chain (see the file header) around the twin's handler. */
export function createTwinApp<
  Operation extends string,
  FaultOp extends string,
  Entry extends RecordedEntry,
>(options: TwinAppOptions<Operation, FaultOp, Entry>): TwinAppBase<FaultOp, Entry> {
  const { log, counters, replies, maxBodyBytes, lifecycle, recorder } = options;
  const { injector } = options.faults;
  const operationOf = (context: RequestContext) => options.routeOf(context).operation;
  const describe =
    options.describe ??
    ((request: Request, context: RequestContext) => {
      const route = options.routeOf(context);
      return `${request.method} ${route.path} [${route.operation}]`;
    });
  const { requiredKey, redactor } = options.secrets;
  const middleware: Middleware[] = [
    hostGuard({
      policy: () => lifecycle.hostPolicy,
      onRefused: (reason, request) => {
        counters.refused += 1;
        const detail = redactor.text(reason);
        log(`refused ${request.method} (${detail})`);
        return replies.forbidden(detail);
      },
    }),
    ...options.route,
    observeRequests({
      counters,
      operationOf,
      describe,
      redactor,
      log: options.logs ? log : undefined,
    }),
    redactSecrets(options.redactSkip ? { redactor, skip: options.redactSkip } : { redactor }),
    refuseWhenClosing({ isClosing: () => lifecycle.closing, respond: () => replies.closing() }),
    bodyLimit({
      maxBytes: maxBodyBytes,
      onTooLarge: (_context, { drained }) =>
        replies.tooLarge(maxBodyBytes, drained ? {} : { connection: "close" }),
    }),
    recordRequests({
      recorder,
      describe: options.describeRequest,
      redact: (entry) => redactor.value(entry),
    }),
    options.answerUnroutable,
    ...(requiredKey
      ? [
          apiKeyAuth({
            key: requiredKey,
            extract: options.auth.extract,
            ...(options.auth.when ? { when: options.auth.when } : {}),
            onUnauthorized: (request) => {
              counters.unauthorized += 1;
              return replies.unauthorized(request);
            },
          }),
        ]
      : []),
    ...(options.beforeFaults ?? []),
    faultInjection({
      injector,
      target: options.faults.target,
      statusResponse: (rule) => replies.fault(rule),
      onInject: (rule, context) => {
        counters.faultsInjected += 1;
        // A rule is the operator's, but it may carry the key (a header, a match): redact it too.
        const described = JSON.stringify({ ...rule, body: undefined });
        log(redactor.text(`fault injected on ${operationOf(context)}: ${described}`));
      },
    }),
  ];
  const app = createApp({
    middleware,
    handler: options.handler,
    onError: (error) => {
      log(redactor.text(`internal error: ${describeError(error)}`));
      return replies.internalError();
    },
  });
  return {
    fetch: app.fetch,
    request: app.request,
    setFaults: (rules) => injector.set(rules),
    requests: () => recorder.list(),
    clearRequests: () => recorder.clear(),
    setHostPolicy: (policy) => lifecycle.setHostPolicy(policy),
  };
}
