// What every twin records of a request (the ring behind its requests()): when, the method, the
// operation, the path, the body as parsed JSON (or a preview of a body that is not JSON), its size
// and the headers without credentials. Each twin adds what its protocol names (fal's model and
// request id, the query); the recorder redacts the key from the whole entry afterwards.
import { CREDENTIAL_HEADERS, recordedHeaders } from "../../server/middleware/record.js";

/** How much of a body that is not JSON (or too large to keep) a recorded request keeps, in characters. */
export const RECORDED_TEXT_CHARS = 1000;

/** The fields every twin records. */
export interface TwinRecordedRequest<Operation extends string> {
  time: string;
  method: string;
  operation: Operation;
  /** The path, without the query string. */
  path: string;
  /** Parsed JSON body (or the start of a body that is not JSON; undefined for none). */
  body: unknown;
  bodyBytes: number;
  /** Request headers without credentials. */
  headers: Record<string, string>;
  /** HTTP status answered (undefined while pending, or when the connection was dropped). */
  status?: number;
}

/** A body parsed as JSON, or why not. */
export type ParsedBody = { ok: true; value: unknown } | { ok: false };

export interface RecordOptions {
  /** Record the body's size only, not the body (binary uploads); default false. */
  sizeOnly?: boolean;
  /** Parses the body bytes (a twin usually keeps the result for its handler). */
  parse: (bytes: Uint8Array) => ParsedBody;
  /** Bodies larger than this are recorded as a preview, with `truncated`; default no limit. */
  maxParsedBytes?: number;
  /** Headers never recorded; default the server kit's CREDENTIAL_HEADERS. */
  omitHeaders?: readonly string[];
  /** How previews are decoded; default UTF-8 without a byte-order mark. */
  decoder?: TextDecoder;
}

/** What `recordRequest` returns: the common entry, and whether its body is a preview. */
export interface Recorded<Operation extends string> {
  entry: TwinRecordedRequest<Operation>;
  /** True when the body was larger than maxParsedBytes and `entry.body` is a preview of it. */
  truncated: boolean;
}

const UTF8 = new TextDecoder();

/** The common fields of a recorded request. `bytes` is the body (undefined: none, or unread). */
export function recordRequest<Operation extends string>(
  request: Request,
  route: { operation: Operation; path: string },
  bytes: Uint8Array | undefined,
  options: RecordOptions,
): Recorded<Operation> {
  let body: unknown;
  let truncated = false;
  if (bytes !== undefined && !options.sizeOnly) {
    const decoder = options.decoder ?? UTF8;
    if (bytes.byteLength > (options.maxParsedBytes ?? Number.POSITIVE_INFINITY)) {
      truncated = true;
      body = bodyPreview(bytes, decoder);
    } else {
      const parsed = options.parse(bytes);
      body = parsed.ok ? parsed.value : bodyPreview(bytes, decoder);
    }
  }
  return {
    entry: {
      time: new Date().toISOString(),
      method: request.method,
      operation: route.operation,
      path: route.path,
      body,
      bodyBytes: bytes?.byteLength ?? 0,
      headers: recordedHeaders(request.headers, options.omitHeaders ?? CREDENTIAL_HEADERS),
    },
    truncated,
  };
}

/** The first RECORDED_TEXT_CHARS characters of a body, as text. */
export function bodyPreview(bytes: Uint8Array, decoder: TextDecoder = UTF8): string {
  // Decode a little more than kept (a character takes up to 4 bytes), not a body of megabytes.
  return decoder.decode(bytes.subarray(0, RECORDED_TEXT_CHARS * 4)).slice(0, RECORDED_TEXT_CHARS);
}
