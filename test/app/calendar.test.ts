// The calendar pieces (src/app/calendar.ts): the original's prompt and processors, and its whole
// pipeline against the three local twins: per month one image, marked for playback sync, that
// leaves before the month's audio; and what a reply of two sentences does (as in Pipecat).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CALENDAR_MONTHS,
  MONTH_PLACEHOLDER,
  MarkImageForPlaybackSync,
  MonthFrame,
  MonthPrepender,
  buildCalendarPipeline,
  calendarFrames,
  calendarMonths,
  calendarPrompt,
  createCalendarServices,
} from "../../src/app/calendar.js";
import { type ServiceBackends, resolveServiceBackends } from "../../src/app/service-backends.js";
import { TTSAudioRawFrame } from "../../src/frames/audio.js";
import type { Frame } from "../../src/frames/base.js";
import type { ErrorFrame } from "../../src/frames/error.js";
import { OutputImageRawFrame, URLImageRawFrame } from "../../src/frames/image.js";
import { EndFrame } from "../../src/frames/lifecycle.js";
import {
  LLMContextFrame,
  LLMFullResponseEndFrame,
  LLMFullResponseStartFrame,
} from "../../src/frames/llm.js";
import { TTSTextFrame } from "../../src/frames/speech.js";
import { LLMTextFrame, TextFrame } from "../../src/frames/text.js";
import type { LocalServers } from "../../src/local/servers.js";
import { scriptedReply } from "../../src/local/openai/scripted-llm.js";
import { splitIntoTokens } from "../../src/local/openai/tokens.js";
import { PipelineRunner } from "../../src/pipeline/runner.js";
import { SentenceAggregator } from "../../src/processors/aggregators/sentence-aggregator.js";
import { PipelineTask } from "../../src/pipeline/task.js";
import { FrameDirection } from "../../src/processors/direction.js";
import { FrameProcessor } from "../../src/processors/frame-processor.js";
import { CartesiaHttpTTSService } from "../../src/services/cartesia/tts.js";
import { SettingsValidationError } from "../../src/utils/errors.js";
import { runTest } from "../helpers/run-test.js";
import { CaptureProcessor, silenceLogs } from "../helpers/test-processors.js";

/** The prompt of examples/getting-started/04-sync-speech-and-image.py, for May. */
const ORIGINAL_MAY_PROMPT =
  "Describe a nature photograph suitable for use in a calendar, for the month of May. Include only the image description with no preamble. Limit the description to one sentence, please.";

describe("calendar pieces", () => {
  it("the prompt is the original's, word for word; the months are in calendar order", () => {
    expect(calendarPrompt("May")).toBe(ORIGINAL_MAY_PROMPT);
    expect(CALENDAR_MONTHS).toHaveLength(12);
    expect(CALENDAR_MONTHS[0]).toBe("January");
    expect(CALENDAR_MONTHS[11]).toBe("December");
    expect(calendarMonths(3)).toEqual(["January", "February", "March"]);
    expect(calendarMonths()).toEqual([...CALENDAR_MONTHS]);
  });

  it("calendarMonths refuses counts outside 1-12 with an error naming the field", () => {
    for (const bad of [0, 13, 2.5, Number.NaN]) {
      expect(() => calendarMonths(bad, "--months")).toThrow(SettingsValidationError);
    }
    expect(() => calendarMonths(13, "--months")).toThrow(/--months.*13.*from 1 to 12/);
  });

  it("calendarFrames: per month a MonthFrame, then an LLMContextFrame with one user message", () => {
    const frames = calendarFrames(["January", "February"]);
    expect(frames.map((f) => f.constructor.name)).toEqual([
      "MonthFrame",
      "LLMContextFrame",
      "MonthFrame",
      "LLMContextFrame",
    ]);
    expect((frames[2] as MonthFrame).month).toBe("February");
    expect((frames[3] as LLMContextFrame).context.getMessages()).toEqual([
      { role: "user", content: calendarPrompt("February") },
    ]);
    expect(String(frames[0])).toMatch(/^MonthFrame#\d+\(month: January\)$/);
  });

  it("MonthPrepender: the first text after LLMFullResponseStartFrame names the month; MonthFrames stop there", async () => {
    const prepender = new MonthPrepender();
    expect(prepender.mostRecentMonth).toBe(MONTH_PLACEHOLDER);
    const { down } = await runTest(prepender, {
      framesToSend: [
        new TextFrame("before any reply"),
        new MonthFrame("March"),
        new LLMFullResponseStartFrame(),
        new TextFrame("Frost on the ferns."),
        new TextFrame("A second sentence."),
        new LLMFullResponseEndFrame(),
      ],
    });
    const texts = down.filter((f) => f instanceof TextFrame).map((f) => (f as TextFrame).text);
    expect(texts).toEqual(["before any reply", "March: Frost on the ferns.", "A second sentence."]);
    expect(down.some((f) => f instanceof MonthFrame)).toBe(false);
  });

  it("MarkImageForPlaybackSync sets syncWithAudio on output images and passes everything on", async () => {
    const image = new OutputImageRawFrame({
      image: new Uint8Array(3),
      size: { width: 1, height: 1 },
      format: "RGB",
    });
    const { down } = await runTest(new MarkImageForPlaybackSync(), {
      framesToSend: [new TextFrame("x"), image],
    });
    expect(down).toHaveLength(2);
    expect(down[1]).toBe(image);
    expect(image.syncWithAudio).toBe(true);
  });

  it("the scripted LLM twin's reply is one sentence for the SentenceAggregator, every month, over 100 seeds", async () => {
    const frames: Frame[] = [];
    const expected: string[] = [];
    for (const month of CALENDAR_MONTHS) {
      for (let seed = 0; seed < 100; seed++) {
        const { text } = scriptedReply([{ role: "user", content: calendarPrompt(month) }], seed);
        expected.push(text);
        // Streamed as the twin streams it: token-sized deltas.
        frames.push(new LLMFullResponseStartFrame());
        for (const token of splitIntoTokens(text)) frames.push(new LLMTextFrame(token));
        frames.push(new LLMFullResponseEndFrame());
      }
    }
    const { down } = await runTest(new SentenceAggregator(), { framesToSend: frames });
    const sentences = down
      .filter((f) => f.constructor === TextFrame)
      .map((f) => (f as TextFrame).text);
    expect(sentences).toEqual(expected);
  });

  it("buildCalendarPipeline refuses a TTS that would aggregate sentences itself", () => {
    const tts = new CartesiaHttpTTSService({
      apiKey: "unused",
      baseUrl: "http://127.0.0.1:9",
      settings: new CartesiaHttpTTSService.Settings({ voice: "v" }),
    });
    const parts = {
      llm: new FrameProcessor(),
      imageGen: new FrameProcessor(),
      tts,
      output: new FrameProcessor(),
    };
    expect(() => buildCalendarPipeline(parts)).toThrow(SettingsValidationError);
    expect(() => buildCalendarPipeline(parts)).toThrow(/textAggregationMode.*"sentence".*"token"/);
  });
});

/** One month's output, as the pipeline's last processor saw it. */
interface Segment {
  month: string;
  images: URLImageRawFrame[];
  spoken: string[];
  audioBytes: number;
  /** Kinds in arrival order: "image" and "audio" (consecutive audio frames folded into one). */
  order: string[];
}

/** Groups what reaches the output by the MonthFrame before it. */
function segments(frames: Frame[]): Segment[] {
  const out: Segment[] = [];
  for (const frame of frames) {
    if (frame instanceof MonthFrame) {
      out.push({ month: frame.month, images: [], spoken: [], audioBytes: 0, order: [] });
      continue;
    }
    const current = out.at(-1);
    if (!current) continue;
    if (frame instanceof URLImageRawFrame) {
      current.images.push(frame);
      current.order.push("image");
    } else if (frame instanceof TTSAudioRawFrame) {
      current.audioBytes += frame.audio.byteLength;
      if (current.order.at(-1) !== "audio") current.order.push("audio");
    } else if (frame instanceof TTSTextFrame) {
      current.spoken.push(frame.text);
    }
  }
  return out;
}

async function runCalendar(
  llm: FrameProcessor,
  imageGen: FrameProcessor,
  tts: FrameProcessor,
  months: readonly string[],
) {
  const capture = new CaptureProcessor();
  const task = new PipelineTask(buildCalendarPipeline({ llm, imageGen, tts, output: capture }));
  const errors: ErrorFrame[] = [];
  task.on("pipelineError", (_task, frame) => errors.push(frame));
  await task.queueFrames([...calendarFrames(months), new EndFrame()]);
  await new PipelineRunner({ handleSigint: false }).run(task);
  const down = capture.seen
    .filter((s) => s.direction === FrameDirection.DOWNSTREAM)
    .map((s) => s.frame);
  return { down, errors };
}

describe("the calendar pipeline on the local twins", () => {
  let backends: ServiceBackends;
  let twins: LocalServers;
  let restoreLogs: () => void;
  beforeAll(async () => {
    restoreLogs = silenceLogs();
    backends = await resolveServiceBackends({
      env: {},
      local: { cartesia: { engine: "builtin" } },
    });
    twins = backends.twins as LocalServers;
  });
  afterAll(async () => {
    await backends?.close();
    restoreLogs();
  });

  // Smaller images than the original's square_hd keep the test quick; nothing else changes.
  const services = () => createCalendarServices(backends, { imageSize: "square" });

  it("12 months: one sentence each, its image (marked for sync) before its audio, in month order", async () => {
    const { llm, imageGen, tts } = services();
    // The twins serve every test in this file, in any order (the other test synthesizes too):
    // count what this run adds.
    const completionsBefore = twins.openai.stats().completions;
    const synthesesBefore = twins.cartesia.stats().syntheses;
    twins.openai.clearRequests();
    const { down, errors } = await runCalendar(llm, imageGen, tts, CALENDAR_MONTHS);
    expect(errors).toEqual([]);
    const months = segments(down);
    expect(months.map((m) => m.month)).toEqual([...CALENDAR_MONTHS]);
    for (const month of months) {
      expect(month.images, month.month).toHaveLength(1);
      expect(month.images[0]?.syncWithAudio).toBe(true);
      expect(month.order, month.month).toEqual(["image", "audio"]);
      expect(month.audioBytes).toBeGreaterThan(24_000 * 2); // over a second at 24 kHz s16
      expect(month.spoken).toHaveLength(1);
      const [name, sentence] = (month.spoken[0] as string).split(/: (.*)/s);
      expect(name).toBe(month.month);
      // The image was drawn from the same sentence that was spoken after the month's name.
      expect(month.images[0]?.prompt).toBe(sentence);
      expect(sentence).toMatch(/^[A-Z].*[.!]$/);
    }
    // Every request the twins saw was the example's: twelve prompts, twelve images, twelve syntheses.
    expect(twins.openai.stats().completions - completionsBefore).toBe(12);
    expect(twins.openai.requests().map((r) => (r.body as any).messages[0].content)).toEqual(
      CALENDAR_MONTHS.map(calendarPrompt),
    );
    expect(twins.cartesia.stats().syntheses - synthesesBefore).toBe(12);
  }, 60_000);

  it("a reply of two sentences gives two images and two utterances, only the first naming the month (as in Pipecat)", async () => {
    /** An LLM that answers every context with two sentences, streamed word by word. */
    class TwoSentenceLLM extends FrameProcessor {
      override async processFrame(frame: Frame, direction: FrameDirection, signal: AbortSignal) {
        await super.processFrame(frame, direction, signal);
        if (!(frame instanceof LLMContextFrame)) return this.pushFrame(frame, direction);
        await this.pushFrame(new LLMFullResponseStartFrame());
        for (const word of "Snow on pines. A fox crosses the frozen lake.".split(/(?<= )/))
          await this.pushFrame(new LLMTextFrame(word));
        await this.pushFrame(new LLMFullResponseEndFrame());
      }
    }
    const { imageGen, tts } = services();
    const { down, errors } = await runCalendar(new TwoSentenceLLM(), imageGen, tts, ["January"]);
    expect(errors).toEqual([]);
    const [month] = segments(down);
    expect(month?.images.map((i) => i.prompt)).toEqual([
      "Snow on pines.",
      "A fox crosses the frozen lake.",
    ]);
    expect(month?.spoken).toEqual(["January: Snow on pines.", "A fox crosses the frozen lake."]);
    // Each image still leaves before the audio of its own sentence.
    expect(month?.order).toEqual(["image", "audio", "image", "audio"]);
  }, 30_000);
});
