// Request body size limit: `context.body()` reads at most `maxBytes`, and a larger body is answered
// with 413. Hono's counterpart is `bodyLimit` (middleware/body-limit).
import type { Middleware } from "../compose.js";
import type { BodySource, RequestContext } from "../context.js";
import { HttpError } from "../http-error.js";

const MiB = 1024 * 1024;
/** The least an oversized body is drained by default before the 413 goes out. */
const MIN_DRAIN_BYTES = 64 * MiB;

export interface TooLargeInfo {
  maxBytes: number;
  /**
   * Whether the whole body was read (and dropped). When false the client is still sending: the
   * answer should close the connection (`Connection: close`), as the rest will not be read.
   */
  drained: boolean;
}

export interface BodyLimitOptions {
  /** Largest accepted body in bytes. */
  maxBytes: number;
  /**
   * How much of an oversized body is read and dropped before answering, so that a client still
   * sending sees the 413 rather than a reset; default the larger of 8 × maxBytes and 64 MiB.
   */
  drainBytes?: number;
  /** The 413 answer; default plain text, closing the connection unless the body was drained. */
  onTooLarge?: (context: RequestContext, info: TooLargeInfo) => Response;
}

function payloadTooLarge(_context: RequestContext, info: TooLargeInfo): Response {
  const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
  if (!info.drained) headers.connection = "close";
  return new Response("Payload Too Large", { status: 413, headers });
}

/**
 * Bounds what `context.body()` reads. The body is read by whoever needs it first (a recording
 * middleware, a handler); an oversized one throws an `HttpError` carrying the 413, which the
 * chain turns into the answer right there. A declared Content-Length above the limit is refused
 * without keeping any of the body. A body that fails to arrive (the client went away) is a 400.
 *
 * @example
 * ```ts
 * const app = createApp({
 *   middleware: [bodyLimit({ maxBytes: 4 })],
 *   handler: async (request, context) => new Response(await context.body()),
 * });
 * (await app.request("/", { method: "POST", body: "hello" })).status; // 413
 * ```
 */
export function bodyLimit(options: BodyLimitOptions): Middleware {
  const { maxBytes } = options;
  const drainBytes = options.drainBytes ?? Math.max(maxBytes * 8, MIN_DRAIN_BYTES);
  const onTooLarge = options.onTooLarge ?? payloadTooLarge;
  return async function bodyLimit(request, context, next) {
    const declared = Number(request.headers.get("content-length") ?? "0");
    const declaredTooLarge = Number.isFinite(declared) && declared > maxBytes;
    context.readBodyWith(async (body) => {
      const read = await readBounded(body, maxBytes, drainBytes, declaredTooLarge);
      if (read.ok) return read.bytes;
      if (read.failed)
        throw new HttpError(400, {
          message: "The request body could not be read",
          cause: read.error,
        });
      throw new HttpError(413, {
        message: `Request body is larger than ${maxBytes} bytes`,
        response: onTooLarge(context, { maxBytes, drained: read.drained }),
      });
    });
    return next();
  };
}

type BoundedRead =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; drained: boolean; failed: false }
  | { ok: false; drained: false; failed: true; error: unknown };

async function readBounded(
  body: BodySource,
  maxBytes: number,
  drainBytes: number,
  tooLargeAlready: boolean,
): Promise<BoundedRead> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let tooLarge = tooLargeAlready;
  try {
    for (;;) {
      const value = await body.read();
      if (value === undefined) break;
      size += value.byteLength;
      if (size > maxBytes) tooLarge = true;
      if (!tooLarge) {
        chunks.push(value);
        continue;
      }
      chunks.length = 0;
      if (size > drainBytes) {
        // Stop reading; the answer closes the connection instead.
        body.cancel();
        return { ok: false, drained: false, failed: false };
      }
    }
  } catch (error) {
    return { ok: false, drained: false, failed: true, error };
  }
  if (tooLarge) return { ok: false, drained: true, failed: false };
  return {
    ok: true,
    bytes: chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, size),
  };
}
