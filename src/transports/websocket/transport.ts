// WebsocketTransport (Pipecat's FastAPIWebsocketTransport): one accepted WebSocket, one pipeline.
// The application accepts the upgrade (createWebsocketUpgradeHandler() applies the Host/Origin
// policy and the message size limit), wraps the socket, and builds a pipeline between input() and
// output(). The socket is read from the StartFrame on; it is closed (1000) once the EndFrame has
// passed the input and the output has sent and played everything queued, or at once on a
// CancelFrame.
import type { OutputClock } from "../clock.js";
import type { FrameSerializer } from "../../serializers/base-serializer.js";
import { ProtobufFrameSerializer } from "../../serializers/protobuf.js";
import { logger } from "../../utils/logger.js";
import { BaseTransport } from "../base-transport.js";
import type { TransportParams } from "../params.js";
import {
  CloseCode,
  WebsocketClient,
  type WebSocketLike,
  type WebsocketConnectionLimits,
} from "./client.js";
import { WebsocketInputTransport } from "./input.js";
import { type ImageToMessage, WebsocketOutputTransport } from "./output.js";

/** TransportParams plus what a WebSocket connection needs. */
export interface WebsocketTransportParams extends TransportParams, WebsocketConnectionLimits {
  /** The wire format. Default: a ProtobufFrameSerializer (Pipecat's web clients). */
  serializer?: FrameSerializer;
  /** Fire `sessionTimeout` this long after the client connected (Pipecat's session_timeout). */
  sessionTimeoutSecs?: number;
  /**
   * The message to send for each output image (see ImageToMessage); none by default. An image
   * with `syncWithAudio` is sent after the audio queued before it, so the client shows it as the
   * audio after it starts.
   *
   * @example
   * ```ts
   * imageToMessage: (frame) =>
   *   frame instanceof URLImageRawFrame
   *     ? rtviServerMessage({ type: "image", url: publish(frame), width: frame.size.width })
   *     : undefined,
   * ```
   */
  imageToMessage?: ImageToMessage;
}

/** Handler arguments of WebsocketTransport's events. */
export interface WebsocketTransportEvents {
  /** The pipeline started and the connection is being read. */
  clientConnected: [transport: WebsocketTransport, client: WebsocketClient];
  /**
   * The connection is gone: the client or the network closed it, or a limit did (flood, stalled
   * reader, oversize or malformed messages). Not fired when the pipeline's own EndFrame or
   * CancelFrame closed it. Cancel the session's task here.
   */
  clientDisconnected: [transport: WebsocketTransport, client: WebsocketClient];
  /** sessionTimeoutSecs passed since the client connected and it is still connected. */
  sessionTimeout: [transport: WebsocketTransport, client: WebsocketClient];
}

export interface WebsocketTransportOptions {
  params?: WebsocketTransportParams;
  name?: string;
  inputName?: string;
  outputName?: string;
  /** Names the connection in log lines (e.g. the client's address). Never put a token in it. */
  label?: string;
  /** The output's pacing clock (tests). */
  clock?: OutputClock;
}

/**
 * A pipecat-ts pipeline's end of one WebSocket, speaking Pipecat's protobuf frames: what
 * `@pipecat-ai/websocket-transport` connects to.
 *
 * @example
 * ```ts
 * const onUpgrade = createWebsocketUpgradeHandler({ policy, path: "/ws" }, (ws) => {
 *   const transport = new WebsocketTransport(ws, { params: { audioOutEnabled: true } });
 *   const rtvi = new RTVIProcessor();
 *   const task = new PipelineTask(
 *     new Pipeline([transport.input(), rtvi, myBot, transport.output()]),
 *     { observers: [new RTVIObserver(rtvi)] },
 *   );
 *   transport.on("clientDisconnected", () => task.cancel("client left"));
 *   void new PipelineRunner({ handleSigint: false }).run(task);
 * });
 * httpServer.on("upgrade", onUpgrade);
 * ```
 */
export class WebsocketTransport extends BaseTransport<WebsocketTransportEvents> {
  readonly client: WebsocketClient;
  readonly #input: WebsocketInputTransport;
  readonly #output: WebsocketOutputTransport;
  readonly #sessionTimeoutSecs: number | undefined;
  #holds = 2;
  /** The pipeline (EndFrame / CancelFrame) closed the socket, not the client or a limit. */
  #closedByPipeline = false;
  #sessionTimer: NodeJS.Timeout | undefined;

  constructor(websocket: WebSocketLike, options: WebsocketTransportOptions = {}) {
    super(options.name);
    const params = options.params ?? {};
    const serializer = params.serializer ?? new ProtobufFrameSerializer();
    this.#sessionTimeoutSecs = params.sessionTimeoutSecs;
    this.client = new WebsocketClient(websocket, {
      ...params,
      label: options.label ?? this.name,
      clock: options.clock,
    });
    this.#input = new WebsocketInputTransport(
      params,
      serializer,
      {
        started: () => this.#connected(),
        stopped: () => this.#release(),
        cancelled: () => this.#closeNow(),
      },
      { name: options.inputName ?? `${this.name}::input` },
    );
    this.#output = new WebsocketOutputTransport(params, serializer, {
      name: options.outputName ?? `${this.name}::output`,
      clock: options.clock,
      imageToMessage: params.imageToMessage,
      hooks: { stopped: () => this.#release(), cancelled: () => this.#closeNow() },
    });
    this.#input.setClient(this.client);
    this.#output.setClient(this.client);
    this.client.onClose(() => {
      this.#clearSessionTimer();
      if (!this.#closedByPipeline) void this.emit("clientDisconnected", this, this.client);
    });
  }

  input(): WebsocketInputTransport {
    return this.#input;
  }

  output(): WebsocketOutputTransport {
    return this.#output;
  }

  async #connected(): Promise<void> {
    const secs = this.#sessionTimeoutSecs;
    if (secs !== undefined && secs > 0) {
      this.#sessionTimer = setTimeout(() => {
        if (this.client.isOpen) void this.emit("sessionTimeout", this, this.client);
      }, secs * 1000);
      this.#sessionTimer.unref?.();
    }
    await this.emit("clientConnected", this, this.client);
  }

  /** Input and output each hold the socket; the last to let go closes it. */
  #release(): void {
    this.#holds -= 1;
    if (this.#holds > 0) return;
    this.#clearSessionTimer();
    this.#closedByPipeline = true;
    this.client.close(CloseCode.NORMAL, "bot finished");
  }

  #closeNow(): void {
    this.#holds = 0;
    this.#clearSessionTimer();
    if (this.client.isOpen) {
      logger.debug(`${this.name}: cancelled; closing the connection`);
      this.#closedByPipeline = true;
    }
    this.client.close(CloseCode.NORMAL, "bot cancelled");
  }

  #clearSessionTimer(): void {
    if (this.#sessionTimer !== undefined) clearTimeout(this.#sessionTimer);
    this.#sessionTimer = undefined;
  }
}
