// A fetch for @fal-ai/client's `fetch` option that sends fal's hosts to a local fal server.
import { rewriteFalUrl } from "./routes.js";

/**
 * Returns a fetch that rewrites https://fal.run, https://queue.fal.run, https://rest.fal.ai,
 * https://rest.alpha.fal.ai and https://*.fal.media URLs to `serverUrl` and passes everything
 * else through unchanged. Use it as `createFalClient({ fetch: localFalFetch(server.url) })`.
 */
export function localFalFetch(
  serverUrl: string,
  baseFetch: typeof fetch = globalThis.fetch,
): typeof fetch {
  const local = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (typeof input === "string") return baseFetch(rewriteFalUrl(input, serverUrl), init);
    if (input instanceof URL) return baseFetch(rewriteFalUrl(input.href, serverUrl), init);
    const rewritten = rewriteFalUrl(input.url, serverUrl);
    return baseFetch(rewritten === input.url ? input : new Request(rewritten, input), init);
  };
  return local as typeof fetch;
}
