// The calendar of Pipecat's examples/getting-started/04-sync-speech-and-image.py as reusable
// pieces, for every front end that runs it (the example's port in examples/, the live calendar
// bot): the months, the prompt, the example's frame and processors, its services (pointed where
// resolveServiceBackends() says), its pipeline and its frames.
//
//   [llm, SentenceAggregator,
//    SyncParallelPipeline([imageGen, MarkImageForPlaybackSync], [MonthPrepender, tts],
//                         { frameOrder: "pipeline" }),
//    output]
//
// Per month the frames are a MonthFrame and an LLMContextFrame asking for one sentence. The LLM's
// reply becomes one sentence (SentenceAggregator); the SyncParallelPipeline sends it to both
// branches and releases the image branch's output before the speech branch's, so each image
// reaches the output just before the audio it goes with. MonthPrepender makes the speech say
// "January: <sentence>"; MarkImageForPlaybackSync asks the output to show the image when the
// audio queued before it has played.
//
// One sentence per reply is what the prompt asks for, not what the pipeline enforces: a reply of
// two sentences becomes two batches (two images, and two utterances of which only the first
// names the month), exactly as in Pipecat.
import type { Frame } from "../frames/base.js";
import { DataFrame } from "../frames/base.js";
import { OutputImageRawFrame } from "../frames/image.js";
import { LLMContext, LLMContextFrame, LLMFullResponseStartFrame } from "../frames/llm.js";
import { TextFrame } from "../frames/text.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { FrameOrder, SyncParallelPipeline } from "../pipeline/sync-parallel-pipeline.js";
import { SentenceAggregator } from "../processors/aggregators/sentence-aggregator.js";
import type { FrameDirection } from "../processors/direction.js";
import { FrameProcessor } from "../processors/frame-processor.js";
import {
  CARTESIA_EXAMPLE_VOICE_ID,
  type CartesiaSampleRate,
} from "../services/cartesia/settings.js";
import { CartesiaHttpTTSService } from "../services/cartesia/tts.js";
import { FalImageGenService } from "../services/fal/image.js";
import type { ImageSize } from "../services/image-size.js";
import { OpenAILLMService } from "../services/openai/llm.js";
import { TextAggregationMode, TTSService } from "../services/tts-service.js";
import { SettingsValidationError } from "../utils/errors.js";
import { MONTH_NAMES } from "../utils/months.js";
import type { ServiceBackend } from "./service-backends.js";

/** The months, in calendar order, as the original lists them. */
export const CALENDAR_MONTHS = MONTH_NAMES;

export type CalendarMonth = (typeof CALENDAR_MONTHS)[number];

/** What MonthPrepender holds before any MonthFrame arrived (the original's placeholder). */
export const MONTH_PLACEHOLDER = "Placeholder, month frame not yet received";

/** The original's prompt for one month, word for word. */
export function calendarPrompt(month: string): string {
  return `Describe a nature photograph suitable for use in a calendar, for the month of ${month}. Include only the image description with no preamble. Limit the description to one sentence, please.`;
}

/**
 * The first `count` months (1 to 12), January first. A SettingsValidationError naming `field`
 * for anything else.
 */
export function calendarMonths(count: number = CALENDAR_MONTHS.length, field = "months") {
  if (!Number.isInteger(count) || count < 1 || count > CALENDAR_MONTHS.length)
    throw new SettingsValidationError(
      field,
      count,
      `a whole number of months from 1 to ${CALENDAR_MONTHS.length}`,
    );
  return CALENDAR_MONTHS.slice(0, count) as CalendarMonth[];
}

/** Says which month the next LLM reply is about (the original's MonthFrame). */
export class MonthFrame extends DataFrame {
  constructor(readonly month: string) {
    super();
  }

  override toString(): string {
    return `${this.name}(month: ${this.month})`;
  }
}

/** Marks output image frames to be shown in sync with audio playback (Pipecat's semantics). */
export class MarkImageForPlaybackSync extends FrameProcessor {
  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof OutputImageRawFrame) frame.syncWithAudio = true;
    await this.pushFrame(frame, direction);
  }
}

/**
 * Prefixes the first text of each LLM reply with the month of the latest MonthFrame, so the
 * speech says "January: ...". MonthFrames themselves stop here, as in the original.
 */
export class MonthPrepender extends FrameProcessor {
  mostRecentMonth = MONTH_PLACEHOLDER;
  prependToNextTextFrame = false;

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof MonthFrame) {
      this.mostRecentMonth = frame.month;
    } else if (this.prependToNextTextFrame && frame instanceof TextFrame) {
      await this.pushFrame(new TextFrame(`${this.mostRecentMonth}: ${frame.text}`));
      this.prependToNextTextFrame = false;
    } else if (frame instanceof LLMFullResponseStartFrame) {
      this.prependToNextTextFrame = true;
      await this.pushFrame(frame);
    } else {
      await this.pushFrame(frame, direction);
    }
  }
}

/** The services and the output of the calendar pipeline. */
export interface CalendarPipelineParts {
  /** Answers each LLMContextFrame with a streamed reply (OpenAILLMService in the original). */
  llm: FrameProcessor;
  /** Turns each sentence into an image (FalImageGenService in the original). */
  imageGen: FrameProcessor;
  /**
   * Speaks each "Month: sentence" (CartesiaHttpTTSService in the original). A TTSService must use
   * textAggregationMode "token": the sentences arrive whole, and a service waiting for the next
   * sentence to confirm the end of this one would push its audio into the next batch.
   */
  tts: FrameProcessor;
  /** Where the pipeline's output goes (a transport's output, a recorder, ...), in order. */
  output: FrameProcessor | readonly FrameProcessor[];
}

/**
 * The original's pipeline: `[llm, SentenceAggregator, SyncParallelPipeline([imageGen,
 * MarkImageForPlaybackSync], [MonthPrepender, tts], { frameOrder: "pipeline" }), ...output]`.
 * A SettingsValidationError naming `textAggregationMode` when the TTS would cut sentences itself.
 *
 * @example
 * ```ts
 * const pipeline = buildCalendarPipeline({ llm, imageGen, tts, output: transport.output() });
 * const task = new PipelineTask(pipeline);
 * await task.queueFrames([...calendarFrames(calendarMonths(12)), new EndFrame()]);
 * await new PipelineRunner().run(task);
 * ```
 */
export function buildCalendarPipeline(parts: CalendarPipelineParts): Pipeline {
  if (
    parts.tts instanceof TTSService &&
    parts.tts.textAggregationMode !== TextAggregationMode.TOKEN
  )
    throw new SettingsValidationError(
      "textAggregationMode",
      parts.tts.textAggregationMode,
      `"${TextAggregationMode.TOKEN}": the calendar's sentences arrive whole, and sentence aggregation would hold each one until the next batch`,
    );
  const output = Array.isArray(parts.output) ? parts.output : [parts.output as FrameProcessor];
  return new Pipeline([
    parts.llm,
    new SentenceAggregator(),
    new SyncParallelPipeline(
      [parts.imageGen, new MarkImageForPlaybackSync()],
      [new MonthPrepender(), parts.tts],
      { frameOrder: FrameOrder.PIPELINE },
    ),
    ...output,
  ]);
}

export interface CalendarServiceOptions {
  /** The speech's rate, in Hz. Default: the pipeline's output rate (24000 unless set). */
  sampleRate?: CartesiaSampleRate;
  /** The images' size. Default "square_hd" (1024 x 1024), as in the original. */
  imageSize?: ImageSize;
}

/** The calendar's three services. */
export interface CalendarServices {
  llm: OpenAILLMService;
  tts: CartesiaHttpTTSService;
  imageGen: FalImageGenService;
}

/**
 * The original's services, pointed where the backends say (see resolveServiceBackends): OpenAI's
 * LLM with its defaults, Cartesia's "British Reading Lady" speaking each sentence as it comes
 * (textAggregationMode "token"), fal's images at "square_hd".
 */
export function createCalendarServices(
  backends: { llm: ServiceBackend; tts: ServiceBackend; image: ServiceBackend },
  options: CalendarServiceOptions = {},
): CalendarServices {
  return {
    llm: new OpenAILLMService({ apiKey: backends.llm.apiKey, baseUrl: backends.llm.baseUrl }),
    tts: new CartesiaHttpTTSService({
      apiKey: backends.tts.apiKey,
      baseUrl: backends.tts.baseUrl,
      settings: new CartesiaHttpTTSService.Settings({ voice: CARTESIA_EXAMPLE_VOICE_ID }),
      textAggregationMode: TextAggregationMode.TOKEN,
      ...(options.sampleRate !== undefined ? { sampleRate: options.sampleRate } : {}),
    }),
    imageGen: new FalImageGenService({
      key: backends.image.apiKey,
      baseUrl: backends.image.baseUrl,
      settings: new FalImageGenService.Settings({ imageSize: options.imageSize ?? "square_hd" }),
    }),
  };
}

/** Per month, a MonthFrame and an LLMContextFrame with the month's prompt, in order. */
export function calendarFrames(months: readonly string[]): Frame[] {
  return months.flatMap((month) => [
    new MonthFrame(month),
    new LLMContextFrame(new LLMContext([{ role: "user", content: calendarPrompt(month) }])),
  ]);
}
