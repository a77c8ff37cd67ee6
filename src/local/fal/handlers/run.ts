// POST /run/{endpoint id}: a synchronous model call. It takes a worker like a queued request and
// answers with the output (or the error) once done; a caller that goes away frees the worker.
import type { Handler } from "../../../server/compose.js";
import { readModelCall } from "../input.js";
import { appPrefix } from "../models.js";
import { falJson, queueFull } from "../replies.js";
import { routeOf } from "../routing.js";
import type { LocalFalState } from "../state.js";

export function createRunHandler(state: LocalFalState): Handler {
  const { queue } = state;
  return async function run(request, context) {
    const call = await readModelCall(request, context, routeOf(context).model as string);
    if (call instanceof Response) return call;
    if (queue.depth.queued >= state.maxQueuedRequests) return queueFull(queue.depth.queued);
    const job = queue.enqueue({
      model: call.model,
      app: appPrefix(call.model),
      kind: "run",
      body: call.body,
      baseUrl: state.baseUrlFor(context),
      ...(call.startTimeoutSeconds !== undefined
        ? { startTimeoutSeconds: call.startTimeoutSeconds }
        : {}),
    });
    const onAbort = (): void => {
      if (job.status !== "COMPLETED") queue.cancelJob(job);
    };
    context.signal.addEventListener("abort", onAbort, { once: true });
    try {
      await job.done;
    } finally {
      context.signal.removeEventListener("abort", onAbort);
    }
    const result = job.result ?? { status: 500, body: { detail: "Internal Server Error" } };
    return falJson(result.status, result.body, {
      requestId: job.id,
      headers: result.headers ?? {},
    });
  };
}
