// WebsocketOutputTransport: writes what BaseOutputTransport hands it to a WebsocketClient, through
// the serializer (Pipecat's websocket output transports). The pacing, ordering and interruption
// logic is BaseOutputTransport's; this adds backpressure (audio waits while the client is not
// reading) and, optionally, a message for each output image.
import type { OutputAudioRawFrame } from "../../frames/audio.js";
import type { Frame } from "../../frames/base.js";
import type { OutputImageRawFrame } from "../../frames/image.js";
import type { CancelFrame, EndFrame, InterruptionFrame } from "../../frames/lifecycle.js";
import {
  OutputTransportMessageUrgentFrame,
  type OutputTransportMessageFrame,
} from "../../frames/transport.js";
import type { FrameSerializer } from "../../serializers/base-serializer.js";
import { describeError } from "../../utils/errors.js";
import { logger } from "../../utils/logger.js";
import { BaseOutputTransport, type BaseOutputTransportOptions } from "../base-output.js";
import type { TransportParams } from "../params.js";
import type { WebsocketClient } from "./client.js";

/**
 * The message to send for an output image (an RTVI `server-message`, say), or undefined to send
 * nothing. Called when the image is handled: at once, or after the audio queued before it when
 * the frame has `syncWithAudio`.
 */
export type ImageToMessage = (frame: OutputImageRawFrame) => unknown;

export interface WebsocketOutputHooks {
  /** After EndFrame: everything queued was sent and played. */
  stopped?: () => Promise<void> | void;
  cancelled?: () => Promise<void> | void;
}

export class WebsocketOutputTransport extends BaseOutputTransport {
  readonly #serializer: FrameSerializer;
  readonly #hooks: WebsocketOutputHooks;
  readonly #imageToMessage: ImageToMessage | undefined;
  #client: WebsocketClient | undefined;

  constructor(
    params: TransportParams,
    serializer: FrameSerializer,
    options: BaseOutputTransportOptions & {
      hooks?: WebsocketOutputHooks;
      imageToMessage?: ImageToMessage;
    } = {},
  ) {
    super(params, options);
    this.#serializer = serializer;
    this.#hooks = options.hooks ?? {};
    this.#imageToMessage = options.imageToMessage;
  }

  /** The connection written to (none between clients of a server transport). */
  get client(): WebsocketClient | undefined {
    return this.#client;
  }

  /** Switches to another connection (or none: output is then dropped, as in Pipecat). */
  setClient(client: WebsocketClient | undefined): void {
    this.#client = client;
  }

  protected override async writeAudioFrame(
    frame: OutputAudioRawFrame,
    signal: AbortSignal,
  ): Promise<boolean> {
    const client = this.#client;
    if (client === undefined || !client.isOpen) return false;
    if (!(await client.waitWritable(signal))) return false;
    const payload = this.#serializer.serialize(frame);
    return payload !== undefined && client.send(payload);
  }

  protected override async sendMessage(
    frame: OutputTransportMessageFrame | OutputTransportMessageUrgentFrame,
  ): Promise<void> {
    this.#write(frame);
  }

  protected override async writeImageFrame(frame: OutputImageRawFrame): Promise<void> {
    if (this.#imageToMessage === undefined) return;
    let message: unknown;
    try {
      message = this.#imageToMessage(frame);
    } catch (error) {
      logger.error(`${this.name}: imageToMessage failed for ${frame}: ${describeError(error)}`);
      return;
    }
    if (message !== undefined) this.#write(new OutputTransportMessageUrgentFrame(message));
  }

  protected override async handleInterruption(frame: InterruptionFrame): Promise<void> {
    // The serializer decides whether the client hears about it (see ProtobufFrameSerializer).
    this.#write(frame);
  }

  protected override async stop(frame: EndFrame): Promise<void> {
    await super.stop(frame);
    await this.#hooks.stopped?.();
  }

  protected override async cancel(frame: CancelFrame): Promise<void> {
    await super.cancel(frame);
    await this.#hooks.cancelled?.();
  }

  #write(frame: Frame): void {
    const client = this.#client;
    if (client === undefined || !client.isOpen) {
      logger.debug(`${this.name}: no client; ${frame} not sent`);
      return;
    }
    const payload = this.#serializer.serialize(frame);
    if (payload !== undefined) client.send(payload);
  }
}
