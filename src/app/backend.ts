// Where image requests go, for every front end (CLI, web demo): fal.ai (FAL_KEY set), a
// fal-compatible server named by a base URL (--base-url or FAL_BASE_URL), or the embedded local fal
// server (preview renderer) started in-process. Front ends print `notice` and call `close()`.
import { envValue } from "../utils/env.js";
import { checkBaseUrl as checkHttpBaseUrl } from "../utils/http.js";
import { PipecatError, brandErrorClass } from "../utils/errors.js";

export type BackendChoice = "auto" | "fal" | "local";
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "fal", "local"];

export type BackendKind = "fal" | "server" | "local";

export interface Backend {
  kind: BackendKind;
  /** undefined = fal.ai itself. */
  baseUrl: string | undefined;
  /** The key to send; "" = none (the embedded server); undefined = the service reads $FAL_KEY. */
  key: string | undefined;
  /** One line for the user (never contains the key). */
  notice: string | undefined;
  /** Stops what was started for this backend (the embedded server); nothing otherwise. */
  close(): Promise<void>;
}

export interface ResolveBackendOptions {
  choice?: BackendChoice;
  baseUrl?: string;
  key?: string;
  env?: NodeJS.ProcessEnv;
  /** Options for the embedded server (tests use short inference times). */
  local?: Record<string, unknown>;
}

/**
 * The backend asked for cannot be used as things are (e.g. "fal" without a key). Front ends say it
 * in their own terms: the CLI as `--backend <value> <reason>`, a usage error.
 */
export class BackendConfigError extends PipecatError {
  static {
    brandErrorClass(BackendConfigError, "BackendConfigError", "BACKEND_CONFIG_ERROR");
  }

  readonly field = "backend";
  readonly value: BackendChoice;
  /** The choices that would work as things are. */
  readonly allowed: readonly BackendChoice[];
  /** What is missing, as the end of a sentence ("needs a fal API key: set ..."). */
  readonly reason: string;
  constructor(value: BackendChoice, reason: string, allowed: readonly BackendChoice[]) {
    super(`Backend "${value}" ${reason}`, { category: "validation" });
    this.value = value;
    this.reason = reason;
    this.allowed = allowed;
  }
}

/** $FAL_KEY, unless unset or blank. */
export function falKeyFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return envValue("FAL_KEY", env);
}

/** $FAL_BASE_URL, unless unset or blank. */
export function falBaseUrlFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return envValue("FAL_BASE_URL", env);
}

/**
 * Checks a base URL before anything announces it. `field` names where it came from, as the user
 * wrote it ("FAL_BASE_URL" for the environment, "baseUrl" for an option): a SettingsValidationError
 * naming that field, not the service's own option.
 */
export function checkBaseUrl(baseUrl: string, field: string): string {
  const trimmed = baseUrl.trim();
  checkHttpBaseUrl(field, trimmed); // the services' own check, so that both agree
  return trimmed;
}

/** The message the CLI, the demo and the examples print when they fall back to the local server. */
export function localServerNotice(url: string): string {
  return `No FAL_KEY set: using the embedded local fal server at ${url} (preview renderer, not a model)`;
}

const closeNothing = async (): Promise<void> => undefined;

/** fal.ai (no `baseUrl`) or the fal-compatible server at `baseUrl`, as the caller named it. */
export function remoteBackend(
  baseUrl: string | undefined,
  key: string | undefined,
  notice?: string,
): Backend {
  return { kind: baseUrl ? "server" : "fal", baseUrl, key, notice, close: closeNothing };
}

/**
 * Starts the embedded local fal server on 127.0.0.1 (any free port). `keySet` only changes the
 * wording of the notice: the embedded server is used even though a key exists.
 */
export async function embeddedBackend(
  local: Record<string, unknown> = {},
  keySet = false,
): Promise<Backend> {
  const { startLocalFalServer } = await import("../local/fal/index.js");
  const server = await startLocalFalServer({ host: "127.0.0.1", port: 0, ...local } as Parameters<
    typeof startLocalFalServer
  >[0]);
  const notice = keySet
    ? `Using the embedded local fal server at ${server.url} (preview renderer, not a model)`
    : localServerNotice(server.url);
  // The embedded server needs no key: "" (not undefined) stops the service from falling back to
  // $FAL_KEY.
  return { kind: "local", baseUrl: server.url, key: "", notice, close: () => server.close() };
}

/**
 * "auto": a base URL (given, else $FAL_BASE_URL) → that server; else a key (given, else $FAL_KEY)
 * → fal.ai; else the embedded server. "fal" needs a key (BackendConfigError without one); "local"
 * always starts the embedded server. A base URL that is not http(s) is a SettingsValidationError
 * naming `baseUrl`, or `FAL_BASE_URL` when it came from the environment.
 */
export async function resolveBackend(options: ResolveBackendOptions = {}): Promise<Backend> {
  const env = options.env ?? process.env;
  const choice = options.choice ?? "auto";
  const key = options.key ?? falKeyFromEnv(env);
  const fromEnv = falBaseUrlFromEnv(env);
  const baseUrl =
    options.baseUrl !== undefined
      ? checkBaseUrl(options.baseUrl, "baseUrl")
      : fromEnv !== undefined && choice !== "local"
        ? checkBaseUrl(fromEnv, "FAL_BASE_URL")
        : undefined;

  if (choice === "fal") {
    if (!key)
      throw new BackendConfigError(
        "fal",
        "needs a fal API key: set the FAL_KEY environment variable.",
        ["auto", "local"],
      );
    return remoteBackend(baseUrl, key);
  }
  if (choice === "auto" && baseUrl)
    return remoteBackend(baseUrl, key, `Using the fal-compatible server at ${baseUrl}`);
  if (choice === "auto" && key) return remoteBackend(undefined, key);
  return embeddedBackend(options.local, Boolean(key));
}
