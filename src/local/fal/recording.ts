// What the local fal server records of each request (the ring behind requests()): what every twin
// records (../twin-kit/recording.ts), and fal's model, request id, the effective path and query,
// and whether the request came through the proxy path. Bodies of binary uploads are not kept;
// the recorder redacts the API key afterwards.
import type { RequestContext } from "../../server/context.js";
import { recordRequest, type TwinRecordedRequest } from "../twin-kit/recording.js";
import { parseJsonBody } from "./input.js";
import type { Operation } from "./routes.js";
import { routeOf } from "./routing.js";

/** Bodies larger than this are recorded as a preview: the ring must not hold megabytes per entry. */
export const RECORDED_BODY_MAX_BYTES = 64 * 1024;
/** fal carries its key in Authorization; these headers are never recorded. */
const FAL_CREDENTIAL_HEADERS = ["authorization", "proxy-authorization"];
/** As fal decodes bodies (a byte-order mark stays, see input.ts's asBuffer). */
const FAL_TEXT = new TextDecoder("utf-8", { ignoreBOM: true });

export interface RecordedRequest extends TwinRecordedRequest<Operation> {
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
  /** True when `body` is a preview of a body larger than 64 KiB. */
  bodyTruncated?: boolean;
  /** Request headers without authorization / proxy-authorization. */
  headers: Record<string, string>;
}

/** The recorded form of a request (redacted afterwards by the recorder). */
export function describeRequest(
  request: Request,
  context: RequestContext,
  bytes: Uint8Array | undefined,
): RecordedRequest {
  const route = routeOf(context);
  const { entry, truncated } = recordRequest(request, route, bytes, {
    sizeOnly: route.operation === "upload",
    parse: (body) => parseJsonBody(context, body),
    maxParsedBytes: RECORDED_BODY_MAX_BYTES,
    omitHeaders: FAL_CREDENTIAL_HEADERS,
    decoder: FAL_TEXT,
  });
  const recorded: RecordedRequest = {
    ...entry,
    query: Object.fromEntries(route.query),
    proxied: route.proxied,
  };
  if (truncated) recorded.bodyTruncated = true;
  if (route.model !== undefined) recorded.model = route.model;
  if (route.requestId !== undefined) recorded.requestId = route.requestId;
  return recorded;
}
