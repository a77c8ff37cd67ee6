// The local Cartesia twin on a node:http port through the server kit's adapter: Cartesia's bytes
// and voices API on 127.0.0.1, so that Cartesia client code (Pipecat's service, the official SDK)
// runs offline. Its start-up line says which speech engine speaks.
import type { Server } from "node:http";
import { createNodeServer } from "../../server/node.js";
import {
  createLocalCartesiaApp,
  localCartesiaLog,
  type LocalCartesiaApp,
  type LocalCartesiaAppOptions,
  type LocalCartesiaControls,
  type LocalCartesiaStats,
  type RecordedRequest,
} from "./app.js";

export type { LocalCartesiaStats, RecordedRequest };

export interface LocalCartesiaServerOptions extends LocalCartesiaAppOptions {
  /** Interface to listen on; default "127.0.0.1". */
  host?: string;
  /** Port; default 0 = any free port. */
  port?: number;
}

export interface LocalCartesiaServer extends LocalCartesiaControls {
  /** Base URL, e.g. http://127.0.0.1:43123 (no trailing slash): CARTESIA_BASE_URL for clients. */
  url: string;
  port: number;
  /** Stops syntheses in flight, drops every connection. Idempotent. */
  close(): Promise<void>;
}

export interface LocalCartesiaServerHandle {
  /** The underlying node:http server (not listening until listen()). */
  httpServer: Server;
  /** Waits for the speech engine, then listens. */
  listen(): Promise<LocalCartesiaServer>;
  /** The app behind the server: it also answers `app.request(path)` without a socket. */
  app: LocalCartesiaApp;
}

/** What node:http answers to a request it cannot parse, in Cartesia's error shape. */
const BAD_REQUEST = {
  contentType: "application/json",
  body: '{"error_code":"invalid_request","title":"Bad request","message":"Bad Request","request_id":null}',
};

/** The host to put in URLs for a listening address (a wildcard address is reached on loopback). */
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Creates a local Cartesia twin without starting it: `listen()` starts it.
 *
 * @example
 * ```ts
 * const handle = createLocalCartesiaServer({ port: 8788, latencyMs: 150 });
 * const server = await handle.listen();
 * console.log(server.url, server.describe()); // http://127.0.0.1:8788 speech: espeak-ng …
 * await server.close();
 * ```
 */
export function createLocalCartesiaServer(
  options: LocalCartesiaServerOptions = {},
): LocalCartesiaServerHandle {
  const host = options.host ?? "127.0.0.1";
  const log = localCartesiaLog(options.logger);
  const app = createLocalCartesiaApp(options);
  const node = createNodeServer(app, { badRequest: BAD_REQUEST, log });

  const listen = async (): Promise<LocalCartesiaServer> => {
    const engine = await app.ready();
    const address = await node.listen(options.port ?? 0, host);
    const url = `http://${urlHost(host)}:${address.port}`;
    log(`listening on ${url} (${engine}; latencyMs=${options.latencyMs ?? 0})`);
    let closePromise: Promise<void> | undefined;
    return {
      url,
      port: address.port,
      setFaults: (rules) => app.setFaults(rules),
      stats: () => app.stats(),
      requests: () => app.requests(),
      clearRequests: () => app.clearRequests(),
      describe: () => app.describe(),
      close: () => {
        closePromise ??= (async () => {
          app.stop();
          await node.close();
          await app.close();
        })();
        return closePromise;
      },
    };
  };

  return { httpServer: node.httpServer, listen, app };
}

/**
 * Starts a local Cartesia twin and resolves once it is listening.
 *
 * @example
 * ```ts
 * import Cartesia from "@cartesia/cartesia-js";
 * import { startLocalCartesiaServer } from "pipecat-ts/local-cartesia";
 *
 * const server = await startLocalCartesiaServer();
 * const client = new Cartesia({ apiKey: "any", baseURL: server.url });
 * const response = await client.tts.generate({
 *   model_id: "sonic-3.5",
 *   transcript: "Hello from the twin.",
 *   voice: { mode: "id", id: "71a7ad14-091c-4e8e-a314-022ece01c121" },
 *   output_format: { container: "wav", encoding: "pcm_s16le", sample_rate: 24000 },
 * });
 * const wav = new Uint8Array(await response.arrayBuffer());
 * await server.close();
 * ```
 */
export async function startLocalCartesiaServer(
  options: LocalCartesiaServerOptions = {},
): Promise<LocalCartesiaServer> {
  return createLocalCartesiaServer(options).listen();
}
