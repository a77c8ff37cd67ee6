// Fault injection: asks the twin which operation and models a request counts as, takes the first
// matching rule from a FaultInjector and acts on it. Resets and hangs become `Response.error()`,
// which the node adapter turns into a dropped connection; body faults corrupt the bytes as sent,
// after every other middleware (redaction included) has had its say.
import { sleep } from "../../utils/abort.js";
import type { Middleware } from "../compose.js";
import { contextKey, type RequestContext } from "../context.js";
import type { FaultAction, FaultInjector, FaultRule } from "../faults.js";
import { bytesResponse, jsonResponse } from "../response.js";

/** What a request counts as for fault rules. */
export interface FaultTarget<Operation extends string> {
  operation: Operation;
  /** The names the request can be known by (a rule's `model` must be one of them). */
  models: readonly string[];
}

export interface FaultInjectionOptions<Operation extends string> {
  injector: FaultInjector<Operation>;
  /** What the request counts as; undefined = never faulted. */
  target: (request: Request, context: RequestContext) => FaultTarget<Operation> | undefined;
  /** The answer to a `status` rule; default the rule's body (or `{"error":"Injected fault"}`) as JSON. */
  statusResponse?: (rule: StatusFault) => Response;
  /** Called once per injected fault (statistics, logs). */
  onInject?: (rule: FaultRule<Operation>, context: RequestContext) => void;
}

/** The action of a `status` rule. */
export type StatusFault = Extract<FaultAction, { status: number }>;

/** A body fault a streaming handler can apply itself (see `claimBodyFault`). */
export type BodyFault = "brokenJson" | "truncateBody";

interface InjectedFault {
  rule: FaultRule;
  bodyClaimed: boolean;
}

const INJECTED_FAULT = contextKey<InjectedFault>("server.fault");

const NOT_AN_IMAGE = new TextEncoder().encode(
  "<!doctype html>\n<html><head><title>Error</title></head><body><h1>Not an image</h1></body></html>\n",
);
/** What a cut JSON body becomes when half of it is too short to be visibly broken. */
const SHORT_BROKEN_JSON = new TextEncoder().encode('{"detail":');

/** The fault rule applied to this request, if any. */
export function injectedFault(context: RequestContext): FaultRule | undefined {
  return context.get(INJECTED_FAULT)?.rule;
}

/**
 * For handlers that stream (server-sent events): takes over the request's body fault, if any, so
 * that the handler can break its own stream in a way that fits it; the middleware then leaves the
 * response alone.
 */
export function claimBodyFault(context: RequestContext): BodyFault | undefined {
  const injected = context.get(INJECTED_FAULT);
  if (!injected) return undefined;
  const kind = bodyFaultOf(injected.rule);
  if (kind) injected.bodyClaimed = true;
  return kind;
}

function bodyFaultOf(rule: FaultRule): BodyFault | undefined {
  if ("brokenJson" in rule) return "brokenJson";
  if ("truncateBody" in rule) return "truncateBody";
  return undefined;
}

/**
 * A body that sends these bytes and then fails, so that the adapter drops the connection after
 * them (a truncated answer).
 */
export function failingBody(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream({
    // Erroring at once would discard the queued bytes: fail on the read after them.
    pull(controller) {
      if (sent) controller.error(new Error("injected fault: body truncated"));
      else controller.enqueue(bytes);
      sent = true;
    },
  });
}

/** Resolves when the signal aborts (never, if it does not). */
function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true }),
  );
}

function defaultStatusResponse(rule: StatusFault): Response {
  return jsonResponse(rule.status, rule.body ?? { error: "Injected fault" }, rule.headers);
}

/**
 * Injects the faults of a FaultInjector into matching requests.
 *
 * @example
 * ```ts
 * const injector = new FaultInjector<"chat">([{ operation: "chat", status: 429, times: 1 }]);
 * const app = createApp({
 *   middleware: [faultInjection({ injector, target: () => ({ operation: "chat", models: [] }) })],
 *   handler: () => jsonResponse(200, { ok: true }),
 * });
 * (await app.request("/v1/chat")).status; // 429
 * (await app.request("/v1/chat")).status; // 200
 * ```
 */
export function faultInjection<Operation extends string>(
  options: FaultInjectionOptions<Operation>,
): Middleware {
  const statusResponse = options.statusResponse ?? defaultStatusResponse;
  return async function faultInjection(request, context, next) {
    if (!options.injector.armed) return next();
    const target = options.target(request, context);
    const rule = target && options.injector.take(target.operation, target.models);
    if (!rule) return next();
    const injected: InjectedFault = { rule, bodyClaimed: false };
    context.set(INJECTED_FAULT, injected);
    options.onInject?.(rule, context);
    if ("resetConnection" in rule) return Response.error();
    if ("hang" in rule) {
      await untilAborted(context.signal);
      return Response.error();
    }
    if ("status" in rule) return statusResponse(rule);
    if ("notAnImage" in rule) return bytesResponse(200, NOT_AN_IMAGE, "text/html; charset=utf-8");
    if ("delayMs" in rule) {
      try {
        await sleep(rule.delayMs, context.signal);
      } catch {
        return Response.error(); // the client went away or the server is closing
      }
      return next();
    }
    const kind = bodyFaultOf(rule);
    if (kind) {
      context.transformResponse((response) =>
        injected.bodyClaimed ? response : corruptBody(response, kind),
      );
    }
    return next();
  };
}

async function corruptBody(response: Response, kind: BodyFault): Promise<Response> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  const headers = new Headers(response.headers);
  const init = { status: response.status, statusText: response.statusText, headers };
  if (kind === "brokenJson") {
    let cut = bytes.subarray(0, Math.floor(bytes.length / 2));
    if (cut.length < 2) cut = SHORT_BROKEN_JSON;
    headers.set("content-length", String(cut.length));
    return new Response(cut, init);
  }
  headers.set("content-length", String(Math.max(bytes.length, 2)));
  return new Response(failingBody(bytes.subarray(0, Math.floor(bytes.length / 2))), init);
}
