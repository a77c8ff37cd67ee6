// One line for a person about a failed prompt, for every front end (CLI, web demo): fal's reason,
// made specific for the common cases (unknown model, bad key, unreachable server), key removed.
import type { ErrorFrame } from "../frames/error.js";
import { FalApiError, FalNetworkError } from "../services/fal/errors.js";
import { describeError } from "../utils/errors.js";
import { redactText } from "../utils/secrets.js";

export interface FailureContext {
  /** The model the prompt was sent to. */
  model: string;
  /** Where it was sent; undefined = fal.ai. */
  baseUrl: string | undefined;
  /** The key in use, removed from the message. */
  key?: string;
}

export interface FailureDescription {
  /** One line, key removed, meant for users. */
  message: string;
  /** fal's HTTP status, when fal answered. */
  status: number | undefined;
}

/**
 * Describes an ErrorFrame from its structured fields. A prompt's failure is told by its `cause`
 * (the frame's own text adds "Image generation failed for prompt …", which the front ends show
 * their own way); an error that answers no prompt (a rejected settings update) by its text.
 */
export function describeFailure(
  frame: Pick<ErrorFrame, "error" | "cause" | "prompt">,
  context: FailureContext,
): FailureDescription {
  const { cause } = frame;
  let message =
    frame.prompt !== undefined && cause !== undefined ? describeError(cause) : frame.error;
  let status: number | undefined;
  const where = context.baseUrl ? `the server at ${context.baseUrl}` : "fal.ai";
  if (cause instanceof FalApiError) {
    status = cause.status;
    if (cause.status === 404)
      message = `Unknown model "${context.model}": ${where} answered 404 (${detailText(cause.detail) ?? "not found"}).`;
    else if (cause.status === 401)
      message = `${where} rejected the request (HTTP 401): the fal key is missing or wrong. Check FAL_KEY.`;
    else if (cause.status === 403)
      message = `${where} refused the request (HTTP 403): this key may not use "${context.model}".`;
  } else if (cause instanceof FalNetworkError) {
    message = `Cannot reach ${where}: ${cause.message}`;
  }
  message = message.replace(/\s+/g, " ").trim();
  return { message: redactText(message, [context.key, process.env.FAL_KEY]), status };
}

function detailText(detail: unknown): string | undefined {
  return typeof detail === "string" && detail.length > 0 ? detail : undefined;
}
