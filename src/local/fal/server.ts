// The local fal-compatible HTTP server: the local fal app (app.ts) on a node:http port through the
// server kit's adapter. It speaks fal's queue, run, storage and CDN protocol on 127.0.0.1 so that
// fal client code runs offline and deterministically; images come from the preview renderer.
import type { Server } from "node:http";
import { createHostPolicy, isLoopbackAddress } from "../../server/host-guard.js";
import { createNodeServer } from "../../server/node.js";
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

export interface LocalFalServerOptions extends Omit<LocalFalAppOptions, "hostPolicy"> {
  /** Interface to listen on; default "127.0.0.1". */
  host?: string;
  /** Port; default 0 = any free port. */
  port?: number;
  /**
   * Host names (without port) the server answers besides 127.0.0.1, localhost and [::1], e.g.
   * ["my-box.local", "192.168.1.5"], or ["*"] for any. Required when `host` is not loopback
   * (anyone who can reach the port can use the server). Requests under any other name are 403.
   */
  allowedHosts?: string[];
  /**
   * Origins of pages elsewhere that may call the server from a browser, e.g.
   * ["http://localhost:3000"]. Other pages get 403.
   */
  allowedOrigins?: string[];
}

export interface LocalFalServer extends LocalFalControls {
  /**
   * Base URL, e.g. http://127.0.0.1:43123 (no trailing slash): publicUrl when given, else the
   * server's address as reached from this machine (127.0.0.1 for a wildcard address).
   */
  url: string;
  /** The address it listens on, as given (e.g. "127.0.0.1", "0.0.0.0"). */
  host: string;
  port: number;
  /** False when it listens beyond loopback: anyone who can reach the port can use it. */
  loopbackOnly: boolean;
  /**
   * Ends open streams, hung requests, jobs and webhooks in flight, drops every connection and
   * forgets the files. Idempotent; the process can exit afterwards.
   */
  close(): Promise<void>;
}

export interface LocalFalServerHandle {
  /** The underlying node:http server (not listening until listen()). */
  httpServer: Server;
  listen(): Promise<LocalFalServer>;
  /** The app behind the server: it also answers `app.request(path)` without a socket. */
  app: LocalFalApp;
}

/** What node:http answers to a request it refuses (unparsable, too slow, head too large), in fal's error shape. */
function clientError(_status: number, message: string): { contentType: string; body: string } {
  return { contentType: "application/json", body: JSON.stringify({ detail: message }) };
}

/** The host to put in URLs for a listening address (a wildcard address is reached on loopback). */
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

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
  const host = options.host ?? "127.0.0.1";
  const log = localFalLog(options.logger);
  const policyFor = (port: number) =>
    createHostPolicy({
      bindAddress: host,
      port,
      ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
      ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    });
  // Checked before anything starts (a SettingsValidationError naming allowedHosts); until the
  // port is known, this policy (port 0) refuses every request.
  const app = createLocalFalApp({ ...options, hostPolicy: policyFor(0) });
  const node = createNodeServer(app, { clientError, log });

  const listen = async (): Promise<LocalFalServer> => {
    const address = await node.listen(options.port ?? 0, host);
    app.setHostPolicy(policyFor(address.port));
    const origin = `http://${urlHost(host)}:${address.port}`;
    app.setOrigin(origin);
    log(
      `listening on ${host.includes(":") ? `[${host}]` : host}:${address.port} (workers=${app.stats().workers}, inferenceMs=${options.inferenceMs ?? 0})`,
    );
    let closePromise: Promise<void> | undefined;
    return {
      url: app.url,
      host,
      port: address.port,
      loopbackOnly: isLoopbackAddress(host),
      setFaults: (rules) => app.setFaults(rules),
      stats: () => app.stats(),
      requests: () => app.requests(),
      clearRequests: () => app.clearRequests(),
      close: () => {
        // Stop the work first (streams end, jobs stop, webhooks abort), then drop the
        // connections, then forget the files.
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
