// What the local Cartesia twin records of each request (the ring behind requests()): method,
// operation, path and query, the parsed JSON body, the headers without credentials (X-API-Key and
// Authorization are never recorded). The recorder redacts the key from what is left.
import type { RequestContext } from "../../server/context.js";
import { recordedHeaders } from "../../server/middleware/record.js";
import { parseBody } from "./body.js";
import type { Operation } from "./routes.js";
import { routeOf } from "./routes.js";

/** How much of a body that is not JSON a recorded request keeps, in characters. */
const RECORDED_TEXT_CHARS = 1000;

export interface RecordedRequest {
  time: string;
  method: string;
  operation: Operation;
  /** The path, without the query string. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body (or the start of a body that is not JSON; undefined for none). */
  body: unknown;
  bodyBytes: number;
  /** Request headers without credentials. */
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
  if (bytes !== undefined) {
    const parsed = parseBody(context, bytes);
    body = parsed.ok ? parsed.value : new TextDecoder().decode(bytes).slice(0, RECORDED_TEXT_CHARS);
  }
  return {
    time: new Date().toISOString(),
    method: request.method,
    operation: route.operation,
    path: route.path,
    query: Object.fromEntries(route.query),
    body,
    bodyBytes: bytes?.byteLength ?? 0,
    headers: recordedHeaders(request.headers),
  };
}
