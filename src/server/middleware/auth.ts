// API-key authentication: the key comes out of the request by a pluggable extractor (fal's
// `Authorization: Key <k>`, OpenAI's `Authorization: Bearer <k>`, Cartesia's `X-API-Key: <k>`)
// and is compared in constant time. Hono's counterpart is `bearerAuth` (middleware/bearer-auth).
import { createHash, timingSafeEqual } from "node:crypto";
import type { Middleware } from "../compose.js";
import type { RequestContext } from "../context.js";

/** Takes the API key out of a request's headers; undefined when it carries none. */
export type KeyExtractor = (headers: Headers) => string | undefined;

/** Extractors for the ways providers carry their keys. */
export const apiKeyFrom = {
  /**
   * `Authorization: <scheme> <key>`. The scheme is matched as written: the clients of the
   * providers we mimic send it so, and a twin should be no more lenient than the real service.
   */
  authorization(scheme: string): KeyExtractor {
    const prefix = `${scheme} `;
    return (headers) => {
      const value = headers.get("authorization");
      return value?.startsWith(prefix) ? value.slice(prefix.length) : undefined;
    };
  },
  /** A header that holds the key alone, e.g. `X-API-Key`. */
  header(name: string): KeyExtractor {
    return (headers) => headers.get(name) ?? undefined;
  },
  /** The first extractor that finds a key. */
  firstOf(...extractors: KeyExtractor[]): KeyExtractor {
    return (headers) => {
      for (const extract of extractors) {
        const key = extract(headers);
        if (key !== undefined) return key;
      }
      return undefined;
    };
  },
};

export interface ApiKeyAuthOptions {
  /** The key a request must carry (not empty). */
  key: string;
  extract: KeyExtractor;
  /** Which requests need the key; default every request. */
  when?: (request: Request, context: RequestContext) => boolean;
  /** The answer to a request without the right key; default a plain 401. */
  onUnauthorized?: (request: Request, context: RequestContext) => Response | Promise<Response>;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function unauthorized(): Response {
  return new Response("Unauthorized", {
    status: 401,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/**
 * Lets a request through only when it carries the API key. Keys are compared as SHA-256 digests
 * with `timingSafeEqual`, so neither the time taken nor an early length check tells a caller how
 * close a guess was.
 *
 * @example
 * ```ts
 * const app = createApp({
 *   middleware: [apiKeyAuth({ key: "sk-test", extract: apiKeyFrom.authorization("Bearer") })],
 *   handler: () => new Response("ok"),
 * });
 * (await app.request("/", { headers: { authorization: "Bearer sk-test" } })).status; // 200
 * (await app.request("/")).status; // 401
 * ```
 */
export function apiKeyAuth(options: ApiKeyAuthOptions): Middleware {
  if (options.key.length === 0) throw new TypeError("apiKeyAuth: key must not be empty");
  const expected = digest(options.key);
  const { extract, when } = options;
  const onUnauthorized = options.onUnauthorized ?? unauthorized;
  return async function apiKeyAuth(request, context, next) {
    if (when && !when(request, context)) return next();
    const given = extract(request.headers);
    if (given !== undefined && timingSafeEqual(digest(given), expected)) return next();
    return onUnauthorized(request, context);
  };
}
