// A twin's JSON request body, parsed once per request (the recorder, the fault rules and the
// handler all read it) and refused when it nests too deeply. Each twin keeps its own parse (how it
// decodes text, what an empty body is); the depth guard is here so that no twin can forget it.
import { contextKey, type RequestContext } from "../../server/context.js";

/** A body parsed as JSON, or why not. */
export type ParsedJson = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * How deeply a JSON body may nest. The twins' inputs need a handful of levels; a body of `[[[[…`
 * would otherwise exhaust the stack of whatever walks it next (recording, redaction): a 500.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/** Whether JSON text nests deeper than `max` (strings are skipped; validity is JSON.parse's job). */
export function jsonNestsDeeperThan(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      depth += 1;
      if (depth > max) return true;
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) depth -= 1;
  }
  return false;
}

/** Reads a request's JSON body once and hands every later reader the same result. */
export interface JsonBodyReader {
  /** Parses these body bytes (the request's) and keeps the result for the request. */
  parse(context: RequestContext, bytes: Uint8Array): ParsedJson;
  /** Reads the request body and parses it (see parse). */
  read(context: RequestContext): Promise<ParsedJson>;
  /** The parsed body if something already read it, else undefined. */
  peek(context: RequestContext): ParsedJson | undefined;
}

/**
 * A twin's JSON body reader: `parse` is the twin's own, run once per request on a body that
 * nests no deeper than MAX_JSON_DEPTH (a deeper one is `{ ok: false }` without parsing).
 */
export function jsonBodyReader(
  name: string,
  parse: (bytes: Uint8Array) => ParsedJson,
): JsonBodyReader {
  const key = contextKey<ParsedJson>(name);
  const parseOnce = (context: RequestContext, bytes: Uint8Array): ParsedJson => {
    let parsed = context.get(key);
    if (!parsed) {
      parsed = jsonNestsDeeperThan(bytes, MAX_JSON_DEPTH)
        ? { ok: false, message: `JSON is nested deeper than ${MAX_JSON_DEPTH} levels` }
        : parse(bytes);
      context.set(key, parsed);
    }
    return parsed;
  };
  return {
    parse: parseOnce,
    read: async (context) => parseOnce(context, await context.body()),
    peek: (context) => context.get(key),
  };
}
