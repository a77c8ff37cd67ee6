// The calendar bot: Pipecat's example 04 (04-sync-speech-and-image) live. When the client says it
// is ready (bot-ready has been sent), it narrates the months: per month an LLM writes one sentence,
// fal draws it and a TTS speaks it, in the example's SyncParallelPipeline (src/app/calendar.ts).
// Its processors, between the session's RTVIProcessor and transport.output():
//
//   ErrorTap (the months are fed here; ErrorFrames stop here)
//   → [llm, SentenceAggregator, SyncParallelPipeline([fal, MarkImageForPlaybackSync],
//                                                   [MonthPrepender, tts])]
//   → ClientMessenger (labels each image with its month)
//
// The images are marked syncWithAudio, so the output transport releases each one after the audio
// queued before it has been played: the client gets a month's image message just before that
// month's first audio chunk (the transport's imageToMessage publishes it and builds the message).
// The sentences reach the client as bot-tts-text (the RTVIObserver, in step with the audio) and
// the speech as paced 24 kHz s16le mono audio, the rate the client's player plays.
import { describeFailure } from "../app/describe-failure.js";
import {
  buildCalendarPipeline,
  calendarFrames,
  calendarMonths,
  createCalendarServices,
  MonthFrame,
} from "../app/calendar.js";
import type { ServiceBackend } from "../app/service-backends.js";
import type { Frame } from "../frames/base.js";
import type { ErrorFrame } from "../frames/error.js";
import { type OutputImageRawFrame, URLImageRawFrame } from "../frames/image.js";
import { OutputTransportMessageFrame } from "../frames/transport.js";
import { FrameDirection } from "../processors/direction.js";
import { ErrorTap } from "../processors/error-tap.js";
import type { FrameProcessor } from "../processors/frame-processor.js";
import { rtviServerMessage } from "../processors/frameworks/rtvi/models.js";
import type { RTVIProcessor } from "../processors/frameworks/rtvi/processor.js";
import type { BotContext, LiveBot } from "./bot.js";
import { type CalendarImageMessage, publishImage } from "./messages.js";
import { ClientMessenger } from "./messenger.js";

/** Months narrated when the options do not say: the whole year. */
export const DEFAULT_CALENDAR_MONTHS = 12;

/** The rate the official client's player plays every audio chunk at (it ignores the frame's). */
export const CLIENT_PLAYER_SAMPLE_RATE = 24_000;

export interface CalendarBotOptions {
  /** Where each service goes (see resolveServiceBackends). */
  backends: { llm: ServiceBackend; tts: ServiceBackend; image: ServiceBackend };
  /** Months narrated, from January. Default 12 (1 to 12). */
  months?: number;
}

/** What the client is told when narration starts. */
export interface CalendarStartedMessage {
  type: "calendar-started";
  months: string[];
}

/** Sent in step with the audio: after the last month's speech has played. */
export interface CalendarFinishedMessage {
  type: "calendar-finished";
  months: number;
}

/** Where an image came from: put on the frame by the messenger, read by imageToMessage. */
interface MonthLabel {
  month: string;
  index: number;
}

export class CalendarBot implements LiveBot {
  readonly kind = "calendar" as const;
  readonly rtviOptions: LiveBot["rtviOptions"];
  readonly transportParams: LiveBot["transportParams"];
  readonly pipelineParams = { audioOutSampleRate: CLIENT_PLAYER_SAMPLE_RATE };
  readonly #context: BotContext;
  readonly #options: CalendarBotOptions;
  readonly #months: string[];
  readonly #head: ErrorTap;
  readonly #messenger: ClientMessenger;
  readonly #pipeline: FrameProcessor;
  readonly #labels = new WeakMap<OutputImageRawFrame, MonthLabel>();
  readonly #imageModel: string;
  #month: MonthLabel | undefined;
  #started = false;

  constructor(context: BotContext, options: CalendarBotOptions) {
    this.#context = context;
    this.#options = options;
    this.#months = calendarMonths(options.months ?? DEFAULT_CALENDAR_MONTHS);
    const services = createCalendarServices(options.backends, {
      sampleRate: CLIENT_PLAYER_SAMPLE_RATE,
    });
    this.#imageModel = String(services.imageGen.settings.model);
    this.#head = new ErrorTap((frame) => void this.#onError(frame), { name: "CalendarInput" });
    this.#messenger = new ClientMessenger({
      name: "CalendarOutput",
      secrets: context.secrets,
      watch: (frame, direction) => this.#watch(frame, direction),
    });
    this.#pipeline = buildCalendarPipeline({ ...services, output: [] });
    this.transportParams = {
      audioOutEnabled: true,
      audioOutSampleRate: CLIENT_PLAYER_SAMPLE_RATE,
      imageToMessage: (frame) => this.#imageMessage(frame),
    };
    this.rtviOptions = {
      sendText: () =>
        this.#messenger.error("The calendar bot narrates by itself: it takes no text."),
      about: {
        bot: "calendar",
        months: this.#months,
        backends: {
          llm: options.backends.llm.kind,
          tts: options.backends.tts.kind,
          image: options.backends.image.kind,
        },
      },
    };
  }

  processors(): FrameProcessor[] {
    return [this.#head, this.#pipeline, this.#messenger];
  }

  attach(rtvi: RTVIProcessor): void {
    rtvi.on("clientReady", () => this.narrate());
  }

  /** Starts narrating (once): the months' frames, then a message that follows the last speech. */
  async narrate(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#messenger.serverMessage({
      type: "calendar-started",
      months: this.#months,
    } satisfies CalendarStartedMessage);
    for (const frame of calendarFrames(this.#months))
      await this.#head.pushFrame(frame, FrameDirection.DOWNSTREAM);
    // A data frame: it passes the services and reaches the output behind the last month's audio.
    const finished: CalendarFinishedMessage = {
      type: "calendar-finished",
      months: this.#months.length,
    };
    await this.#head.pushFrame(
      new OutputTransportMessageFrame(rtviServerMessage(finished)),
      FrameDirection.DOWNSTREAM,
    );
  }

  /** MonthFrames come out of the image branch before their month's image: label the images. */
  #watch(frame: Frame, direction: FrameDirection): boolean {
    if (direction !== FrameDirection.DOWNSTREAM) return true;
    if (frame instanceof MonthFrame) {
      this.#month = { month: frame.month, index: this.#months.indexOf(frame.month) };
      return false;
    }
    if (frame instanceof URLImageRawFrame && this.#month !== undefined)
      this.#labels.set(frame, this.#month);
    return true;
  }

  /** Called by the output transport as the image's audio is about to start. */
  #imageMessage(frame: OutputImageRawFrame): unknown {
    if (!(frame instanceof URLImageRawFrame)) return undefined;
    const label = this.#labels.get(frame) ?? { month: "", index: -1 };
    const image = publishImage(this.#context.images, frame, {
      index: label.index,
      prompt: frame.prompt ?? "",
      model: this.#imageModel,
    });
    const message: CalendarImageMessage = { ...image, month: label.month };
    return rtviServerMessage(message);
  }

  async #onError(frame: ErrorFrame): Promise<void> {
    const image = this.#options.backends.image;
    const { message } =
      frame.prompt !== undefined
        ? describeFailure(frame, {
            model: this.#imageModel,
            baseUrl: image.baseUrl,
            key: image.apiKey,
          })
        : { message: frame.error };
    const month = this.#month?.month;
    await this.#messenger.error(month === undefined ? message : `${month}: ${message}`);
  }
}

/** A factory for the bot server: one CalendarBot per connection (options checked once, here). */
export function calendarBot(options: CalendarBotOptions): (context: BotContext) => CalendarBot {
  calendarMonths(options.months ?? DEFAULT_CALENDAR_MONTHS);
  return (context) => new CalendarBot(context, options);
}
