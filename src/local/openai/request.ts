// Reading a Chat Completions request as OpenAI does: the JSON body, the parameters the twin
// honours, and OpenAI's 400 answers (message, `param`, `code`) for what it would refuse.
// Parameters the twin does not use (tools, logprobs, response_format...) are accepted and ignored.
import { HttpError } from "../../server/http-error.js";
import { describeError } from "../../utils/errors.js";
import { jsonBodyReader, type ParsedJson } from "../twin-kit/json-body.js";
import { openAIErrorResponse } from "./replies.js";
import type { ScriptedMessage } from "./scripted-llm.js";

const ROLES = ["system", "developer", "user", "assistant", "tool", "function"] as const;

/** What the twin takes from a request. */
export interface ChatRequest {
  model: string;
  messages: ScriptedMessage[];
  stream: boolean;
  includeUsage: boolean;
  /** `max_completion_tokens`, else `max_tokens`; undefined for no limit. */
  maxTokens: number | undefined;
  seed: number | undefined;
}

/** A 400 in OpenAI's shape, thrown: the server kit's chain answers with it. */
function invalid(message: string, param: string | null, code: string | null = null): HttpError {
  return new HttpError(400, {
    message,
    response: openAIErrorResponse(400, message, { param, code }),
  });
}

/**
 * A request's JSON body, parsed once (the recorder, the fault rules' model and the handler read
 * it). An empty body is not JSON either.
 */
export const chatBody = jsonBodyReader("openai.body", (bytes) => {
  try {
    return { ok: true, value: JSON.parse(new TextDecoder().decode(bytes)) };
  } catch (error) {
    return { ok: false, message: describeError(error) };
  }
});

/** Checks the parsed body; throws an HttpError carrying OpenAI's 400 answer. */
export function parseChatRequest(parsed: ParsedJson): ChatRequest {
  if (!parsed.ok)
    throw invalid(
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      null,
    );
  const body = parsed.value;
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw invalid("The request body must be a JSON object.", null);
  const b = body as Record<string, unknown>;

  if (b.model === undefined || b.model === null || b.model === "")
    throw invalid("you must provide a model parameter", "model", "missing_required_parameter");
  if (typeof b.model !== "string") throw wrongType("model", "a string", b.model);

  const messages = readMessages(b.messages);
  const stream = readBoolean("stream", b.stream) ?? false;
  const options = b.stream_options;
  let includeUsage = false;
  if (options !== undefined && options !== null) {
    if (!stream)
      throw invalid(
        "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        "stream_options",
        "invalid_value",
      );
    if (typeof options !== "object" || Array.isArray(options))
      throw wrongType("stream_options", "an object", options);
    includeUsage =
      readBoolean(
        "stream_options.include_usage",
        (options as Record<string, unknown>).include_usage,
      ) ?? false;
  }
  readNumber("temperature", b.temperature, 0, 2);
  readNumber("top_p", b.top_p, 0, 1);
  readNumber("frequency_penalty", b.frequency_penalty, -2, 2);
  readNumber("presence_penalty", b.presence_penalty, -2, 2);
  const maxTokens = readInteger("max_tokens", b.max_tokens, 1);
  const maxCompletionTokens = readInteger("max_completion_tokens", b.max_completion_tokens, 1);
  const seed = readInteger("seed", b.seed, Number.MIN_SAFE_INTEGER);
  const n = readInteger("n", b.n, 1);
  if (n !== undefined && n > 1)
    throw invalid(
      `The local OpenAI twin writes one choice per request: 'n' must be 1, but got ${n} instead.`,
      "n",
      "unsupported_value",
    );
  return {
    model: b.model,
    messages,
    stream,
    includeUsage,
    maxTokens: maxCompletionTokens ?? maxTokens,
    seed,
  };
}

function readMessages(value: unknown): ScriptedMessage[] {
  if (value === undefined || value === null)
    throw invalid(
      "Missing required parameter: 'messages'.",
      "messages",
      "missing_required_parameter",
    );
  if (!Array.isArray(value)) throw wrongType("messages", "an array", value);
  if (value.length === 0)
    throw invalid(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      "messages",
      "empty_array",
    );
  return value.map((message, i) => {
    const at = `messages[${i}]`;
    if (typeof message !== "object" || message === null || Array.isArray(message))
      throw wrongType(at, "an object", message);
    const m = message as Record<string, unknown>;
    if (m.role === undefined)
      throw invalid(
        `Missing required parameter: '${at}.role'.`,
        `${at}.role`,
        "missing_required_parameter",
      );
    if (!ROLES.includes(m.role as (typeof ROLES)[number]))
      throw invalid(
        `Invalid value: '${String(m.role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        `${at}.role`,
        "invalid_value",
      );
    const content = m.content;
    const emptyAllowed = m.role === "assistant";
    if ((content === undefined || content === null) && !emptyAllowed)
      throw invalid(
        `Missing required parameter: '${at}.content'.`,
        `${at}.content`,
        "missing_required_parameter",
      );
    if (
      content !== undefined &&
      content !== null &&
      typeof content !== "string" &&
      !Array.isArray(content)
    )
      throw wrongType(`${at}.content`, "a string or an array of content parts", content);
    return { role: m.role as string, content };
  });
}

function readBoolean(param: string, value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw wrongType(param, "a boolean", value);
  return value;
}

function readNumber(param: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value))
    throw wrongType(param, "a decimal", value);
  if (value < min)
    throw invalid(
      `Invalid '${param}': decimal below minimum value. Expected a value >= ${min}, but got ${value} instead.`,
      param,
      "decimal_below_min_value",
    );
  if (value > max)
    throw invalid(
      `Invalid '${param}': decimal above maximum value. Expected a value <= ${max}, but got ${value} instead.`,
      param,
      "decimal_above_max_value",
    );
  return value;
}

function readInteger(param: string, value: unknown, min: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value))
    throw wrongType(param, "an integer", value);
  if (value < min)
    throw invalid(
      `Invalid '${param}': integer below minimum value. Expected a value >= ${min}, but got ${value} instead.`,
      param,
      "integer_below_min_value",
    );
  return value;
}

function wrongType(param: string, expected: string, value: unknown): HttpError {
  const got = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
  return invalid(
    `Invalid type for '${param}': expected ${expected}, but got ${got} instead.`,
    param,
    "invalid_type",
  );
}
