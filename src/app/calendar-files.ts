// The calendar written to a folder: the output end of the calendar pipeline for a run without a
// transport (the original's `transport.output()`). Each image and the speech after it become a
// PNG and a WAV (24 kHz mono s16 as the TTS made it), written whole or not at all, as soon as the
// next image, month or the EndFrame shows they are complete; `writePage()` then writes
// index.html (calendar-page.ts).
//
// What reaches it, per month (SyncParallelPipeline with frameOrder "pipeline"):
//   MonthFrame, LLMFullResponseStartFrame, URLImageRawFrame (syncWithAudio), AggregatedTextFrame,
//   TTSStartedFrame, TTSAudioRawFrame..., TTSTextFrame ("January: ..."), TTSStoppedFrame,
//   LLMFullResponseEndFrame
// A reply of several sentences repeats the image-and-speech part: each is a part of the month.
import { randomBytes } from "node:crypto";
import { rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { concatBytes, pcm16DurationSeconds } from "../audio/pcm.js";
import { encodeWav } from "../audio/wav.js";
import { TTSAudioRawFrame } from "../frames/audio.js";
import type { Frame } from "../frames/base.js";
import { OutputImageRawFrame, URLImageRawFrame } from "../frames/image.js";
import { EndFrame } from "../frames/lifecycle.js";
import { TTSTextFrame } from "../frames/speech.js";
import { FrameDirection } from "../processors/direction.js";
import { FrameProcessor } from "../processors/frame-processor.js";
import { channelsForPixelFormat } from "../services/images/decode.js";
import { describeError } from "../utils/errors.js";
import { MonthFrame } from "./calendar.js";
import { type CalendarPageEntry, type CalendarPageOptions, calendarPage } from "./calendar-page.js";
import type { ServiceBackend, ServiceBackends } from "./service-backends.js";

/** The page's placeholder size for a part whose image is missing (fal's default square). */
const MISSING_IMAGE_SIZE_PX = 1024;

/** Longest month part of a file name, in characters. */
const MAX_SLUG_CHARS = 40;

/** One image and the speech after it, as written. */
export interface CalendarSegment {
  /** The month it belongs to (its MonthFrame's text). */
  month: string;
  /** 1 for the first MonthFrame, 2 for the next, ... */
  monthNumber: number;
  /** 1 for the month's first sentence, 2 for a second one, ... */
  part: number;
  image?: {
    file: string;
    width: number;
    height: number;
    /** The sentence the image was drawn from. */
    prompt: string | undefined;
    syncWithAudio: boolean;
  };
  audio?: { file: string; seconds: number; sampleRate: number };
  /** What the speech said (the TTSTextFrame), once it was spoken whole. */
  spoken?: string;
  /** Why a file is missing (a failed write, speech that never finished). */
  problems: string[];
}

export interface CalendarRecorderOptions {
  /** The folder the files go to; it must exist. */
  outDir: string;
  /** Called once a segment's files are written (or failed). */
  onSegment?: (segment: CalendarSegment) => void;
  /**
   * The month a frame announces, or undefined. Default: calendar.ts's MonthFrame; a program that
   * defines its own month frame (as the example does, like the original) says how to read it.
   */
  monthOf?: (frame: Frame) => string | undefined;
}

interface Pending {
  segment: CalendarSegment;
  image: OutputImageRawFrame | undefined;
  audio: Uint8Array[];
  sampleRate: number | undefined;
  /** The audio frames did not all have one rate: no WAV can hold them. */
  mixedRates: boolean;
}

/** The month as a file-name part: "January" → "january"; anything odd becomes dashes. */
export function monthSlug(month: string): string {
  const slug = month
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_SLUG_CHARS)
    .replace(/-+$/, "");
  return slug === "" ? "month" : slug;
}

/** Writes a file whole or not at all: to a temporary name beside it, then renamed over it. */
export async function writeFileWhole(path: string, bytes: Uint8Array | string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.partial`;
  try {
    await writeFile(temp, bytes, { flag: "wx" });
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** PNG bytes of an output image: its encoded file when that is a PNG, else re-encoded. */
async function pngOf(image: OutputImageRawFrame): Promise<Uint8Array> {
  if (image instanceof URLImageRawFrame && image.encoded) {
    if (image.mimeType === "image/png") return image.encoded;
    return new Uint8Array(await sharp(image.encoded).png().toBuffer());
  }
  const channels = channelsForPixelFormat(image.format);
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4)
    throw new Error(`cannot write pixels in the layout ${JSON.stringify(image.format)} as a PNG`);
  const raw = { width: image.size.width, height: image.size.height, channels } as const;
  return new Uint8Array(await sharp(image.image, { raw }).png().toBuffer());
}

export class CalendarRecorder extends FrameProcessor {
  readonly #outDir: string;
  readonly #onSegment: ((segment: CalendarSegment) => void) | undefined;
  readonly #monthOf: (frame: Frame) => string | undefined;
  readonly #segments: CalendarSegment[] = [];
  #month = "";
  #monthNumber = 0;
  #part = 0;
  #pending: Pending | undefined;

  constructor(options: CalendarRecorderOptions) {
    super({ name: "CalendarRecorder" });
    this.#outDir = options.outDir;
    this.#onSegment = options.onSegment;
    this.#monthOf =
      options.monthOf ?? ((frame) => (frame instanceof MonthFrame ? frame.month : undefined));
  }

  /** The segments written so far, in order. */
  get segments(): readonly CalendarSegment[] {
    return this.#segments;
  }

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    const month = direction === FrameDirection.DOWNSTREAM ? this.#monthOf(frame) : undefined;
    if (direction === FrameDirection.DOWNSTREAM) {
      if (month !== undefined) {
        await this.#finish();
        this.#month = month;
        this.#monthNumber += 1;
        this.#part = 0;
      } else if (frame instanceof OutputImageRawFrame) {
        await this.#finish();
        this.#open().image = frame;
      } else if (frame instanceof TTSAudioRawFrame) {
        const pending = this.#pending?.segment.spoken === undefined ? this.#pending : undefined;
        const target = pending ?? this.#open();
        target.audio.push(frame.audio);
        if (target.sampleRate !== undefined && target.sampleRate !== frame.sampleRate)
          target.mixedRates = true;
        target.sampleRate ??= frame.sampleRate;
      } else if (frame instanceof TTSTextFrame && this.#pending) {
        this.#pending.segment.spoken = frame.text;
      } else if (frame instanceof EndFrame) {
        await this.#finish();
      }
    }
    await this.pushFrame(frame, direction);
  }

  /**
   * Writes index.html for the segments written so far.
   *
   * @returns the page's path
   */
  async writePage(options: CalendarPageOptions = {}): Promise<string> {
    const entries: CalendarPageEntry[] = this.#segments.map((segment) => ({
      month: segment.month,
      part: segment.part,
      image: segment.image?.file,
      width: segment.image?.width ?? MISSING_IMAGE_SIZE_PX,
      height: segment.image?.height ?? MISSING_IMAGE_SIZE_PX,
      audio: segment.audio?.file,
      text: segment.spoken ?? segment.image?.prompt ?? "",
      seconds: segment.audio?.seconds ?? 0,
    }));
    const path = join(this.#outDir, "index.html");
    await writeFileWhole(path, calendarPage(entries, options));
    return path;
  }

  #open(): Pending {
    this.#part += 1;
    const segment: CalendarSegment = {
      month: this.#month,
      monthNumber: this.#monthNumber,
      part: this.#part,
      problems: [],
    };
    this.#pending = {
      segment,
      image: undefined,
      audio: [],
      sampleRate: undefined,
      mixedRates: false,
    };
    return this.#pending;
  }

  /** Writes the pending segment's files. */
  async #finish(): Promise<void> {
    const pending = this.#pending;
    this.#pending = undefined;
    if (!pending) return;
    const { segment } = pending;
    const stem = `${String(segment.monthNumber).padStart(2, "0")}-${monthSlug(segment.month)}${segment.part > 1 ? `-${segment.part}` : ""}`;
    if (pending.image) {
      const file = `${stem}.png`;
      try {
        await writeFileWhole(join(this.#outDir, file), await pngOf(pending.image));
        segment.image = {
          file,
          width: pending.image.size.width,
          height: pending.image.size.height,
          prompt: pending.image instanceof URLImageRawFrame ? pending.image.prompt : undefined,
          syncWithAudio: pending.image.syncWithAudio,
        };
      } catch (error) {
        segment.problems.push(`${file} was not written: ${describeError(error)}`);
      }
    } else {
      segment.problems.push("no image");
    }
    // The speech is written only when it was spoken whole (its TTSTextFrame came) at one rate.
    const sampleRate = pending.sampleRate;
    if (segment.spoken === undefined || sampleRate === undefined) {
      segment.problems.push(pending.audio.length > 0 ? "the speech did not finish" : "no speech");
    } else if (pending.mixedRates) {
      segment.problems.push("the speech changed its sample rate part-way");
    } else {
      const file = `${stem}.wav`;
      const pcm = concatBytes(pending.audio);
      try {
        await writeFileWhole(join(this.#outDir, file), encodeWav({ pcm, sampleRate }));
        segment.audio = {
          file,
          seconds: pcm16DurationSeconds(pcm.byteLength, sampleRate),
          sampleRate,
        };
      } catch (error) {
        segment.problems.push(`${file} was not written: ${describeError(error)}`);
      }
    }
    this.#segments.push(segment);
    this.#onSegment?.(segment);
  }
}

/** "espeak-ng 1.51" or "built-in formant synthesizer": the engine's line without its details. */
function speechEngineName(twins: ServiceBackends["twins"]): string {
  const line = twins?.cartesia.describe() ?? "speech: a speech engine";
  return line.replace(/^speech: /, "").replace(/\s*\(.*$/, "");
}

/** Lines for the page saying what made the words, the pictures and the voice. */
export function calendarCredits(
  backends: Pick<ServiceBackends, "llm" | "tts" | "image" | "twins">,
): string[] {
  const { llm, tts, image, twins } = backends;
  const where = (backend: ServiceBackend, provider: string, compatible: string): string =>
    backend.kind === "provider" ? provider : `the ${compatible} server at ${backend.baseUrl}`;
  return [
    `Words: ${llm.kind === "local" ? "the scripted LLM twin (not a model)" : where(llm, "OpenAI", "OpenAI-compatible")}`,
    `Pictures: ${image.kind === "local" ? "the local preview renderer (placeholders, not a model)" : where(image, "fal.ai", "fal-compatible")}`,
    `Voice: ${tts.kind === "local" ? `the local speech twin (${speechEngineName(twins)})` : where(tts, "Cartesia", "Cartesia-compatible")}`,
  ];
}
