// Where image requests go, for every front end (CLI, web demo): fal.ai (FAL_KEY set), a
// fal-compatible server named by a base URL (--base-url or FAL_BASE_URL), or the embedded local fal
// server (preview renderer) started in-process. Front ends print `notice` and call `close()`.
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
  return env.FAL_KEY && env.FAL_KEY.trim() !== "" ? env.FAL_KEY : undefined;
}

/** $FAL_BASE_URL, unless unset or blank. */
export function falBaseUrlFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return env.FAL_BASE_URL && env.FAL_BASE_URL.trim() !== "" ? env.FAL_BASE_URL : undefined;
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
 * always starts the embedded server.
 */
export async function resolveBackend(options: ResolveBackendOptions = {}): Promise<Backend> {
  const env = options.env ?? process.env;
  const choice = options.choice ?? "auto";
  const key = options.key ?? falKeyFromEnv(env);
  const baseUrl = options.baseUrl ?? falBaseUrlFromEnv(env);

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
