// What every local twin's server shares: an app of the server kit on a node:http port, behind the
// Host/Origin guard (src/server/host-guard.ts). The policy is checked before anything listens (a
// SettingsValidationError naming allowedHosts when the address is reachable from other machines
// without an allow-list) and refuses every request until the port is known.
import { urlHost } from "../../server/host-guard.js";
import type { Server } from "node:http";
import type { App } from "../../server/app.js";
import { type HostPolicy, createHostPolicy, isLoopbackAddress } from "../../server/host-guard.js";
import { type NodeServerOptions, createNodeServer } from "../../server/node.js";

/** Where a twin listens and whom it answers. */
export interface TwinListenOptions {
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

/** An app that guards itself with a Host/Origin policy and can be stopped. */
export interface GuardedApp extends Pick<App, "fetch"> {
  setHostPolicy(policy: HostPolicy | undefined): void;
  /** Refuses new requests and ends the work in flight. */
  stop(): void;
  /** stop(), then frees what the app holds. */
  close(): Promise<void>;
}

/** A twin's server once it listens. */
export interface ListeningTwin {
  /** http://host:port as reached from this machine (127.0.0.1 for a wildcard address). */
  url: string;
  /** The address it listens on, as given (e.g. "127.0.0.1", "0.0.0.0"). */
  host: string;
  port: number;
  /** False when it listens beyond loopback: anyone who can reach the port can use it. */
  loopbackOnly: boolean;
  /** Stops the app's work, drops every connection, then closes the app. Idempotent. */
  close(): Promise<void>;
}

export interface TwinServer {
  /** The underlying node:http server (not listening until listen()). */
  httpServer: Server;
  listen(): Promise<ListeningTwin>;
}

/** What node:http answers to a request it refuses (unparsable, too slow, head too large). */
export type ClientErrorAnswer = NonNullable<NodeServerOptions["clientError"]>;

/**
 * A client-error answer in a twin's JSON error shape: `shape(message)` is the body.
 *
 * @example
 * ```ts
 * const clientError = jsonClientError((message) => ({ detail: message }));
 * clientError(400, "Bad Request"); // { contentType: "application/json", body: '{"detail":"Bad Request"}' }
 * ```
 */
export function jsonClientError(shape: (message: string) => unknown): ClientErrorAnswer {
  return function jsonClientError(_status, message) {
    return { contentType: "application/json", body: JSON.stringify(shape(message)) };
  };
}

export { urlHost } from "../../server/host-guard.js";

/**
 * Puts a guarded app on a port. Throws a SettingsValidationError (field `allowedHosts` or
 * `allowedOrigins`) at once when the options cannot make a policy.
 */
export function createTwinServer(
  app: GuardedApp,
  options: TwinListenOptions & Pick<NodeServerOptions, "clientError" | "log">,
): TwinServer {
  const host = options.host ?? "127.0.0.1";
  const policyFor = (port: number) =>
    createHostPolicy({
      bindAddress: host,
      port,
      ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
      ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
    });
  // Checked before anything starts; until the port is known, this policy (port 0) refuses all.
  try {
    app.setHostPolicy(policyFor(0));
  } catch (error) {
    void app.close();
    throw error;
  }
  const node = createNodeServer(app, {
    ...(options.clientError ? { clientError: options.clientError } : {}),
    ...(options.log ? { log: options.log } : {}),
  });

  return {
    httpServer: node.httpServer,
    async listen() {
      const address = await node.listen(options.port ?? 0, host);
      app.setHostPolicy(policyFor(address.port));
      let closePromise: Promise<void> | undefined;
      return {
        url: `http://${urlHost(host)}:${address.port}`,
        host,
        port: address.port,
        loopbackOnly: isLoopbackAddress(host),
        close: () => {
          // Stop the work first (streams end, jobs stop), then drop the connections.
          closePromise ??= (async () => {
            app.stop();
            await node.close();
            await app.close();
          })();
          return closePromise;
        },
      };
    },
  };
}
