// Host/Origin guard as middleware: the first step of every server's chain, so that a request
// under a foreign name (DNS rebinding) or from a foreign page is refused before anything else
// runs — before authentication, recording or any work. The policy is src/server/host-guard.ts.
import type { Middleware } from "../compose.js";
import type { RequestContext } from "../context.js";
import { checkHostAndOrigin, type HostPolicy } from "../host-guard.js";

export interface HostGuardOptions {
  /**
   * The policy, or a function giving it: a server learns its port only once it listens. While
   * the function gives undefined, requests pass (an app without a socket has no address to
   * defend; whoever serves it guards their own socket).
   */
  policy: HostPolicy | (() => HostPolicy | undefined);
  /** The 403 answer; default plain text naming the reason. */
  onRefused?: (reason: string, request: Request, context: RequestContext) => Response;
}

function forbidden(reason: string): Response {
  return new Response(`Forbidden: ${reason}`, {
    status: 403,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/**
 * The Host a request was sent to: its Host header (the node adapter passes it), else the host of
 * its URL (a Request built in-process).
 */
export function requestHost(request: Request): string {
  return request.headers.get("host") ?? new URL(request.url).host;
}

/**
 * Refuses (403) requests whose Host or Origin the policy does not accept.
 *
 * @example
 * ```ts
 * const policy = createHostPolicy({ bindAddress: "127.0.0.1", port: 8787 });
 * const app = createApp({ middleware: [hostGuard({ policy })], handler: () => new Response("ok") });
 * (await app.request("http://127.0.0.1:8787/")).status; // 200
 * (await app.request("/", { headers: { host: "attacker.example:8787" } })).status; // 403
 * ```
 */
export function hostGuard(options: HostGuardOptions): Middleware {
  const { policy: given } = options;
  const policyOf: () => HostPolicy | undefined = typeof given === "function" ? given : () => given;
  const onRefused = options.onRefused ?? forbidden;
  return async function hostGuard(request, context, next) {
    const policy = policyOf();
    if (!policy) return next();
    const verdict = checkHostAndOrigin(policy, {
      host: requestHost(request),
      origin: request.headers.get("origin"),
    });
    return verdict.ok ? next() : onRefused(verdict.reason, request, context);
  };
}
