// ClientMessenger: a bot's last processor before transport.output(). What the bot tells the client
// (RTVI server-messages and non-fatal errors) leaves from here, so it keeps the order the bot said
// it in and is sent at once (urgent transport messages); frames passing through can be watched or
// kept back. Text for the client goes through safeText(): no key, no query string of a URL.
import type { Frame } from "../frames/base.js";
import { OutputTransportMessageUrgentFrame } from "../frames/transport.js";
import { FrameDirection } from "../processors/direction.js";
import { FrameProcessor, type FrameProcessorOptions } from "../processors/frame-processor.js";
import { rtviError, rtviServerMessage } from "../processors/frameworks/rtvi/models.js";
import { redactText } from "../utils/secrets.js";

/** Looks at a frame going by (the next frame waits for it); false keeps the frame from going on. */
export type FrameWatch = (frame: Frame, direction: FrameDirection) => boolean | Promise<boolean>;

export interface ClientMessengerOptions extends FrameProcessorOptions {
  /** Strings that must never reach the client. */
  secrets: readonly (string | undefined)[];
  watch?: FrameWatch;
}

/**
 * A line fit for the client: secrets removed, and any URL cut before its query string (fal's file
 * URLs can carry tokens).
 */
export function safeText(text: string, secrets: readonly (string | undefined)[]): string {
  return redactText(text, secrets).replace(/(https?:\/\/[^\s?"']+)\?[^\s"']*/g, "$1");
}

export class ClientMessenger extends FrameProcessor {
  readonly #secrets: readonly (string | undefined)[];
  readonly #watch: FrameWatch | undefined;

  constructor(options: ClientMessengerOptions) {
    super({ ...options, name: options.name ?? "ClientMessenger" });
    this.#secrets = options.secrets;
    this.#watch = options.watch;
  }

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (this.#watch !== undefined && !(await this.#watch(frame, direction))) return;
    await this.pushFrame(frame, direction);
  }

  /** Sends an RTVI `server-message` (the client's onServerMessage) with `data`. */
  async serverMessage(data: unknown): Promise<void> {
    await this.pushFrame(
      new OutputTransportMessageUrgentFrame(rtviServerMessage(data)),
      FrameDirection.DOWNSTREAM,
    );
  }

  /** Sends an RTVI `error` (fatal false: the client stays connected), made safe first. */
  async error(text: string): Promise<void> {
    await this.pushFrame(
      new OutputTransportMessageUrgentFrame(rtviError(this.safe(text), false)),
      FrameDirection.DOWNSTREAM,
    );
  }

  /** `text` made fit for the client (see safeText). */
  safe(text: string): string {
    return safeText(text, this.#secrets);
  }
}
