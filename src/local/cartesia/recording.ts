// What the local Cartesia twin records of each request (the ring behind requests()): what every
// twin records (../twin-kit/recording.ts), and the query. X-API-Key and Authorization are never
// recorded; the recorder redacts the key from what is left.
import type { RequestContext } from "../../server/context.js";
import { recordRequest, type TwinRecordedRequest } from "../twin-kit/recording.js";
import { parseBody } from "./body.js";
import type { Operation } from "./routes.js";
import { routeOf } from "./routes.js";

export interface RecordedRequest extends TwinRecordedRequest<Operation> {
  query: Record<string, string>;
}

/** The recorded form of a request (redacted afterwards by the recorder). */
export function describeRequest(
  request: Request,
  context: RequestContext,
  bytes: Uint8Array | undefined,
): RecordedRequest {
  const route = routeOf(context);
  const { entry } = recordRequest(request, route, bytes, {
    parse: (body) => parseBody(context, body),
  });
  return { ...entry, query: Object.fromEntries(route.query) };
}
