// How the local fal server answers: JSON with fal's headers (x-fal-request-id, CORS), and the
// answers several handlers share.
import { randomUUID } from "node:crypto";
import type { Middleware } from "../../server/compose.js";
import { jsonResponse } from "../../server/response.js";
import type { Route } from "./routes.js";

const CORS_EXPOSE =
  "x-fal-request-id, x-fal-request-timeout-type, x-fal-billable-units, x-fal-error-type";
const PREFLIGHT_ALLOW_HEADERS = "authorization, content-type, accept, x-fal-target-url";
/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 600;

export interface FalReplyOptions {
  /** The request id to announce (default: a fresh one per request, see falResponseHeaders). */
  requestId?: string;
  /** Extra headers; they win over the defaults. */
  headers?: Record<string, string>;
}

/** A JSON answer with fal's headers. */
export function falJson(status: number, body: unknown, options: FalReplyOptions = {}): Response {
  const headers: Record<string, string> = {};
  if (options.requestId !== undefined) headers["x-fal-request-id"] = options.requestId;
  // Header names are case-insensitive: an extra header replaces a default of any spelling.
  for (const [name, value] of Object.entries(options.headers ?? {}))
    headers[name.toLowerCase()] = value;
  return jsonResponse(status, body, headers);
}

/**
 * Gives every answer fal's common headers unless it has its own: a request id (a fresh UUID when
 * no job stands behind the request) and CORS headers, so browsers can call the server directly.
 */
export function falResponseHeaders(): Middleware {
  return async function falResponseHeaders(_request, _context, next) {
    const response = await next();
    if (response.type === "error") return response;
    const { headers } = response;
    if (!headers.has("x-fal-request-id")) headers.set("x-fal-request-id", randomUUID());
    if (!headers.has("access-control-allow-origin"))
      headers.set("access-control-allow-origin", "*");
    if (!headers.has("access-control-expose-headers"))
      headers.set("access-control-expose-headers", CORS_EXPOSE);
    return response;
  };
}

/** The answer to a CORS preflight. */
export function preflightResponse(request: Request): Response {
  return new Response(null, {
    status: 204,
    headers: {
      "content-type": "application/json",
      "access-control-allow-methods": "GET, HEAD, POST, PUT, OPTIONS",
      "access-control-allow-headers":
        request.headers.get("access-control-request-headers") ?? PREFLIGHT_ALLOW_HEADERS,
      "access-control-max-age": String(PREFLIGHT_MAX_AGE_S),
    },
  });
}

export function modelNotFound(model: string): Response {
  return falJson(404, { detail: `Application '${model}' not found` });
}

export function requestNotFound(route: Route): Response {
  return falJson(404, { detail: `Request ${route.requestId ?? ""} not found` });
}

/** Seconds a client is told to wait when the queue is full. */
const QUEUE_FULL_RETRY_AFTER_S = 1;

/** The answer when `waiting` requests already wait for a worker: 429, as fal's rate limits. */
export function queueFull(waiting: number): Response {
  return falJson(
    429,
    { detail: `Too many requests waiting (${waiting}): try again later` },
    { headers: { "retry-after": String(QUEUE_FULL_RETRY_AFTER_S) } },
  );
}
