// SentenceAggregator as a processor in a running pipeline. The first case ports Pipecat's
// tests/test_aggregators.py TestSentenceAggregator.test_sentence_aggregator; the rest cover the
// frame behaviour this port adds (flush at the end of an LLM reply, clear on interruption).
import { describe, expect, it } from "vitest";
import { InterruptionFrame } from "../../../src/frames/lifecycle.js";
import { LLMFullResponseEndFrame, LLMFullResponseStartFrame } from "../../../src/frames/llm.js";
import {
  InterimTranscriptionFrame,
  LLMTextFrame,
  TextFrame,
  TranscriptionFrame,
} from "../../../src/frames/text.js";
import { SentenceAggregator } from "../../../src/processors/aggregators/sentence-aggregator.js";
import type { Frame } from "../../../src/frames/base.js";
import { SleepFrame, runTest } from "../../helpers/run-test.js";

const textsOf = (frames: Frame[]): string[] =>
  frames.filter((f): f is TextFrame => f instanceof TextFrame).map((f) => f.text);

describe("SentenceAggregator (Pipecat tests/test_aggregators.py)", () => {
  it("test_sentence_aggregator", async () => {
    const sentence = "Hello, world. How are you? I am fine!";
    const { down } = await runTest(new SentenceAggregator(), {
      framesToSend: sentence.split(" ").map((word) => new TextFrame(`${word} `)),
      expectedDownFrames: [TextFrame, TextFrame, TextFrame],
    });
    // Pipecat expects "Hello, world. ", "How are you? ", "I am fine! ": its standalone aggregator
    // pushes its buffer as it is. Ours strips surrounding spaces, as Pipecat's TTS aggregator does.
    expect(textsOf(down)).toEqual(["Hello, world.", "How are you?", "I am fine!"]);
  });
});

describe("SentenceAggregator: frames", () => {
  it("turns an LLM reply's tokens into plain TextFrames, one per sentence, flushed at its end", async () => {
    const tokens = ["Snow", " covers", " Mt.", " Hood", " at", " 6", " a.m.", " It", " glows", "."];
    const { down } = await runTest(new SentenceAggregator(), {
      framesToSend: [
        new LLMFullResponseStartFrame(),
        ...tokens.map((t) => new LLMTextFrame(t)),
        new LLMFullResponseEndFrame(),
      ],
      expectedDownFrames: [
        LLMFullResponseStartFrame,
        TextFrame,
        TextFrame,
        LLMFullResponseEndFrame,
      ],
    });
    expect(textsOf(down)).toEqual(["Snow covers Mt. Hood at 6 a.m.", "It glows."]);
    // Plain TextFrames, as Pipecat's SentenceAggregator pushes, not LLMTextFrames.
    for (const frame of down.slice(1, 3)) expect(frame.constructor).toBe(TextFrame);
  });

  it("never lets one reply's unfinished text leak into the next", async () => {
    const { down } = await runTest(new SentenceAggregator(), {
      framesToSend: [
        new LLMFullResponseStartFrame(),
        new LLMTextFrame("January: a frozen lake"),
        new LLMFullResponseEndFrame(),
        new LLMFullResponseStartFrame(),
        new LLMTextFrame("February: bare trees."),
        new LLMFullResponseEndFrame(),
      ],
    });
    expect(textsOf(down)).toEqual(["January: a frozen lake", "February: bare trees."]);
  });

  it("flushes the held text before the EndFrame", async () => {
    const aggregator = new SentenceAggregator();
    const { down } = await runTest(aggregator, {
      framesToSend: [new TextFrame("Unfinished thought")],
      expectedDownFrames: [TextFrame],
    });
    expect(textsOf(down)).toEqual(["Unfinished thought"]);
    expect(aggregator.pendingText).toBe("");
  });

  it("discards the held text on interruption and forwards the InterruptionFrame", async () => {
    const { down } = await runTest(new SentenceAggregator(), {
      framesToSend: [
        new TextFrame("Half a sen"),
        new SleepFrame(30),
        new InterruptionFrame(),
        new SleepFrame(30),
        new TextFrame("Fresh start. Next"),
        new SleepFrame(30),
      ],
      expectedDownFrames: [InterruptionFrame, TextFrame, TextFrame],
    });
    expect(textsOf(down)).toEqual(["Fresh start.", "Next"]);
  });

  it("aggregates final transcriptions, drops interim ones", async () => {
    const { down } = await runTest(new SentenceAggregator(), {
      framesToSend: [
        new InterimTranscriptionFrame("I think"),
        new TranscriptionFrame("I think so."),
        new TranscriptionFrame(" Yes"),
      ],
    });
    expect(textsOf(down)).toEqual(["I think so.", "Yes"]);
  });

  it("passes upstream text unchanged", async () => {
    const upstream = new TextFrame("going up");
    const { down, up } = await runTest(new SentenceAggregator(), {
      framesToSend: [new TextFrame("Done. ")],
      framesToSendUpstream: [upstream],
    });
    expect(textsOf(down)).toEqual(["Done."]);
    expect(up).toEqual([upstream]);
  });

  it("does not push a whitespace-only remainder", async () => {
    await runTest(new SentenceAggregator(), {
      framesToSend: [new TextFrame("  \n "), new LLMFullResponseEndFrame()],
      expectedDownFrames: [LLMFullResponseEndFrame],
    });
  });
});
