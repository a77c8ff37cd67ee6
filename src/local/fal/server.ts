// The local fal-compatible HTTP server: the local fal app (app.ts) on a node:http port through the
// server kit's adapter. It speaks fal's queue, run, storage and CDN protocol on 127.0.0.1 so that
// fal client code runs offline and deterministically; images come from the preview renderer.
import { controlsOf } from "../twin-kit/controls.js";
import {
  type ClientErrorAnswer,
  createTwinServer,
  jsonClientError,
  type ListeningTwin,
  type TwinListenOptions,
  type TwinServer,
} from "../twin-kit/server.js";
import {
  createLocalFalApp,
  localFalLog,
  type LocalFalApp,
  type LocalFalAppOptions,
  type LocalFalControls,
  type LocalFalStats,
  type RecordedRequest,
} from "./app.js";

export type { LocalFalStats, RecordedRequest };

export interface LocalFalServerOptions
  extends Omit<LocalFalAppOptions, "hostPolicy">,
    TwinListenOptions {}

export interface LocalFalServer extends LocalFalControls, ListeningTwin {
  /**
   * Base URL, e.g. http://127.0.0.1:43123 (no trailing slash): publicUrl when given, else the
   * server's address as reached from this machine (127.0.0.1 for a wildcard address).
   */
  url: string;
  /**
   * Ends open streams, hung requests, jobs and webhooks in flight, drops every connection and
   * forgets the files. Idempotent; the process can exit afterwards.
   */
  close(): Promise<void>;
}

export interface LocalFalServerHandle extends TwinServer {
  listen(): Promise<LocalFalServer>;
  /** The app behind the server: it also answers `app.request(path)` without a socket. */
  app: LocalFalApp;
}

/** What node:http answers to a request it refuses (unparsable, too slow, head too large), in fal's error shape. */
export const falClientError: ClientErrorAnswer = jsonClientError((message) => ({
  detail: message,
}));

/**
 * Creates a local fal server without starting it: `listen()` starts it.
 *
 * @example
 * ```ts
 * const handle = createLocalFalServer({ port: 8787, inferenceMs: 300 });
 * handle.httpServer.on("listening", () => console.log("ready"));
 * const server = await handle.listen();
 * console.log(server.url); // http://127.0.0.1:8787
 * await server.close();
 * ```
 */
export function createLocalFalServer(options: LocalFalServerOptions = {}): LocalFalServerHandle {
  const log = localFalLog(options.logger);
  const app = createLocalFalApp(options);
  const server = createTwinServer(app, { ...options, clientError: falClientError, log });

  const listen = async (): Promise<LocalFalServer> => {
    const twin = await server.listen();
    app.setOrigin(twin.url);
    const where = twin.host.includes(":") ? `[${twin.host}]` : twin.host;
    log(
      `listening on ${where}:${twin.port} (workers=${app.stats().workers}, inferenceMs=${options.inferenceMs ?? 0})`,
    );
    return {
      ...twin,
      url: app.url,
      ...controlsOf(app),
    };
  };

  return { httpServer: server.httpServer, listen, app };
}

/**
 * Starts a local fal server and resolves once it is listening.
 *
 * @example
 * ```ts
 * import { createFalClient } from "@fal-ai/client";
 * import { localFalFetch, startLocalFalServer } from "pipecat-ts/local-fal";
 *
 * const server = await startLocalFalServer({ inferenceMs: 300 });
 * const fal = createFalClient({ credentials: "any", fetch: localFalFetch(server.url) });
 * const { data } = await fal.run("fal-ai/flux/dev", { input: { prompt: "a lighthouse at dusk" } });
 * console.log(data.images[0].url); // http://127.0.0.1:…/files/….jpg
 * await server.close();
 * ```
 */
export async function startLocalFalServer(
  options: LocalFalServerOptions = {},
): Promise<LocalFalServer> {
  return createLocalFalServer(options).listen();
}
