// The local Cartesia twin on a node:http port through the server kit's adapter: Cartesia's bytes
// and voices API on 127.0.0.1, so that Cartesia client code (Pipecat's service, the official SDK)
// runs offline. Its start-up line says which speech engine speaks.
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
  createLocalCartesiaApp,
  localCartesiaLog,
  type LocalCartesiaApp,
  type LocalCartesiaAppOptions,
  type LocalCartesiaControls,
  type LocalCartesiaStats,
  type RecordedRequest,
} from "./app.js";

export type { LocalCartesiaStats, RecordedRequest };

export interface LocalCartesiaServerOptions
  extends Omit<LocalCartesiaAppOptions, "hostPolicy">,
    TwinListenOptions {}

export interface LocalCartesiaServer extends LocalCartesiaControls, ListeningTwin {
  /** Base URL, e.g. http://127.0.0.1:43123 (no trailing slash): CARTESIA_BASE_URL for clients. */
  url: string;
  /** Stops syntheses in flight, drops every connection. Idempotent. */
  close(): Promise<void>;
}

export interface LocalCartesiaServerHandle extends TwinServer {
  /** Waits for the speech engine, then listens. */
  listen(): Promise<LocalCartesiaServer>;
  /** The app behind the server: it also answers `app.request(path)` without a socket. */
  app: LocalCartesiaApp;
}

/** What node:http answers to a request it refuses (unparsable, too slow, head too large), in Cartesia's error shape. */
export const cartesiaClientError: ClientErrorAnswer = jsonClientError((message) => ({
  error_code: "invalid_request",
  title: message,
  message,
  request_id: null,
}));

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
  const log = localCartesiaLog(options.logger);
  const app = createLocalCartesiaApp(options);
  const server = createTwinServer(app, { ...options, clientError: cartesiaClientError, log });

  const listen = async (): Promise<LocalCartesiaServer> => {
    const engine = await app.ready();
    const twin = await server.listen();
    log(`listening on ${twin.url} (${engine}; latencyMs=${options.latencyMs ?? 0})`);
    return {
      ...twin,
      ...controlsOf(app),
      describe: () => app.describe(),
    };
  };

  return { httpServer: server.httpServer, listen, app };
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
