// WebsocketServerTransport (Pipecat's WebsocketServerTransport, now called
// SingleClientWebsocketServerTransport): listens on host:port and serves one client at a time
// with one long-lived pipeline. A second client while one is connected is closed with 1013; once
// the first leaves, the next may connect. The server starts listening when the StartFrame reaches
// input(), and stops once the EndFrame has passed the input and the output has sent and played
// everything queued (or at once on a CancelFrame). Every upgrade and HTTP request goes through the
// Host/Origin policy (403); plain HTTP requests get 426.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { checkHostAndOrigin, createHostPolicy, exposureWarning } from "../../server/host-guard.js";
import { ProtobufFrameSerializer } from "../../serializers/protobuf.js";
import { describeError } from "../../utils/errors.js";
import { logger } from "../../utils/logger.js";
import { BaseTransport } from "../base-transport.js";
import type { OutputClock } from "../clock.js";
import { CloseCode, WebsocketClient, resolveWebsocketLimits } from "./client.js";
import { WebsocketInputTransport } from "./input.js";
import { WebsocketOutputTransport } from "./output.js";
import type { WebsocketTransportParams } from "./transport.js";
import { createWebsocketUpgradeHandler, type WebsocketUpgradeHandler } from "./upgrade.js";

/** Pipecat's defaults, but on loopback: a server of ours only listens beyond it when asked. */
export const DEFAULT_WEBSOCKET_SERVER_HOST = "127.0.0.1";
export const DEFAULT_WEBSOCKET_SERVER_PORT = 8765;

export interface WebsocketServerTransportOptions {
  /** Address to listen on. Default "127.0.0.1". */
  host?: string;
  /** Port to listen on; 0 picks a free one (see `port` after `websocketReady`). Default 8765. */
  port?: number;
  /** Host names accepted besides loopback; required when `host` is not loopback. */
  allowedHosts?: readonly string[];
  /** Only this path is upgraded (e.g. "/ws"). Default: any path. */
  path?: string;
  params?: WebsocketTransportParams;
  name?: string;
  inputName?: string;
  outputName?: string;
  clock?: OutputClock;
}

export interface WebsocketServerTransportEvents {
  /** The server listens; `port` is the actual port. */
  websocketReady: [transport: WebsocketServerTransport, address: { host: string; port: number }];
  clientConnected: [transport: WebsocketServerTransport, client: WebsocketClient];
  /** The current client left (closed by it, the network, or a limit). */
  clientDisconnected: [transport: WebsocketServerTransport, client: WebsocketClient];
  sessionTimeout: [transport: WebsocketServerTransport, client: WebsocketClient];
}

/**
 * A WebSocket server for one client at a time, in front of one pipeline.
 *
 * @example
 * ```ts
 * const transport = new WebsocketServerTransport({ port: 8765, params: { audioOutEnabled: true } });
 * const rtvi = new RTVIProcessor();
 * const task = new PipelineTask(new Pipeline([transport.input(), rtvi, bot, transport.output()]), {
 *   observers: [new RTVIObserver(rtvi)],
 * });
 * transport.on("websocketReady", (_t, { port }) => console.log(`ws://127.0.0.1:${port}`));
 * await new PipelineRunner().run(task);
 * ```
 */
export class WebsocketServerTransport extends BaseTransport<WebsocketServerTransportEvents> {
  readonly #options: WebsocketServerTransportOptions;
  readonly #params: WebsocketTransportParams;
  readonly #input: WebsocketInputTransport;
  readonly #output: WebsocketOutputTransport;
  #server: Server | undefined;
  #upgrade: WebsocketUpgradeHandler | undefined;
  #port = 0;
  #client: WebsocketClient | undefined;
  #clients = 0;
  #holds = 0;
  #sessionTimer: NodeJS.Timeout | undefined;

  constructor(options: WebsocketServerTransportOptions = {}) {
    super(options.name);
    this.#options = options;
    this.#params = options.params ?? {};
    resolveWebsocketLimits(this.#params);
    const serializer = this.#params.serializer ?? new ProtobufFrameSerializer();
    this.#input = new WebsocketInputTransport(
      this.#params,
      serializer,
      {
        started: () => this.#startServer(),
        stopped: () => this.#release(),
        cancelled: () => this.#shutdown(),
      },
      { name: options.inputName ?? `${this.name}::input` },
    );
    this.#output = new WebsocketOutputTransport(this.#params, serializer, {
      name: options.outputName ?? `${this.name}::output`,
      clock: options.clock,
      imageToMessage: this.#params.imageToMessage,
      hooks: { stopped: () => this.#release(), cancelled: () => this.#shutdown() },
    });
  }

  input(): WebsocketInputTransport {
    return this.#input;
  }

  output(): WebsocketOutputTransport {
    return this.#output;
  }

  /** The port listened on (0 before `websocketReady`). */
  get port(): number {
    return this.#port;
  }

  /** The connected client, if any. */
  get client(): WebsocketClient | undefined {
    return this.#client;
  }

  async #startServer(): Promise<void> {
    if (this.#server !== undefined) return;
    const host = this.#options.host ?? DEFAULT_WEBSOCKET_SERVER_HOST;
    const server = createServer();
    this.#server = server;
    this.#holds = 2;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#options.port ?? DEFAULT_WEBSOCKET_SERVER_PORT, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
    const policy = createHostPolicy({
      bindAddress: host,
      port: this.#port,
      allowedHosts: this.#options.allowedHosts,
    });
    if (!policy.loopbackOnly) logger.warn(exposureWarning(host, this.#port, "this bot"));
    server.on("error", (error) => logger.error(`${this.name}: ${describeError(error)}`));
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      const verdict = checkHostAndOrigin(policy, {
        host: request.headers.host,
        origin: request.headers.origin,
      });
      const [status, body] = verdict.ok
        ? [426, "This server speaks WebSocket only.\n"]
        : [verdict.status, `${verdict.reason}\n`];
      response.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
      response.end(body);
    });
    this.#upgrade = createWebsocketUpgradeHandler(
      {
        policy,
        path: this.#options.path,
        maxMessageBytes: this.#params.maxMessageBytes,
        name: this.name,
      },
      (ws, request) => {
        const label = `${this.name} client#${++this.#clients} ${request.socket.remoteAddress ?? "?"}`;
        if (this.#client?.isOpen) {
          logger.warn(`${label}: refused: a client is already connected`);
          ws.on("error", () => undefined);
          ws.close(CloseCode.TRY_AGAIN_LATER, "Server already has a connected client");
          return;
        }
        this.#attach(
          new WebsocketClient(ws, { ...this.#params, label, clock: this.#options.clock }),
        );
      },
    );
    server.on("upgrade", this.#upgrade);
    logger.info(`${this.name}: listening on ${host}:${this.#port}`);
    await this.emit("websocketReady", this, { host, port: this.#port });
  }

  #attach(client: WebsocketClient): void {
    this.#client = client;
    this.#input.setClient(client);
    this.#output.setClient(client);
    client.onClose(() => {
      if (this.#client !== client) return;
      this.#client = undefined;
      this.#input.setClient(undefined);
      this.#output.setClient(undefined);
      this.#clearSessionTimer();
      void this.emit("clientDisconnected", this, client);
    });
    const secs = this.#params.sessionTimeoutSecs;
    if (secs !== undefined && secs > 0) {
      this.#sessionTimer = setTimeout(() => {
        if (client.isOpen) void this.emit("sessionTimeout", this, client);
      }, secs * 1000);
      this.#sessionTimer.unref?.();
    }
    void this.emit("clientConnected", this, client);
  }

  /** Input and output each hold the server; the last to let go closes it. */
  async #release(): Promise<void> {
    this.#holds -= 1;
    if (this.#holds > 0) return;
    await this.#shutdown();
  }

  async #shutdown(): Promise<void> {
    this.#holds = 0;
    this.#clearSessionTimer();
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    this.#upgrade?.close();
    this.#client?.close(CloseCode.NORMAL, "bot finished");
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    logger.info(`${this.name}: stopped listening`);
  }

  #clearSessionTimer(): void {
    if (this.#sessionTimer !== undefined) clearTimeout(this.#sessionTimer);
    this.#sessionTimer = undefined;
  }
}

export { WebsocketServerTransport as SingleClientWebsocketServerTransport };
