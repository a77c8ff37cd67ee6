// WebsocketInputTransport: reads a WebsocketClient, turns each payload into a frame with the
// serializer and pushes it (Pipecat's websocket input transports). Client audio goes through
// pushAudioFrame() (dropped unless audioInEnabled); a `message` becomes an
// InputTransportMessageFrame for the RTVIProcessor; anything else is pushed as it is. Payloads the
// serializer rejects are reported to the client object, which logs them and closes the connection
// when they keep coming.
import { InputAudioRawFrame } from "../../frames/audio.js";
import type { Frame } from "../../frames/base.js";
import type { CancelFrame, EndFrame, StartFrame } from "../../frames/lifecycle.js";
import type { FrameProcessorOptions } from "../../processors/frame-processor.js";
import type { FrameSerializer } from "../../serializers/base-serializer.js";
import { BaseInputTransport } from "../base-input.js";
import type { TransportParams } from "../params.js";
import type { WebsocketClient } from "./client.js";

/** What the owning transport wants to hear about. */
export interface WebsocketInputHooks {
  started?: () => Promise<void> | void;
  stopped?: () => Promise<void> | void;
  cancelled?: () => Promise<void> | void;
}

export class WebsocketInputTransport extends BaseInputTransport {
  readonly #serializer: FrameSerializer;
  readonly #hooks: WebsocketInputHooks;
  #client: WebsocketClient | undefined;
  #receiving = false;
  /** Pushes run one after another, so frames keep the order their messages arrived in. */
  #pushes: Promise<void> = Promise.resolve();

  constructor(
    params: TransportParams,
    serializer: FrameSerializer,
    hooks: WebsocketInputHooks = {},
    options: FrameProcessorOptions = {},
  ) {
    super(params, options);
    this.#serializer = serializer;
    this.#hooks = hooks;
  }

  /** The connection read from (none between clients of a server transport). */
  get client(): WebsocketClient | undefined {
    return this.#client;
  }

  /** Switches to another connection (or none); reads it at once if the pipeline has started. */
  setClient(client: WebsocketClient | undefined): void {
    if (this.#client === client) return;
    this.#client?.stopReading();
    this.#client = client;
    if (client !== undefined && this.#receiving) this.#read(client);
  }

  protected override async start(frame: StartFrame): Promise<void> {
    await super.start(frame);
    this.#receiving = true;
    if (this.#client !== undefined) this.#read(this.#client);
    await this.#hooks.started?.();
  }

  protected override async stop(frame: EndFrame): Promise<void> {
    await super.stop(frame);
    this.#receiving = false;
    this.#client?.stopReading();
    await this.#hooks.stopped?.();
  }

  protected override async cancel(frame: CancelFrame): Promise<void> {
    await super.cancel(frame);
    this.#receiving = false;
    this.#client?.stopReading();
    await this.#hooks.cancelled?.();
  }

  #read(client: WebsocketClient): void {
    client.startReading((data) => {
      const frame = this.#serializer.deserialize(data, (failure) =>
        client.reportMalformed(failure),
      );
      if (frame !== undefined) this.#push(frame);
    });
  }

  #push(frame: Frame): void {
    this.#pushes = this.#pushes.then(() =>
      frame instanceof InputAudioRawFrame
        ? this.pushAudioFrame(frame)
        : this.pushReceivedFrame(frame),
    );
  }
}
