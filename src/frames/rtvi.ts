// RTVI frames (Pipecat's processors/frameworks/rtvi/frames.py): a client's custom request, the
// server's answer to it, and a server message for the client. All are system frames: they travel
// at once, ahead of queued data. The RTVIProcessor and RTVIObserver turn them into RTVI messages.
import { SystemFrame } from "./base.js";

/**
 * A `client-message` request from the client (`client.sendClientRequest(t, d)` or
 * `client.sendClientMessage(t, d)`), pushed downstream by the RTVIProcessor when no handler of
 * its own answered it. Answer it with an RTVIServerResponseFrame.
 */
export class RTVIClientMessageFrame extends SystemFrame {
  constructor(
    /** The request's RTVI id; the answer must echo it exactly. */
    readonly msgId: string,
    /** The message type the client chose (`t`). */
    readonly type: string,
    /** The client's payload (`d`), as parsed JSON. */
    readonly data: unknown = undefined,
  ) {
    super();
  }

  override toString(): string {
    return `${this.name}(id: ${this.msgId}, type: ${JSON.stringify(this.type)})`;
  }
}

/**
 * The answer to an RTVIClientMessageFrame: a `server-response` with `data`, or an
 * `error-response` when `error` is set. Push it anywhere in the pipeline; the RTVIObserver sends
 * it.
 */
export class RTVIServerResponseFrame extends SystemFrame {
  constructor(
    readonly clientMessage: RTVIClientMessageFrame,
    readonly data: unknown = undefined,
    readonly error: string | undefined = undefined,
  ) {
    super();
  }
}

/**
 * Data for the client's `onServerMessage` callback (an RTVI `server-message`). Push it anywhere in
 * the pipeline; the RTVIObserver sends it at once. To send data in step with the audio (after the
 * audio queued before it has been played), push `new OutputTransportMessageFrame(
 * rtviServerMessage(data))` instead.
 */
export class RTVIServerMessageFrame extends SystemFrame {
  constructor(readonly data: unknown) {
    super();
  }
}
