// The JSON body of a request to the local Cartesia twin, parsed once per request (the recorder,
// the fault rules, which match on `model_id`, and the handler all read it), through the twins'
// reader (../twin-kit/json-body.ts: a body nested too deeply is refused unparsed).
import type { RequestContext } from "../../server/context.js";
import { describeError } from "../../utils/errors.js";
import { jsonBodyReader, type ParsedJson } from "../twin-kit/json-body.js";

export type ParsedBody = ParsedJson;

const jsonBody = jsonBodyReader("cartesia.body", parse);

/** Parses these body bytes (empty = `undefined`) and keeps the result for the request. */
export function parseBody(context: RequestContext, bytes: Uint8Array): ParsedBody {
  return jsonBody.parse(context, bytes);
}

/** Reads and parses the request body (see parseBody). */
export async function readParsedBody(context: RequestContext): Promise<ParsedBody> {
  return jsonBody.read(context);
}

/** The parsed body if something already read it, else undefined. */
export function parsedBodyOf(context: RequestContext): ParsedBody | undefined {
  return jsonBody.peek(context);
}

function parse(bytes: Uint8Array): ParsedBody {
  if (bytes.byteLength === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(new TextDecoder().decode(bytes)) };
  } catch (error) {
    return { ok: false, message: describeError(error) };
  }
}
