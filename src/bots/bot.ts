// What a live bot is to the bot server: the processors it puts between the RTVIProcessor and the
// transport's output, what it needs of RTVI and of the transport, and the handlers it registers.
// One bot per connection; the session (session.ts) builds the pipeline around it:
//
//   transport.input() → RTVIProcessor → ...bot.processors() → transport.output()
import type { PipelineParams } from "../pipeline/task.js";
import type { FrameProcessor } from "../processors/frame-processor.js";
import type {
  RTVIProcessor,
  RTVIProcessorOptions,
} from "../processors/frameworks/rtvi/processor.js";
import type { WebsocketTransportParams } from "../transports/websocket/transport.js";
import type { SessionImages } from "./images.js";

/** The bots `pipecat-ts demo` serves. */
export type BotKind = "storyboard" | "calendar";
export const BOT_KINDS: readonly BotKind[] = ["storyboard", "calendar"];

export interface LiveBot {
  readonly kind: BotKind;
  /** Given to the session's RTVIProcessor (what send-text does; bot-ready's `about`). */
  readonly rtviOptions: Pick<RTVIProcessorOptions, "sendText" | "about">;
  /** What the bot needs of the transport (audio out, a message per output image). */
  readonly transportParams?: Pick<
    WebsocketTransportParams,
    "audioOutEnabled" | "audioOutSampleRate" | "imageToMessage"
  >;
  /** Given to the session's PipelineTask. */
  readonly pipelineParams?: PipelineParams;
  /** Placed between the RTVIProcessor and transport.output(), in this order. */
  processors(): FrameProcessor[];
  /** Registers client-message handlers and RTVI events; called once, before the pipeline runs. */
  attach(rtvi: RTVIProcessor): void;
  /** Called once the session's pipeline has finished (or was cancelled). */
  close?(): void | Promise<void>;
}

/** What a bot gets from the session that runs it. */
export interface BotContext {
  /** Where the bot publishes the images it shows (served at /images/<id>, freed with the session). */
  images: SessionImages;
  /** Strings that must never reach the client (keys), removed from everything sent. */
  secrets: readonly (string | undefined)[];
}

/** Makes one bot per connection. */
export type BotFactory = (context: BotContext) => LiveBot;
