// ProtobufFrameSerializer (Pipecat's serializers/protobuf.py): Pipecat's frames.proto, the wire
// format of Pipecat's WebSocket transports and of @pipecat-ai/websocket-transport.
//
// The schema is proto/frames.proto, parsed once at run time by protobufjs (the file ships in the
// package). Out: OutputAudioRawFrame → `audio`, OutputTransportMessage(Urgent)Frame → `message`
// (JSON text), TextFrame → `text`, TranscriptionFrame → `transcription` (exact classes, as in
// Pipecat), InterruptionFrame → `interruption` only when asked (see `interruptions`). In: `audio` →
// InputAudioRawFrame, `message` → InputTransportMessageFrame (JSON-parsed), `text` → TextFrame,
// `transcription` → TranscriptionFrame, `interruption` → InterruptionFrame.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type protobuf from "protobufjs";
import {
  InputAudioRawFrame,
  OutputAudioRawFrame,
  PCM16_BYTES_PER_SAMPLE,
} from "../frames/audio.js";
import type { Frame } from "../frames/base.js";
import { InterruptionFrame } from "../frames/lifecycle.js";
import { TextFrame, TranscriptionFrame } from "../frames/text.js";
import {
  InputTransportMessageFrame,
  OutputTransportMessageFrame,
  OutputTransportMessageUrgentFrame,
} from "../frames/transport.js";
import { describeError } from "../utils/errors.js";
import { logger } from "../utils/logger.js";
import type {
  DeserializeFailure,
  DeserializeFailureHandler,
  FrameSerializer,
} from "./base-serializer.js";

/** Where the schema lives, from src/serializers/ and dist/serializers/ alike. */
const FRAMES_PROTO_URL = new URL("../../proto/frames.proto", import.meta.url);

/** Sample rates an inbound audio frame may claim (8 kHz telephony to 192 kHz studio). */
const MIN_SAMPLE_RATE = 8_000;
const MAX_SAMPLE_RATE = 192_000;
/** Channels an inbound audio frame may claim. */
const MAX_CHANNELS = 8;

export interface ProtobufFrameSerializerOptions {
  /**
   * Write an `interruption` frame (field 5) for every InterruptionFrame. Default false: Pipecat's
   * web client 1.7.1 has no field 5 and logs "Unknown frame kind" for each one, and it cannot
   * flush its player anyway (server-side pacing is what stops the speech). Turn it on for clients
   * that know the field (Pipecat's Python client, newer web clients).
   */
  interruptions?: boolean;
}

/** The decoded message types, looked up once. */
interface FramesSchema {
  frame: protobuf.Type;
}

let schema: FramesSchema | undefined;

/**
 * Parses proto/frames.proto on first use. Throws when the file is missing (a packaging bug).
 * protobufjs is loaded here too, not when the package is imported: image-only users never pay for
 * it.
 */
function framesSchema(): FramesSchema {
  if (schema !== undefined) return schema;
  const lib = createRequire(import.meta.url)("protobufjs") as typeof protobuf;
  let source: string;
  try {
    source = readFileSync(FRAMES_PROTO_URL, "utf8");
  } catch (error) {
    throw new Error(
      `ProtobufFrameSerializer: cannot read the frames schema at ${FRAMES_PROTO_URL.pathname}: ${describeError(error)}`,
    );
  }
  const root = lib.parse(source, { keepCase: true }).root;
  schema = { frame: root.lookupType("pipecat.Frame") };
  return schema;
}

/** uint64 fields decode as Long (or number); frames carry plain numbers. */
function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  const long = value as { toNumber?: () => number } | null | undefined;
  return typeof long?.toNumber === "function" ? long.toNumber() : 0;
}

/** The shape of the decoded oneof members (keepCase: the proto's own field names). */
interface DecodedFrame {
  text?: { text?: string };
  audio?: { audio?: Uint8Array; sample_rate?: number; num_channels?: number; pts?: unknown };
  transcription?: { text?: string; user_id?: string; timestamp?: string };
  message?: { data?: string };
  interruption?: Record<string, unknown>;
  /** The oneof's virtual field: which member is set. */
  frame?: string;
}

/**
 * Pipecat's protobuf wire format.
 *
 * @example
 * ```ts
 * const serializer = new ProtobufFrameSerializer();
 * const bytes = serializer.serialize(new OutputTransportMessageUrgentFrame(rtviMessage));
 * const frame = serializer.deserialize(bytes, (failure) => console.warn(failure.message));
 * ```
 */
export class ProtobufFrameSerializer implements FrameSerializer {
  readonly #frame: protobuf.Type;
  readonly #interruptions: boolean;

  constructor(options: ProtobufFrameSerializerOptions = {}) {
    this.#frame = framesSchema().frame;
    this.#interruptions = options.interruptions ?? false;
  }

  /** True when InterruptionFrames are written (see `interruptions`). */
  get writesInterruptions(): boolean {
    return this.#interruptions;
  }

  serialize(frame: Frame): Uint8Array | undefined {
    const message = this.#toMessage(frame);
    if (message === undefined) return undefined;
    return this.#frame.encode(message).finish();
  }

  #toMessage(frame: Frame): Record<string, unknown> | undefined {
    if (frame instanceof OutputAudioRawFrame) {
      const audio: Record<string, unknown> = {
        id: frame.id,
        name: frame.name,
        audio: frame.audio,
        sample_rate: frame.sampleRate,
        num_channels: frame.numChannels,
      };
      // Pipecat writes only truthy values; pts is proto3 `optional`, so 0 would be written.
      if (frame.pts !== undefined && frame.pts > 0) audio.pts = frame.pts;
      return { audio };
    }
    if (
      frame instanceof OutputTransportMessageFrame ||
      frame instanceof OutputTransportMessageUrgentFrame
    ) {
      let data: string | undefined;
      try {
        data = JSON.stringify(frame.message);
      } catch (error) {
        logger.warn(`ProtobufFrameSerializer: ${frame.name} is not JSON: ${describeError(error)}`);
        return undefined;
      }
      if (data === undefined) {
        logger.warn(`ProtobufFrameSerializer: ${frame.name} has no message to send`);
        return undefined;
      }
      return { message: { data } };
    }
    // Exact classes, as Pipecat's serializer: LLMTextFrame, TTSTextFrame... are not sent.
    if (frame.constructor === TextFrame) {
      const text = frame as TextFrame;
      return { text: { id: text.id, name: text.name, text: text.text } };
    }
    if (frame.constructor === TranscriptionFrame) {
      const t = frame as TranscriptionFrame;
      return {
        transcription: {
          id: t.id,
          name: t.name,
          text: t.text,
          user_id: t.userId,
          timestamp: t.timestamp,
        },
      };
    }
    if (frame instanceof InterruptionFrame && this.#interruptions) {
      return { interruption: { id: frame.id, name: frame.name } };
    }
    return undefined;
  }

  deserialize(data: Uint8Array | string, onFailure?: DeserializeFailureHandler): Frame | undefined {
    const fail = (failure: DeserializeFailure): undefined => {
      onFailure?.(failure);
      return undefined;
    };
    if (typeof data === "string") {
      return fail({
        kind: "text-message",
        message: "a text message where a binary protobuf frame was expected",
      });
    }
    let decoded: DecodedFrame;
    try {
      decoded = this.#frame.decode(data) as unknown as DecodedFrame;
    } catch (error) {
      return fail({
        kind: "malformed-protobuf",
        message: `not a pipecat.Frame (${data.byteLength} bytes): ${describeError(error)}`,
      });
    }
    switch (decoded.frame) {
      case "audio":
        return this.#audio(decoded.audio ?? {}, fail);
      case "message": {
        const text = decoded.message?.data ?? "";
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch (error) {
          return fail({
            kind: "malformed-json",
            message: `message.data is not JSON (${text.length} characters): ${describeError(error)}`,
          });
        }
        return new InputTransportMessageFrame(parsed);
      }
      case "text":
        return new TextFrame(decoded.text?.text ?? "");
      case "transcription": {
        const t = decoded.transcription ?? {};
        return new TranscriptionFrame(t.text ?? "", t.user_id ?? "", t.timestamp ?? "");
      }
      case "interruption":
        return new InterruptionFrame();
      default:
        return fail({ kind: "empty-frame", message: "a pipecat.Frame with no frame set" });
    }
  }

  #audio(
    audio: NonNullable<DecodedFrame["audio"]>,
    fail: (failure: DeserializeFailure) => undefined,
  ): Frame | undefined {
    const bytes = audio.audio ?? new Uint8Array(0);
    const sampleRate = audio.sample_rate ?? 0;
    const numChannels = audio.num_channels ?? 0;
    if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
      return fail({
        kind: "invalid-field",
        field: "audio.sample_rate",
        message: `audio.sample_rate ${sampleRate}: allowed ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE}`,
      });
    }
    if (numChannels < 1 || numChannels > MAX_CHANNELS) {
      return fail({
        kind: "invalid-field",
        field: "audio.num_channels",
        message: `audio.num_channels ${numChannels}: allowed 1–${MAX_CHANNELS}`,
      });
    }
    if (bytes.byteLength % (PCM16_BYTES_PER_SAMPLE * numChannels) !== 0) {
      return fail({
        kind: "invalid-field",
        field: "audio.audio",
        message: `audio.audio has ${bytes.byteLength} bytes: allowed a multiple of ${PCM16_BYTES_PER_SAMPLE * numChannels} (16-bit samples × ${numChannels} channel(s))`,
      });
    }
    const frame = new InputAudioRawFrame({ audio: bytes, sampleRate, numChannels });
    const pts = toNumber(audio.pts);
    if (pts > 0) frame.pts = pts;
    return frame;
  }
}
