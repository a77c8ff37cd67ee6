// One connection of the bot server: a WebSocket, its own pipeline and its own images.
//
//   transport.input() → RTVIProcessor → ...bot.processors() → transport.output()
//
// with an RTVIObserver reporting what the pipeline does (bot-ready, speaking, bot-tts-text,
// metrics...). The client leaving (or a connection limit closing it) cancels the task, which
// aborts the bot's requests in flight (fal's queue requests are cancelled at fal); a client's
// disconnect-bot ends it gracefully. Every message sent passes through a serializer that removes
// the secrets, a last guard behind the bots' own care.
import type { Frame } from "../frames/base.js";
import {
  OutputTransportMessageFrame,
  OutputTransportMessageUrgentFrame,
} from "../frames/transport.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { PipelineRunner } from "../pipeline/runner.js";
import { PipelineTask } from "../pipeline/task.js";
import { RTVIObserver } from "../processors/frameworks/rtvi/observer.js";
import { RTVIProcessor, pipecatTsVersion } from "../processors/frameworks/rtvi/processor.js";
import type { DeserializeFailureHandler, FrameSerializer } from "../serializers/base-serializer.js";
import { ProtobufFrameSerializer } from "../serializers/protobuf.js";
import type { WebSocketLike, WebsocketConnectionLimits } from "../transports/websocket/client.js";
import { WebsocketTransport } from "../transports/websocket/transport.js";
import { describeError } from "../utils/errors.js";
import { logger } from "../utils/logger.js";
import { redactValue } from "../utils/secrets.js";
import type { BotFactory, LiveBot } from "./bot.js";
import type { ImageRegistry, SessionImageLimits, SessionImages } from "./images.js";

/** RTVI messages a session may have waiting to be handled; more are refused with an error-response. */
export const DEFAULT_SESSION_PENDING_MESSAGES = 32;

export interface BotSessionOptions {
  /** Makes this connection's bot. */
  bot: BotFactory;
  images: ImageRegistry;
  imageLimits?: SessionImageLimits;
  /** What the connection may cost (message size, rate, malformed messages, unsent bytes). */
  limits?: WebsocketConnectionLimits;
  /** RTVI messages waiting to be handled, at most. Default 32. */
  maxPendingMessages?: number;
  /** Strings that must never reach the client. */
  secrets: readonly (string | undefined)[];
  /** Names the connection in log lines. */
  label: string;
}

/** Removes secrets from every message before the wire format is written. */
class RedactingSerializer implements FrameSerializer {
  constructor(
    readonly inner: FrameSerializer,
    readonly secrets: readonly string[],
  ) {}

  serialize(frame: Frame): Uint8Array | undefined {
    if (frame instanceof OutputTransportMessageUrgentFrame)
      return this.inner.serialize(
        new OutputTransportMessageUrgentFrame(redactValue(frame.message, this.secrets)),
      );
    if (frame instanceof OutputTransportMessageFrame)
      return this.inner.serialize(
        new OutputTransportMessageFrame(redactValue(frame.message, this.secrets)),
      );
    return this.inner.serialize(frame);
  }

  deserialize(data: Uint8Array | string, onFailure?: DeserializeFailureHandler): Frame | undefined {
    return this.inner.deserialize(data, onFailure);
  }
}

/** The secrets given, once each (redactValue applies its own minimum length). */
function guarded(secrets: readonly (string | undefined)[]): string[] {
  return [...new Set(secrets.filter((s): s is string => typeof s === "string" && s !== ""))];
}

export class BotSession {
  readonly bot: LiveBot;
  readonly transport: WebsocketTransport;
  readonly rtvi: RTVIProcessor;
  readonly task: PipelineTask;
  readonly images: SessionImages;
  /** Settles once the pipeline has finished and everything the session held is freed. */
  readonly finished: Promise<void>;
  readonly #label: string;

  constructor(ws: WebSocketLike, options: BotSessionOptions) {
    this.#label = options.label;
    this.images = options.images.createSession(options.imageLimits);
    this.bot = options.bot({ images: this.images, secrets: options.secrets });
    const secrets = guarded(options.secrets);
    const wire = new ProtobufFrameSerializer();
    this.transport = new WebsocketTransport(ws, {
      label: options.label,
      params: {
        ...options.limits,
        ...this.bot.transportParams,
        serializer: secrets.length > 0 ? new RedactingSerializer(wire, secrets) : wire,
      },
    });
    this.rtvi = new RTVIProcessor({
      ...this.bot.rtviOptions,
      about: {
        library: "pipecat-ts",
        library_version: pipecatTsVersion(),
        ...this.bot.rtviOptions.about,
      },
      maxPendingMessages: options.maxPendingMessages ?? DEFAULT_SESSION_PENDING_MESSAGES,
      // A client request no bot answers gets an error-response, not a 10 s wait for a timeout.
      rejectUnhandledClientMessages: true,
    });
    this.bot.attach(this.rtvi);
    // Errors are the bots' to report (they know which scene or month failed, and say it safely).
    const observer = new RTVIObserver(this.rtvi, { errorsEnabled: false });
    this.task = new PipelineTask(
      new Pipeline([
        this.transport.input(),
        this.rtvi,
        ...this.bot.processors(),
        this.transport.output(),
      ]),
      { observers: [observer], params: this.bot.pipelineParams },
    );
    this.transport.on("clientDisconnected", () => {
      logger.debug(`${this.#label}: client left; cancelling its work`);
      void this.task.cancel("client disconnected");
    });
    this.finished = this.#run();
  }

  /** Cancels the session's work and closes its connection. */
  async close(): Promise<void> {
    await this.task.cancel("server closing");
    await this.finished;
  }

  async #run(): Promise<void> {
    try {
      await new PipelineRunner({ handleSigint: false }).run(this.task);
    } catch (error) {
      logger.error(`${this.#label}: pipeline failed: ${describeError(error)}`);
    } finally {
      this.transport.client.close(1000, "session over");
      try {
        await this.bot.close?.();
      } catch (error) {
        logger.error(`${this.#label}: closing the bot failed: ${describeError(error)}`);
      }
      this.images.close();
    }
  }
}
