// How the local OpenAI twin answers: OpenAI's error shape (`{"error": {message, type, param,
// code}}`) for every failure, with the status and headers OpenAI uses, and the headers every
// answer carries (a request id, and a label saying a scripted twin answered).
import { randomBytes } from "node:crypto";
import type { Middleware } from "../../server/compose.js";
import { jsonResponse } from "../../server/response.js";

/** Says on every answer that a scripted twin, not a model, wrote it. */
export const TWIN_HEADER = "x-pipecat-ts-twin";
export const TWIN_HEADER_VALUE = "scripted-llm";
/** The API version OpenAI states on every answer (`openai-version`). */
const OPENAI_VERSION = "2020-10-01";

export interface OpenAIErrorInit {
  type?: string;
  param?: string | null;
  code?: string | null;
  headers?: Record<string, string>;
}

/** An error answer in OpenAI's shape. */
export function openAIErrorResponse(
  status: number,
  message: string,
  init: OpenAIErrorInit = {},
): Response {
  return jsonResponse(
    status,
    {
      error: {
        message,
        type: init.type ?? defaultType(status),
        param: init.param ?? null,
        code: init.code ?? null,
      },
    },
    init.headers,
  );
}

function defaultType(status: number): string {
  if (status === 429) return "requests";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** OpenAI's answer for a status when a fault rule gives no body of its own. */
export function injectedErrorResponse(
  status: number,
  headers: Record<string, string> = {},
): Response {
  const note = "(injected fault of the local OpenAI twin)";
  if (status === 429)
    return openAIErrorResponse(status, `Rate limit reached ${note}. Please try again later.`, {
      code: "rate_limit_exceeded",
      headers,
    });
  if (status === 401)
    return openAIErrorResponse(status, `Incorrect API key provided ${note}.`, {
      code: "invalid_api_key",
      headers,
    });
  if (status === 503)
    return openAIErrorResponse(status, `The engine is currently overloaded ${note}.`, { headers });
  if (status >= 500)
    return openAIErrorResponse(
      status,
      `The server had an error while processing your request ${note}.`,
      { headers },
    );
  return openAIErrorResponse(status, `The request was refused ${note}.`, { headers });
}

/** A fresh request id in OpenAI's form ("req_" and 32 hex digits). */
export function newRequestId(): string {
  return `req_${randomBytes(16).toString("hex")}`;
}

/** Gives every answer (unless it has its own) an `x-request-id`, OpenAI's version header and the twin's label. */
export function openAIResponseHeaders(): Middleware {
  return async function openAIResponseHeaders(_request, _context, next) {
    const requestId = newRequestId();
    const response = await next();
    if (response.type === "error") return response;
    const { headers } = response;
    if (!headers.has("x-request-id")) headers.set("x-request-id", requestId);
    if (!headers.has("openai-version")) headers.set("openai-version", OPENAI_VERSION);
    headers.set(TWIN_HEADER, TWIN_HEADER_VALUE);
    return response;
  };
}
