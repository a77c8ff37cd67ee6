// What the local fal server records of each request (the ring behind requests()): method,
// operation, model, request id, the effective path and query, the parsed body, the headers
// without credentials. The recorder redacts the API key afterwards.
import type { RequestContext } from "../../server/context.js";
import { recordedHeaders } from "../../server/middleware/record.js";
import { asBuffer, parseJsonBody } from "./input.js";
import type { Operation } from "./routes.js";
import { routeOf } from "./routing.js";

/** How much of a body that is not JSON (or too large to keep) a recorded request keeps, in characters. */
const RECORDED_TEXT_CHARS = 1000;
/** Bodies larger than this are recorded as a preview: the ring must not hold megabytes per entry. */
export const RECORDED_BODY_MAX_BYTES = 64 * 1024;
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
  /**
   * Parsed JSON body; the first 1000 characters as text when it is not JSON or is larger than
   * 64 KiB (then `bodyTruncated`); undefined for binary uploads (see bodyBytes).
   */
  body: unknown;
  bodyBytes: number;
  /** True when `body` is a preview of a body larger than 64 KiB. */
  bodyTruncated?: boolean;
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
  let truncated = false;
  if (bytes !== undefined && route.operation !== "upload") {
    if (bytes.byteLength > RECORDED_BODY_MAX_BYTES) {
      truncated = true;
      body = preview(bytes);
    } else {
      const parsed = parseJsonBody(context, bytes);
      body = parsed.ok ? parsed.value : preview(bytes);
    }
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
  if (truncated) entry.bodyTruncated = true;
  if (route.model !== undefined) entry.model = route.model;
  if (route.requestId !== undefined) entry.requestId = route.requestId;
  return entry;
}

/** The first characters of a body, as text. */
function preview(bytes: Uint8Array): string {
  // Decode a little more than kept: a character may take up to 4 bytes.
  const head = bytes.subarray(0, RECORDED_TEXT_CHARS * 4);
  return asBuffer(head).toString("utf8").slice(0, RECORDED_TEXT_CHARS);
}
