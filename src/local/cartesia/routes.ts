// Request-target → operation for the local Cartesia twin: `POST /tts/bytes`, `GET /voices`,
// `GET /voices/{id}`; anything else is a 404, a known path with the wrong method a 405.
import type { Middleware } from "../../server/compose.js";
import { contextKey, type RequestContext } from "../../server/context.js";
import { cartesiaError } from "./replies.js";

export type Operation = "tts" | "voices" | "voice" | "unknown";

export interface Route {
  operation: Operation;
  /** The path as requested, without the query string. */
  path: string;
  query: URLSearchParams;
  /** `GET /voices/{id}`: the id. */
  voiceId?: string;
  /** Set when the request cannot be routed. */
  error?: { status: 404 | 405; message: string; allow?: string };
}

const ROUTE = contextKey<Route>("cartesia.route");

/** Where a path goes, and which method it takes. */
export function resolveRoute(method: string, target: string): Route {
  const q = target.indexOf("?");
  const path = (q < 0 ? target : target.slice(0, q)).replace(/\/+$/, "") || "/";
  const query = new URLSearchParams(q < 0 ? "" : target.slice(q + 1));
  const expect = (operation: Operation, allowed: string, extra: Partial<Route> = {}): Route =>
    method === allowed || (allowed === "GET" && method === "HEAD")
      ? { operation, path, query, ...extra }
      : {
          operation,
          path,
          query,
          ...extra,
          error: {
            status: 405,
            message: `${method} is not allowed on ${path}; use ${allowed}`,
            allow: allowed,
          },
        };
  if (path === "/tts/bytes") return expect("tts", "POST");
  if (path === "/voices") return expect("voices", "GET");
  const voice = /^\/voices\/([^/]+)$/.exec(path);
  if (voice) {
    let voiceId: string;
    try {
      voiceId = decodeURIComponent(voice[1] as string);
    } catch {
      voiceId = voice[1] as string;
    }
    return expect("voice", "GET", { voiceId });
  }
  return {
    operation: "unknown",
    path,
    query,
    error: {
      status: 404,
      message: `No route for ${method} ${path}. The local Cartesia twin serves POST /tts/bytes, GET /voices and GET /voices/{id}.`,
    },
  };
}

/** The route resolved for this request by `routeCartesiaRequests`. */
export function routeOf(context: RequestContext): Route {
  const route = context.get(ROUTE);
  if (!route) throw new Error("routeOf: routeCartesiaRequests() must run before this");
  return route;
}

/** Resolves the request's route from its raw request-target. */
export function routeCartesiaRequests(): Middleware {
  return async function routeCartesiaRequests(request, context, next) {
    context.set(ROUTE, resolveRoute(request.method, context.target));
    return next();
  };
}

/** Answers requests that cannot be routed (404, 405 with Allow). */
export function answerUnroutable(): Middleware {
  return async function answerUnroutable(_request, context, next) {
    const { error } = routeOf(context);
    if (!error) return next();
    return error.status === 404
      ? cartesiaError(404, "not_found", error.message)
      : cartesiaError(405, "method_not_allowed", error.message, { allow: error.allow ?? "" });
  };
}
