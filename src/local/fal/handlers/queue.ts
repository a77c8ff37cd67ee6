// fal's queue API: submit (POST /queue/{endpoint id}), status, the status stream (server-sent
// events), result and cancel (…/requests/{id}[/status[/stream]|/cancel], addressed by the app or
// the full endpoint id).
import type { Handler } from "../../../server/compose.js";
import { claimBodyFault, failingBody } from "../../../server/middleware/faults.js";
import { onAbort } from "../../../utils/abort.js";
import { readModelCall } from "../input.js";
import { appPrefix } from "../models.js";
import type { Job, LogEntry } from "../queue.js";
import { falJson, queueFull, requestNotFound } from "../replies.js";
import type { Route } from "../routes.js";
import { routeOf } from "../routing.js";
import type { LocalFalState } from "../state.js";
import { WEBHOOK_URL_RULE, isDeliverableWebhookUrl } from "../webhooks.js";

export interface QueueHandlers {
  submit: Handler;
  status: Handler;
  stream: Handler;
  result: Handler;
  cancel: Handler;
}

/** A broken server-sent event: the start of a status body that never ends. */
const BROKEN_EVENT = 'data: {"status": "IN_PROGRESS", "request_id\n\n';
/** How much of a status event a truncated stream sends before the connection drops. */
const TRUNCATED_EVENT_CHARS = 20;

const encoder = new TextEncoder();

function truthyLogs(v: string | null): boolean {
  return v !== null && ["1", "true", "yes", "on"].includes(v.toLowerCase());
}

export function createQueueHandlers(state: LocalFalState): QueueHandlers {
  const { queue } = state;

  const requestUrls = (
    job: Job,
    baseUrl: string,
  ): { response_url: string; status_url: string; cancel_url: string } => {
    const base = `${baseUrl}/queue/${job.app}/requests/${job.id}`;
    return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
  };

  const statusBody = (job: Job, logs: LogEntry[], baseUrl: string): Record<string, unknown> => {
    const body: Record<string, unknown> = {
      status: job.status,
      request_id: job.id,
      ...requestUrls(job, baseUrl),
    };
    if (job.status === "IN_QUEUE") body.queue_position = queue.position(job) ?? 0;
    else body.logs = logs;
    if (job.status === "COMPLETED") {
      body.metrics = { inference_time: job.inferenceSeconds ?? 0 };
      if (job.result && job.result.status >= 400) {
        body.error = job.result.error ?? `Invalid status code: ${job.result.status}`;
        if (job.result.errorType) body.error_type = job.result.errorType;
      }
    }
    return body;
  };

  /** Finds a queue request addressed as /{app or endpoint id}/requests/{id}. */
  const findJob = (route: Route): Job | undefined => {
    const job = route.requestId ? queue.get(route.requestId) : undefined;
    if (!job || !route.model) return undefined;
    return route.model === job.app || route.model === job.model ? job : undefined;
  };

  return {
    async submit(request, context) {
      const route = routeOf(context);
      const call = await readModelCall(request, context, route.model as string);
      if (call instanceof Response) return call;
      const webhook = route.query.get("fal_webhook") ?? undefined;
      if (webhook !== undefined && !isDeliverableWebhookUrl(webhook)) {
        return falJson(400, { detail: WEBHOOK_URL_RULE });
      }
      if (queue.depth.queued >= state.maxQueuedRequests) return queueFull(queue.depth.queued);
      const baseUrl = state.baseUrlFor(context);
      const job = queue.enqueue({
        model: call.model,
        app: appPrefix(call.model),
        kind: "queue",
        body: call.body,
        baseUrl,
        ...(webhook !== undefined ? { webhookUrl: webhook } : {}),
        ...(call.startTimeoutSeconds !== undefined
          ? { startTimeoutSeconds: call.startTimeoutSeconds }
          : {}),
      });
      const answer: Record<string, unknown> = {
        status: "IN_QUEUE",
        request_id: job.id,
        ...requestUrls(job, baseUrl),
        queue_position: queue.position(job) ?? 0,
      };
      if (webhook !== undefined) answer.gateway_request_id = job.id;
      return falJson(200, answer, { requestId: job.id });
    },

    async status(_request, context) {
      const route = routeOf(context);
      const job = findJob(route);
      if (!job) return requestNotFound(route);
      const logs = truthyLogs(route.query.get("logs")) ? [...job.logs] : [];
      const body = statusBody(job, logs, state.baseUrlFor(context));
      return falJson(job.status === "COMPLETED" ? 200 : 202, body, { requestId: job.id });
    },

    async result(_request, context) {
      const route = routeOf(context);
      const job = findJob(route);
      if (!job) return requestNotFound(route);
      if (job.status !== "COMPLETED" || !job.result)
        return falJson(400, { detail: "Request is still in progress" }, { requestId: job.id });
      return falJson(job.result.status, job.result.body, {
        requestId: job.id,
        headers: job.result.headers ?? {},
      });
    },

    async cancel(_request, context) {
      state.counters.cancelsReceived += 1;
      const job = findJob(routeOf(context));
      if (!job) return falJson(404, { status: "NOT_FOUND" });
      const outcome = queue.cancelJob(job);
      if (outcome === "ALREADY_COMPLETED")
        return falJson(400, { status: "ALREADY_COMPLETED" }, { requestId: job.id });
      state.log(`cancelled ${job.id}`);
      return falJson(202, { status: "CANCELLATION_REQUESTED" }, { requestId: job.id });
    },

    async stream(_request, context) {
      const route = routeOf(context);
      const job = findJob(route);
      if (!job) return requestNotFound(route);
      const init = {
        status: 200,
        headers: {
          "content-type": "text/event-stream",
          "x-fal-request-id": job.id,
          "cache-control": "no-cache",
          connection: "keep-alive",
        },
      };
      const fault = claimBodyFault(context);
      if (fault === "brokenJson") return new Response(BROKEN_EVENT, init);
      if (fault === "truncateBody") {
        const body = statusBody(job, [], state.baseUrlFor(context));
        const event = `data: ${JSON.stringify(body).slice(0, TRUNCATED_EVENT_CHARS)}`;
        return new Response(failingBody(encoder.encode(event)), init);
      }
      const baseUrl = state.baseUrlFor(context);
      return new Response(
        statusEvents(job, {
          withLogs: truthyLogs(route.query.get("logs")),
          keepaliveMs: state.keepaliveMs,
          signals: [context.signal, state.shutdown],
          position: (j) => queue.position(j),
          statusBody: (j, logs) => statusBody(j, logs, baseUrl),
        }),
        init,
      );
    },
  };
}

interface StatusEventsOptions {
  withLogs: boolean;
  keepaliveMs: number;
  /** Any of them aborting ends the stream abruptly (the client left, the server closes). */
  signals: readonly AbortSignal[];
  position: (job: Job) => number | undefined;
  statusBody: (job: Job, logs: LogEntry[]) => Record<string, unknown>;
}

/**
 * One `data:` event per change of the job (status, queue position, new logs), a keep-alive
 * comment every `keepaliveMs`, and the end of the stream after COMPLETED.
 */
function statusEvents(job: Job, options: StatusEventsOptions): ReadableStream<Uint8Array> {
  let stop: (how: "close" | "abort" | "cancelled") => void = () => undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let sentLogs = 0;
      let lastKey = "";
      let ended = false;
      const send = (text: string): void => controller.enqueue(encoder.encode(text));
      const push = (): void => {
        if (ended) return;
        const logs = options.withLogs ? job.logs.slice(sentLogs) : [];
        const key = `${job.status}|${options.position(job) ?? ""}|${logs.length}`;
        if (key === lastKey && job.status !== "COMPLETED") return;
        lastKey = key;
        sentLogs += logs.length;
        send(`data: ${JSON.stringify(options.statusBody(job, logs))}\n\n`);
        if (job.status === "COMPLETED") stop("close");
      };
      // A keep-alive only matters to a client that reads: one that does not gets none queued up.
      const keepalive = setInterval(() => {
        if ((controller.desiredSize ?? 0) > 0) send(": keepalive\n\n");
      }, options.keepaliveMs);
      // The server's shutdown signal is shared by every open stream: onAbort keeps one listener
      // on it however many streams there are (one each would pass Node's limit of 10 and warn).
      let unregister: Array<() => void> = [];
      stop = (how) => {
        if (ended) return;
        ended = true;
        clearInterval(keepalive);
        job.listeners.delete(push);
        for (const off of unregister) off();
        unregister = [];
        if (how === "close") controller.close();
        else if (how === "abort") controller.error(new Error("status stream closed"));
      };
      unregister = options.signals.map((signal) => onAbort(signal, () => stop("abort")));
      job.listeners.add(push);
      push();
    },
    cancel() {
      stop("cancelled");
    },
  });
}
