// URL → operation routing for the local fal server. Requests arrive either at a direct URL
// ({url}/run/…, {url}/queue/…, {url}/rest/…, {url}/files/…, {url}/upload/…) or at the proxy
// endpoint {url}/api/fal/proxy carrying the real fal URL in the `x-fal-target-url` header.

export type Operation =
  | "run"
  | "submit"
  | "status"
  | "stream"
  | "result"
  | "cancel"
  | "upload-initiate"
  | "upload-multipart"
  | "upload"
  | "file"
  | "token"
  | "info"
  | "preflight"
  | "unknown";

export const PROXY_PATH = "/api/fal/proxy";
export const TARGET_URL_HEADER = "x-fal-target-url";

export interface Route {
  operation: Operation;
  /** run/submit: the endpoint id; status/stream/result/cancel: the app path as addressed. */
  model?: string;
  requestId?: string;
  fileKey?: string;
  uploadToken?: string;
  /** The effective local path (after proxy mapping), without the query string. */
  path: string;
  query: URLSearchParams;
  proxied: boolean;
  /** Set when the request cannot be routed (bad proxy target, bad encoding, wrong method). */
  error?: { status: number; detail: string };
}

/**
 * Maps a fal URL (https://fal.run/…, https://queue.fal.run/…, https://rest.fal.ai/…,
 * https://rest.alpha.fal.ai/…, https://<x>.fal.media/…) to the server's local path + query.
 * Returns undefined for any other host.
 */
export function mapFalUrlToLocalPath(url: URL): string | undefined {
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  const host = url.hostname.toLowerCase();
  const rest = `${url.pathname}${url.search}`;
  if (host === "fal.run") return `/run${rest}`;
  if (host === "queue.fal.run") return `/queue${rest}`;
  if (host === "rest.fal.ai" || host === "rest.alpha.fal.ai") return `/rest${rest}`;
  if (host === "fal.media" || host.endsWith(".fal.media")) {
    const path = url.pathname.startsWith("/files/")
      ? url.pathname.slice("/files".length)
      : url.pathname;
    return `/files${path}${url.search}`;
  }
  return undefined;
}

/** Rewrites a fal URL to the same resource on a local fal server; other URLs are returned unchanged. */
export function rewriteFalUrl(url: string, serverUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  const local = mapFalUrlToLocalPath(parsed);
  return local === undefined ? url : `${serverUrl.replace(/\/+$/, "")}${local}`;
}

function splitPathAndQuery(raw: string): { path: string; query: string } {
  const withoutHash = raw.split("#")[0] ?? "";
  const q = withoutHash.indexOf("?");
  if (q < 0) return { path: withoutHash, query: "" };
  return { path: withoutHash.slice(0, q), query: withoutHash.slice(q + 1) };
}

function decodeSegments(path: string): string[] | undefined {
  try {
    return path
      .split("/")
      .filter((s) => s.length > 0)
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

/**
 * Resolves a request to an operation. `rawUrl` is the request-target as sent (not normalised).
 * `selfOrigin` (e.g. http://127.0.0.1:1234) lets a proxied
 * `x-fal-target-url` point at the server itself.
 */
export function resolveRoute(
  method: string,
  rawUrl: string,
  headers: Headers,
  selfOrigin: string,
): Route {
  let { path, query } = splitPathAndQuery(rawUrl || "/");
  let proxied = false;
  const m = method.toUpperCase();

  if (path === PROXY_PATH || path === `${PROXY_PATH}/`) {
    proxied = true;
    const target = headers.get(TARGET_URL_HEADER) ?? undefined;
    if (m === "OPTIONS" && !target) {
      return { operation: "preflight", path, query: new URLSearchParams(query), proxied };
    }
    let local: string | undefined;
    if (target) {
      try {
        const url = new URL(target);
        local =
          url.origin === selfOrigin ? `${url.pathname}${url.search}` : mapFalUrlToLocalPath(url);
      } catch {
        local = undefined;
      }
    }
    if (local === undefined) {
      return {
        operation: "unknown",
        path,
        query: new URLSearchParams(query),
        proxied,
        error: {
          status: 400,
          detail: `Invalid request: missing or unsupported ${TARGET_URL_HEADER} header`,
        },
      };
    }
    // The query string lives only in the target URL header.
    ({ path, query } = splitPathAndQuery(local));
  }

  const params = new URLSearchParams(query);
  const base = { path, query: params, proxied };
  if (m === "OPTIONS") return { operation: "preflight", ...base };

  const segs = decodeSegments(path);
  if (!segs)
    return {
      operation: "unknown",
      ...base,
      error: { status: 400, detail: "Malformed URL encoding" },
    };
  const notAllowed = (operation: Operation, extra: Partial<Route> = {}): Route => ({
    operation,
    ...base,
    ...extra,
    error: { status: 405, detail: "Method Not Allowed" },
  });

  const [head, ...rest] = segs;
  if (head === undefined || (head === "health" && rest.length === 0)) {
    return m === "GET" || m === "HEAD" ? { operation: "info", ...base } : notAllowed("info");
  }

  switch (head) {
    case "run": {
      if (rest.length < 2) break;
      const model = rest.join("/");
      return m === "POST" ? { operation: "run", model, ...base } : notAllowed("run", { model });
    }
    case "queue": {
      if (rest.length < 2) break;
      const idx = rest.indexOf("requests", 2);
      if (idx >= 2 && rest.length > idx + 1) {
        const model = rest.slice(0, idx).join("/");
        const requestId = rest[idx + 1] as string;
        const tail = rest.slice(idx + 2).join("/");
        const target = { model, requestId };
        if (tail === "")
          return m === "GET"
            ? { operation: "result", ...target, ...base }
            : notAllowed("result", target);
        if (tail === "status")
          return m === "GET"
            ? { operation: "status", ...target, ...base }
            : notAllowed("status", target);
        if (tail === "status/stream")
          return m === "GET"
            ? { operation: "stream", ...target, ...base }
            : notAllowed("stream", target);
        if (tail === "cancel")
          return m === "PUT"
            ? { operation: "cancel", ...target, ...base }
            : notAllowed("cancel", target);
        break;
      }
      const model = rest.join("/");
      return m === "POST"
        ? { operation: "submit", model, ...base }
        : notAllowed("submit", { model });
    }
    case "rest": {
      const p = rest.join("/");
      if (p === "storage/upload/initiate")
        return m === "POST"
          ? { operation: "upload-initiate", ...base }
          : notAllowed("upload-initiate");
      if (p === "storage/upload/initiate-multipart") {
        return m === "POST"
          ? { operation: "upload-multipart", ...base }
          : notAllowed("upload-multipart");
      }
      if (p === "tokens")
        return m === "POST" ? { operation: "token", ...base } : notAllowed("token");
      break;
    }
    case "files": {
      if (rest.length === 0) break;
      const fileKey = rest.join("/");
      return m === "GET" || m === "HEAD"
        ? { operation: "file", fileKey, ...base }
        : notAllowed("file", { fileKey });
    }
    case "upload": {
      if (rest.length !== 1) break;
      const uploadToken = rest[0] as string;
      return m === "PUT" || m === "POST"
        ? { operation: "upload", uploadToken, ...base }
        : notAllowed("upload", { uploadToken });
    }
    default:
      break;
  }
  return {
    operation: "unknown",
    ...base,
    error: { status: 404, detail: `Path ${path} not found` },
  };
}
