// Transport message frames: application messages to and from the client (Pipecat's
// InputTransportMessageFrame and OutputTransportMessage(Urgent)Frame). RTVI rides on them.
import { DataFrame, SystemFrame } from "./base.js";

/** A message the client sent (already parsed from JSON). */
export class InputTransportMessageFrame extends SystemFrame {
  constructor(readonly message: unknown) {
    super();
  }
}

/** A message for the client, sent in order with audio (after the audio queued before it). */
export class OutputTransportMessageFrame extends DataFrame {
  constructor(readonly message: unknown) {
    super();
  }
}

/** A message for the client, sent at once, ahead of queued audio. */
export class OutputTransportMessageUrgentFrame extends SystemFrame {
  constructor(readonly message: unknown) {
    super();
  }
}
