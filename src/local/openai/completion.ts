// One completion of the local OpenAI twin, on the wire as OpenAI sends it: the streamed form
// (`chat.completion.chunk` events with the same id/created/model, the role delta first, one
// content delta per token, the finish_reason, the usage-only `choices: []` chunk when
// include_usage, then `data: [DONE]` and the end of the response) and the whole
// `chat.completion` object. Latency (time to first token, delay per token) and broken-stream
// faults are applied here.
import { randomBytes } from "node:crypto";
import type { BodyFault } from "../../server/middleware/faults.js";
import { LinkedAbort, sleep } from "../../utils/abort.js";
import type { ChatRequest } from "./request.js";
import { SCRIPTED_MODEL_ID, contentText, scriptedReply } from "./scripted-llm.js";
import { estimateTokens, splitIntoTokens } from "./tokens.js";

/** Names the twin in `system_fingerprint`, where OpenAI names the backend configuration. */
export const SYSTEM_FINGERPRINT = "fp_pipecat_ts_scripted_twin";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
  completion_tokens_details: {
    reasoning_tokens: number;
    audio_tokens: number;
    accepted_prediction_tokens: number;
    rejected_prediction_tokens: number;
  };
}

/** Everything about one answer, decided before anything is sent. */
export interface CompletionPlan {
  id: string;
  created: number;
  model: string;
  /** The content deltas (after the max_tokens cut). */
  deltas: string[];
  finishReason: "stop" | "length";
  usage: Usage;
  includeUsage: boolean;
}

/** Writes the answer to a request: the scripted reply, cut at max_tokens, with usage. */
export function planCompletion(request: ChatRequest, now = Date.now()): CompletionPlan {
  const reply = scriptedReply(request.messages, request.seed);
  const all = splitIntoTokens(reply.text);
  const limit = request.maxTokens ?? Number.POSITIVE_INFINITY;
  const deltas = all.length > limit ? all.slice(0, limit) : all;
  const promptChars = request.messages.reduce((sum, m) => sum + contentText(m.content).length, 0);
  const promptTokens = estimateTokens(promptChars);
  return {
    id: `chatcmpl-${randomBytes(15).toString("base64url")}`,
    created: Math.floor(now / 1000),
    model: SCRIPTED_MODEL_ID,
    deltas,
    finishReason: all.length > limit ? "length" : "stop",
    includeUsage: request.includeUsage,
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: deltas.length,
      total_tokens: promptTokens + deltas.length,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
  };
}

/** The non-streaming answer: a `chat.completion` object. */
export function completionObject(plan: CompletionPlan): Record<string, unknown> {
  return {
    id: plan.id,
    object: "chat.completion",
    created: plan.created,
    model: plan.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: plan.deltas.join(""),
          refusal: null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: plan.finishReason,
      },
    ],
    usage: plan.usage,
    service_tier: "default",
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}

/** The stream's events, each a whole `data: ...\n\n`, in order. */
export function streamEvents(plan: CompletionPlan): string[] {
  const head = {
    id: plan.id,
    object: "chat.completion.chunk",
    created: plan.created,
    model: plan.model,
    service_tier: "default",
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
  // With include_usage every chunk says `"usage": null`, and only the extra last one has usage.
  const tail = plan.includeUsage ? { usage: null } : {};
  const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
    event({
      ...head,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...tail,
    });
  const events = [chunk({ role: "assistant", content: "", refusal: null }, null)];
  for (const text of plan.deltas) events.push(chunk({ content: text }, null));
  events.push(chunk({}, plan.finishReason));
  if (plan.includeUsage) events.push(event({ ...head, choices: [], usage: plan.usage }));
  events.push("data: [DONE]\n\n");
  return events;
}

function event(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

export interface StreamOptions {
  /** Delay before each content delta after the first, in ms. */
  tokenDelayMs: number;
  /** Any of them aborting ends the stream at once (the client left, the server is closing). */
  signals: readonly AbortSignal[];
  /** A broken stream: half the content deltas, then a malformed event (brokenJson) or a dropped connection (truncateBody). */
  fault?: BodyFault | undefined;
  /** Called once when the stream stops before its last event because the client left or the server is closing. */
  onCut?: (() => void) | undefined;
}

const encoder = new TextEncoder();

/**
 * The streamed answer's body. The role delta and the first content delta go out at once (the
 * handler has waited the time to first token before answering), each later content delta after
 * `tokenDelayMs`, and the finish, usage and [DONE] events together at the end; then it ends.
 */
export function streamBody(
  plan: CompletionPlan,
  options: StreamOptions,
): ReadableStream<Uint8Array> {
  const events = streamEvents(plan);
  const generator = writeEvents(plan, events, options);
  let sent = 0;
  let cut = false;
  const noteCut = (): void => {
    if (!cut && sent < events.length && !options.fault) options.onCut?.();
    cut = true;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await generator.next();
      if (next.done) {
        noteCut();
        controller.close();
      } else {
        sent += 1;
        controller.enqueue(encoder.encode(next.value));
      }
    },
    async cancel() {
      noteCut();
      await generator.return(undefined);
    },
  });
}

async function* writeEvents(
  plan: CompletionPlan,
  events: string[],
  options: StreamOptions,
): AsyncGenerator<string> {
  const linked = new LinkedAbort(options.signals);
  try {
    const contentCount = plan.deltas.length;
    const breakAfter = options.fault ? Math.floor(contentCount / 2) : Number.POSITIVE_INFINITY;
    // events[0] is the role delta, events[1..contentCount] the content deltas.
    for (let i = 0; i < events.length; i++) {
      if (linked.signal.aborted) return;
      const contentIndex = i - 1;
      if (contentIndex >= 0 && contentIndex < contentCount) {
        if (contentIndex === breakAfter) {
          if (options.fault === "truncateBody") throw new Error("injected fault: stream cut");
          yield `data: {"id":"${plan.id}","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"\n\n`;
          return;
        }
        if (contentIndex > 0 && options.tokenDelayMs > 0) {
          try {
            await sleep(options.tokenDelayMs, linked.signal);
          } catch {
            return;
          }
        }
      }
      yield events[i] as string;
    }
  } finally {
    linked.dispose();
  }
}
