// What the local fal server records of each request (the ring behind requests()): method,
// operation, model, request id, the effective path and query, the parsed body, the headers
// without credentials. The recorder redacts the API key afterwards.
import type { RequestContext } from "../../server/context.js";
import { recordedHeaders } from "../../server/middleware/record.js";
import { asBuffer, parseJsonBody } from "./input.js";
import type { Operation } from "./routes.js";
import { routeOf } from "./routing.js";

/** How much of a body that is not JSON a recorded request keeps, in characters. */
const RECORDED_TEXT_CHARS = 1000;
/** fal carries its key in Authorization; these headers are never recorded. */
const FAL_CREDENTIAL_HEADERS = ["authorization", "proxy-authorization"];

export interface RecordedRequest {
  time: string;
  method: string;
  operation: Operation;
  model?: string;
  requestId?: string;
  /** Effective local path (after x-fal-target-url mapping), without query. */
  path: string;
  query: Record<string, string>;
  proxied: boolean;
  /** Parsed JSON body; for binary uploads undefined (see bodyBytes). */
  body: unknown;
  bodyBytes: number;
  /** Request headers without authorization / proxy-authorization. */
  headers: Record<string, string>;
  /** HTTP status answered (undefined while pending, or when the connection was dropped). */
  status?: number;
}

/** The recorded form of a request (redacted afterwards by the recorder). */
export function describeRequest(
  request: Request,
  context: RequestContext,
  bytes: Uint8Array | undefined,
): RecordedRequest {
  const route = routeOf(context);
  let body: unknown;
  if (bytes !== undefined && route.operation !== "upload") {
    const parsed = parseJsonBody(context, bytes);
    body = parsed.ok
      ? parsed.value
      : asBuffer(bytes).toString("utf8").slice(0, RECORDED_TEXT_CHARS);
  }
  const entry: RecordedRequest = {
    time: new Date().toISOString(),
    method: request.method,
    operation: route.operation,
    path: route.path,
    query: Object.fromEntries(route.query),
    proxied: route.proxied,
    body,
    bodyBytes: bytes?.byteLength ?? 0,
    headers: recordedHeaders(request.headers, FAL_CREDENTIAL_HEADERS),
  };
  if (route.model !== undefined) entry.model = route.model;
  if (route.requestId !== undefined) entry.requestId = route.requestId;
  return entry;
}
