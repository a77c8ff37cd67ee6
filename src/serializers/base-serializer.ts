// FrameSerializer: turns frames into transport payloads and back (Pipecat's
// serializers/base_serializer.py). Synchronous, unlike Pipecat's: the protobuf codec needs no I/O.
import type { Frame } from "../frames/base.js";

/** Why an inbound payload was not turned into a frame. */
export type DeserializeFailureKind =
  /** A WebSocket text message where the serializer expects binary. */
  | "text-message"
  /** The bytes are not a valid message of the schema. */
  | "malformed-protobuf"
  /** A valid message that carries no frame (no oneof member set, or an unknown one). */
  | "empty-frame"
  /** A `message` frame whose `data` is not JSON. */
  | "malformed-json"
  /** A frame with a field whose value cannot be used (e.g. sample_rate 0). */
  | "invalid-field";

/** A typed reason a payload was rejected: what transports log (never the payload itself). */
export interface DeserializeFailure {
  kind: DeserializeFailureKind;
  /** One line, safe to log: says what was wrong, never echoes the payload. */
  message: string;
  /** The offending field, for `invalid-field`. */
  field?: string;
}

/** Receives the reason when deserialize() returns undefined. */
export type DeserializeFailureHandler = (failure: DeserializeFailure) => void;

/**
 * Converts frames to wire payloads and back. Both methods never throw: a frame the serializer does
 * not carry gives `undefined` from serialize(), and a payload it cannot read gives `undefined`
 * from deserialize(), with the reason passed to `onFailure`.
 *
 * @example
 * ```ts
 * const bytes = serializer.serialize(new OutputTransportMessageUrgentFrame({ hello: 1 }));
 * const frame = serializer.deserialize(bytes, (failure) => log(failure.kind, failure.message));
 * ```
 */
export interface FrameSerializer {
  /** The payload for `frame`, or undefined when this serializer does not send such frames. */
  serialize(frame: Frame): Uint8Array | undefined;
  /** The frame a payload carries, or undefined (and `onFailure` called) when it carries none. */
  deserialize(data: Uint8Array | string, onFailure?: DeserializeFailureHandler): Frame | undefined;
}
