// Which Host and Origin headers a server of ours answers. A server on loopback is reachable from
// the user's browser, so a page on another site could reach it through DNS rebinding (a name that
// resolves to 127.0.0.1) and spend the user's keys: the Host header gives that away, the Origin
// header gives away cross-site pages. Every server we start checks both, for HTTP requests and
// WebSocket upgrades alike.
import { isIP } from "node:net";
import { SettingsValidationError } from "../utils/errors.js";

/** The host names a loopback-bound server answers to. */
export const LOOPBACK_HOST_NAMES: readonly string[] = ["127.0.0.1", "localhost", "[::1]"];

/** Allows any Host (and any Origin naming the server's port): only with an explicit choice. */
export const ANY_HOST = "*";

export interface HostPolicyOptions {
  /** The address the server listens on ("127.0.0.1", "::1", "0.0.0.0", "192.168.1.5", ...). */
  bindAddress: string;
  /** The port it listens on; the Host header must name it. */
  port: number;
  /**
   * Host names (without port) accepted besides the loopback names, e.g. ["my-box.local"], or
   * ["*"] for any. Required when the server listens on anything but loopback.
   */
  allowedHosts?: readonly string[];
  /**
   * Origins of pages served elsewhere that may call the server from a browser (e.g.
   * ["http://localhost:3000"] for a dev page), exactly as a browser sends them. Pages of the
   * server's own origin are always accepted.
   */
  allowedOrigins?: readonly string[];
}

export interface HostPolicy {
  readonly port: number;
  readonly loopbackOnly: boolean;
  /** Lower-case host names accepted (loopback names included); undefined = any. */
  readonly hostNames: ReadonlySet<string> | undefined;
  /** Other origins accepted (normalised `scheme://host[:port]`). */
  readonly origins?: ReadonlySet<string>;
}

export type GuardVerdict = { ok: true } | { ok: false; status: 403; reason: string };

/** True for addresses only this machine can reach. */
export function isLoopbackAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare === "::1") return true;
  if (bare.startsWith("::ffff:")) return isLoopbackAddress(bare.slice("::ffff:".length));
  return isIP(bare) === 4 && bare.startsWith("127.");
}

/**
 * Builds the policy of a server. Throws a SettingsValidationError naming `allowedHosts` when the
 * server listens beyond loopback without an explicit allow-list.
 */
export function createHostPolicy(options: HostPolicyOptions): HostPolicy {
  const loopbackOnly = isLoopbackAddress(options.bindAddress);
  const allowed = (options.allowedHosts ?? []).map((name) => name.trim().toLowerCase());
  if (!loopbackOnly && allowed.length === 0) {
    throw new SettingsValidationError(
      "allowedHosts",
      options.allowedHosts ?? [],
      `a list of host names (or "*" for any) when listening on ${options.bindAddress}, which other machines can reach`,
    );
  }
  for (const name of allowed) {
    if (name !== ANY_HOST && !isHostName(name)) {
      throw new SettingsValidationError(
        "allowedHosts",
        name,
        'host names such as "my-box.local" or "192.168.1.5" (one a value, no port), or "*"',
      );
    }
  }
  const origins = new Set((options.allowedOrigins ?? []).map(normaliseOrigin));
  const hostNames = allowed.includes(ANY_HOST)
    ? undefined
    : new Set([...LOOPBACK_HOST_NAMES, ...allowed.map(bracketIPv6)]);
  return { port: options.port, loopbackOnly, hostNames, origins };
}

/**
 * A name a Host header can carry without its port: a DNS name, an IPv4 address, or an IPv6
 * address (bracketed or not). A list in one string ("a.local,b.local") or a name with a port is
 * not one, and would never match.
 */
export function isHostName(name: string): boolean {
  name = name.toLowerCase();
  if (isIP(name.replace(/^\[|\]$/g, "")) !== 0) return true;
  return /^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$/.test(name) && !name.includes("..");
}

/** `scheme://host[:port]` of an allowed origin; a SettingsValidationError for anything else. */
function normaliseOrigin(origin: string): string {
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  if (
    !url ||
    (url.protocol !== "http:" && url.protocol !== "https:") ||
    url.pathname !== "/" ||
    url.search !== "" ||
    url.hash !== "" ||
    url.username !== "" ||
    url.password !== ""
  ) {
    throw new SettingsValidationError(
      "allowedOrigins",
      origin,
      'origins such as "http://localhost:3000" (scheme, host and port only)',
    );
  }
  return url.origin;
}

/** One line for a user who made a server reachable from other machines. */
export function exposureWarning(bindAddress: string, port: number, what = "your API keys"): string {
  return `Warning: listening on ${bindAddress}:${port}: anyone who can reach this port can use ${what}.`;
}

/** Checks a request's Host and Origin headers against the policy. */
export function checkHostAndOrigin(
  policy: HostPolicy,
  headers: { host?: string | null | undefined; origin?: string | null | undefined },
): GuardVerdict {
  const host = headers.host ?? undefined;
  if (host === undefined || host === "") return refuse("a Host header is required");
  if (!hostMatches(policy, host)) return refuse(`Host ${JSON.stringify(host)} is not allowed`);
  const origin = headers.origin ?? undefined;
  if (origin === undefined) return { ok: true }; // not a browser page (curl, SDK clients)
  let originUrl: URL;
  try {
    originUrl = new URL(origin);
  } catch {
    return refuse(`Origin ${JSON.stringify(origin)} is not allowed`);
  }
  if (policy.origins?.has(originUrl.origin) && originUrl.origin === origin) return { ok: true };
  if (
    (originUrl.protocol !== "http:" && originUrl.protocol !== "https:") ||
    originUrl.pathname !== "/" ||
    !hostMatches(policy, originUrl.host, originUrl.protocol === "https:" ? 443 : 80)
  ) {
    return refuse(`Origin ${JSON.stringify(origin)} is not allowed`);
  }
  return { ok: true };
}

function refuse(reason: string): GuardVerdict {
  return { ok: false, status: 403, reason };
}

function bracketIPv6(name: string): string {
  return name.includes(":") && !name.startsWith("[") ? `[${name}]` : name;
}

/** `host` is "name[:port]" as in a Host header or URL.host. */
function hostMatches(policy: HostPolicy, host: string, defaultPort = 80): boolean {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  if (match === null) return false;
  const name = (match[1] ?? "").toLowerCase();
  const port = match[2] === undefined ? defaultPort : Number(match[2]);
  if (port !== policy.port) return false;
  return policy.hostNames === undefined || policy.hostNames.has(name);
}

/** The host to put in URLs for a listening address (a wildcard address is reached on loopback). */
export function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}
