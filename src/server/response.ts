// Small builders for whole (not streamed) answers. They always say how long the body is, so the
// node adapter sends a Content-Length (and a HEAD answer announces the size it would have), and
// they keep the bytes as they are (whole-response.ts), so the adapter writes them out in one go.
import { wholeResponse } from "./whole-response.js";

const JSON_TYPE = "application/json";
const encoder = new TextEncoder();

/**
 * A JSON answer (`application/json`, no charset parameter: JSON is always UTF-8).
 *
 * @example
 * ```ts
 * return jsonResponse(404, { detail: "Not found" }, { "x-request-id": id });
 * ```
 */
export function jsonResponse(status: number, body: unknown, headers?: HeadersInit): Response {
  return bytesResponse(status, encoder.encode(JSON.stringify(body ?? null)), JSON_TYPE, headers);
}

/**
 * An answer with these exact bytes.
 *
 * @example
 * ```ts
 * return bytesResponse(200, png, "image/png", { "cache-control": "max-age=3600" });
 * ```
 */
export function bytesResponse(
  status: number,
  bytes: Uint8Array,
  contentType: string,
  headers?: HeadersInit,
): Response {
  const all = new Headers(headers);
  if (!all.has("content-type")) all.set("content-type", contentType);
  all.set("content-length", String(bytes.byteLength));
  // 204, 205 and 304 answers carry no body (fetch refuses one); the length is still announced,
  // as node:http would for the same answer.
  return wholeResponse(status, bytes, all);
}

/** Whether an answer carries JSON (`application/json` or a `+json` type). */
export function isJsonResponse(response: Response): boolean {
  const type = response.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === JSON_TYPE || type.endsWith("+json");
}
