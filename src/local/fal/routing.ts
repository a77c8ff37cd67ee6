// Routing middleware of the local fal server: resolves each request to a fal operation (direct
// URLs, the proxy endpoint and its x-fal-target-url header; see routes.ts) and answers what cannot
// be routed (CORS preflight, bad proxy targets, unknown paths, wrong methods) before auth.
import type { Middleware } from "../../server/compose.js";
import { contextKey, type RequestContext } from "../../server/context.js";
import { falJson, preflightResponse } from "./replies.js";
import { resolveRoute, type Route } from "./routes.js";

const FAL_ROUTE = contextKey<Route>("fal.route");

/** The route `routeFalRequests` resolved for this request. */
export function routeOf(context: RequestContext): Route {
  const route = context.get(FAL_ROUTE);
  if (!route) throw new Error("routeOf: routeFalRequests() must run before this");
  return route;
}

/**
 * Resolves the request's route from its raw request-target. `selfOrigin()` is the server's own
 * origin, which a proxied x-fal-target-url may name.
 */
export function routeFalRequests(selfOrigin: () => string): Middleware {
  return async function routeFalRequests(request, context, next) {
    context.set(
      FAL_ROUTE,
      resolveRoute(request.method, context.target, request.headers, selfOrigin()),
    );
    return next();
  };
}

/** Answers CORS preflights and requests that cannot be routed. */
export function answerUnroutable(): Middleware {
  return async function answerUnroutable(request, context, next) {
    const route = routeOf(context);
    if (route.operation === "preflight") return preflightResponse(request);
    if (route.error) return falJson(route.error.status, { detail: route.error.detail });
    return next();
  };
}
