// Where image requests go: fal.ai (FAL_KEY set), a fal-compatible server named by --base-url or
// FAL_BASE_URL, or the embedded local fal server (preview renderer) started in-process.
import { UsageError } from "./args.js";

export type BackendChoice = "auto" | "fal" | "local";
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "fal", "local"];

export interface LocalServerHandle {
  url: string;
  close(): Promise<void>;
}

export interface Backend {
  kind: "fal" | "server" | "local";
  /** undefined = fal.ai itself. */
  baseUrl: string | undefined;
  key: string | undefined;
  /** One line for the user (never contains the key). */
  notice: string | undefined;
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

/** The message the CLI, the demo and the examples print when they fall back to the local server. */
export function localServerNotice(url: string): string {
  return `No FAL_KEY set: using the embedded local fal server at ${url} (preview renderer, not a model)`;
}

export async function startEmbeddedServer(
  options: Record<string, unknown> = {},
): Promise<LocalServerHandle> {
  const { startLocalFalServer } = await import("../local/fal/index.js");
  const server = await startLocalFalServer({ host: "127.0.0.1", port: 0, ...options } as Parameters<
    typeof startLocalFalServer
  >[0]);
  return server;
}

export async function resolveBackend(options: ResolveBackendOptions = {}): Promise<Backend> {
  const env = options.env ?? process.env;
  const choice = options.choice ?? "auto";
  const key = options.key ?? (env.FAL_KEY && env.FAL_KEY.trim() !== "" ? env.FAL_KEY : undefined);
  const baseUrl =
    options.baseUrl ??
    (env.FAL_BASE_URL && env.FAL_BASE_URL.trim() !== "" ? env.FAL_BASE_URL : undefined);
  const noop = async (): Promise<void> => undefined;

  if (choice === "fal") {
    if (!key)
      throw new UsageError(
        "--backend fal needs a fal API key: set the FAL_KEY environment variable.",
      );
    return { kind: baseUrl ? "server" : "fal", baseUrl, key, notice: undefined, close: noop };
  }
  if (choice === "auto" && baseUrl) {
    return {
      kind: "server",
      baseUrl,
      key,
      notice: `Using the fal-compatible server at ${baseUrl}`,
      close: noop,
    };
  }
  if (choice === "auto" && key) {
    return { kind: "fal", baseUrl: undefined, key, notice: undefined, close: noop };
  }
  const server = await startEmbeddedServer(options.local);
  const notice = key
    ? `Using the embedded local fal server at ${server.url} (preview renderer, not a model)`
    : localServerNotice(server.url);
  // The embedded server needs no key: "" (not undefined) stops the service from falling back to
  // $FAL_KEY.
  return { kind: "local", baseUrl: server.url, key: "", notice, close: () => server.close() };
}
