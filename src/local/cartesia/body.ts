// The JSON body of a request to the local Cartesia twin, parsed once per request: the recorder,
// the fault rules (which match on `model_id`) and the handler all read it.
import { contextKey, type RequestContext } from "../../server/context.js";
import { describeError } from "../../utils/errors.js";

export type ParsedBody = { ok: true; value: unknown } | { ok: false; message: string };

const PARSED_BODY = contextKey<ParsedBody>("cartesia.body");

/** Parses these body bytes (empty = `undefined`) and keeps the result for the request. */
export function parseBody(context: RequestContext, bytes: Uint8Array): ParsedBody {
  let parsed = context.get(PARSED_BODY);
  if (!parsed) {
    parsed = parse(bytes);
    context.set(PARSED_BODY, parsed);
  }
  return parsed;
}

/** Reads and parses the request body (see parseBody). */
export async function readParsedBody(context: RequestContext): Promise<ParsedBody> {
  return parseBody(context, await context.body());
}

/** The parsed body if something already read it, else undefined. */
export function parsedBodyOf(context: RequestContext): ParsedBody | undefined {
  return context.get(PARSED_BODY);
}

function parse(bytes: Uint8Array): ParsedBody {
  if (bytes.byteLength === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(new TextDecoder().decode(bytes)) };
  } catch (error) {
    return { ok: false, message: describeError(error) };
  }
}
