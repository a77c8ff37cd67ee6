// The handlers of the local OpenAI twin: `POST /v1/chat/completions` (streamed or whole),
// `GET /v1/models` and `GET /v1/models/{id}`.
import type { Handler } from "../../server/compose.js";
import { claimBodyFault } from "../../server/middleware/faults.js";
import { jsonResponse } from "../../server/response.js";
import { LinkedAbort, sleep } from "../../utils/abort.js";
import { completionObject, planCompletion, streamBody } from "./completion.js";
import { openAIErrorResponse } from "./replies.js";
import { chatBody, parseChatRequest } from "./request.js";
import { SCRIPTED_MODEL_ID } from "./scripted-llm.js";

/** When the twin's model "was created" (fixed, so listings are deterministic). */
const MODEL_CREATED = 1_767_225_600; // 2026-01-01T00:00:00Z

/** What the handlers share with the app. */
export interface ChatState {
  timeToFirstTokenMs: number;
  tokenDelayMs: number;
  /** Model names the twin answers to besides its own id (it answers as itself). */
  modelAliases: ReadonlySet<string>;
  /** Aborts when the server begins to close. */
  shutdown: AbortSignal;
  counters: {
    completions: number;
    streamed: number;
    streamsCut: number;
    promptTokens: number;
    completionTokens: number;
  };
}

export function modelObject(id: string): Record<string, unknown> {
  return { id, object: "model", created: MODEL_CREATED, owned_by: "pipecat-ts (scripted twin)" };
}

function modelNotFound(model: string): Response {
  return openAIErrorResponse(
    404,
    `The model \`${model}\` does not exist or you do not have access to it.`,
    { code: "model_not_found" },
  );
}

export function createChatHandler(state: ChatState): Handler {
  return async function chatCompletions(_request, context) {
    const request = parseChatRequest(await chatBody.read(context));
    if (request.model !== SCRIPTED_MODEL_ID && !state.modelAliases.has(request.model))
      return modelNotFound(request.model);
    const started = performance.now();
    const plan = planCompletion(request);
    state.counters.completions += 1;
    state.counters.promptTokens += plan.usage.prompt_tokens;
    state.counters.completionTokens += plan.usage.completion_tokens;
    const waiting = new LinkedAbort([context.signal, state.shutdown]);
    try {
      const firstTokenMs = state.timeToFirstTokenMs;
      // A whole answer comes once every token is "generated"; a stream starts with the first.
      const waitMs = request.stream
        ? firstTokenMs
        : firstTokenMs + Math.max(0, plan.deltas.length - 1) * state.tokenDelayMs;
      if (waitMs > 0) await sleep(waitMs, waiting.signal);
    } catch {
      return Response.error(); // the client left, or the server is closing
    } finally {
      waiting.dispose();
    }
    const processing = { "openai-processing-ms": String(Math.round(performance.now() - started)) };
    if (!request.stream) return jsonResponse(200, completionObject(plan), processing);
    state.counters.streamed += 1;
    const body = streamBody(plan, {
      tokenDelayMs: state.tokenDelayMs,
      signals: [context.signal, state.shutdown],
      fault: claimBodyFault(context),
      onCut: () => {
        state.counters.streamsCut += 1;
      },
    });
    return new Response(body, {
      status: 200,
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        ...processing,
      },
    });
  };
}

/** The model ids the twin lists. */
export const LOCAL_OPENAI_MODELS: readonly string[] = Object.freeze([SCRIPTED_MODEL_ID]);

export function createModelsHandler(): Handler {
  return function listModels() {
    return jsonResponse(200, { object: "list", data: LOCAL_OPENAI_MODELS.map(modelObject) });
  };
}

/** `GET /v1/models/{id}`: the twin's model, or an alias (answered as given, as OpenAI does). */
export function createModelHandler(
  state: Pick<ChatState, "modelAliases">,
  idOf: (target: string) => string,
): Handler {
  return function retrieveModel(_request, context) {
    const id = idOf(context.target);
    if (id !== SCRIPTED_MODEL_ID && !state.modelAliases.has(id)) return modelNotFound(id);
    return jsonResponse(200, modelObject(id));
  };
}
