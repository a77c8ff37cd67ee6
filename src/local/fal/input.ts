// The JSON body of a request to the local fal server, parsed once per request (the recorder and
// the handlers both want it), and what a model call asks for.
import type { RequestContext } from "../../server/context.js";
import { describeError } from "../../utils/errors.js";
import { jsonBodyReader, type ParsedJson } from "../twin-kit/json-body.js";
import { getModel, jsonDecodeError } from "./models.js";
import { falJson, modelNotFound } from "./replies.js";

export type { ParsedJson };

/** Bytes as Node's Buffer: decoding as Buffer#toString does (a BOM stays and is invalid JSON). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const jsonBody = jsonBodyReader("fal.json", parseJson);

/** Parses the body (an empty body is `undefined`) and keeps the result for the request. */
export function parseJsonBody(context: RequestContext, bytes: Uint8Array): ParsedJson {
  return jsonBody.parse(context, bytes);
}

/** Reads and parses the request body (see parseJsonBody). */
export async function readJsonBody(context: RequestContext): Promise<ParsedJson> {
  return jsonBody.read(context);
}

function parseJson(bytes: Uint8Array): ParsedJson {
  if (bytes.byteLength === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(asBuffer(bytes).toString("utf8")) };
  } catch (error) {
    return { ok: false, message: describeError(error) };
  }
}

/** What a model call (run or submit) asks for. */
export interface ModelCall {
  model: string;
  /** The parsed JSON body (undefined for an empty body). */
  body: unknown;
  /** From `x-fal-request-timeout`: how long the request may wait for a worker. */
  startTimeoutSeconds?: number;
}

/**
 * Reads a model call: 404 for an unknown model, FastAPI's 422 json_invalid for a body that is not
 * JSON, else the call.
 */
export async function readModelCall(
  request: Request,
  context: RequestContext,
  model: string,
): Promise<ModelCall | Response> {
  if (!getModel(model)) return modelNotFound(model);
  const parsed = await readJsonBody(context);
  if (!parsed.ok) return falJson(422, { detail: jsonDecodeError(parsed.message) });
  const call: ModelCall = { model, body: parsed.value };
  const timeout = startTimeoutSeconds(request.headers);
  if (timeout !== undefined) call.startTimeoutSeconds = timeout;
  return call;
}

function startTimeoutSeconds(headers: Headers): number | undefined {
  const value = headers.get("x-fal-request-timeout");
  if (value === null) return undefined;
  const n = Number.parseFloat(value);
  // Timers take at most 2^31−1 ms (longer ones fire at once, with a warning): a longer timeout
  // is no timeout at all.
  return Number.isFinite(n) && n > 0 && n * 1000 <= MAX_TIMER_MS ? n : undefined;
}

/** The longest delay setTimeout honours, in ms (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;
