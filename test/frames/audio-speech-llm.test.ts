// The frame vocabulary of speech and LLM pipelines: kinds (which decide scheduling), derived
// fields and the context's copy semantics.
import { describe, expect, it } from "vitest";
import {
  InputAudioRawFrame,
  OutputAudioRawFrame,
  TTSAudioRawFrame,
} from "../../src/frames/audio.js";
import {
  LLMContext,
  LLMContextFrame,
  LLMFullResponseEndFrame,
  LLMFullResponseStartFrame,
  LLMMessagesAppendFrame,
} from "../../src/frames/llm.js";
import { StartFrame } from "../../src/frames/lifecycle.js";
import {
  AggregatedTextFrame,
  BotStartedSpeakingFrame,
  TTSStartedFrame,
  TTSStoppedFrame,
  TTSTextFrame,
} from "../../src/frames/speech.js";
import { TextFrame } from "../../src/frames/text.js";
import {
  InputTransportMessageFrame,
  OutputTransportMessageFrame,
  OutputTransportMessageUrgentFrame,
} from "../../src/frames/transport.js";

describe("audio frames", () => {
  it("count samples per channel and report their duration", () => {
    const mono = new TTSAudioRawFrame({ audio: new Uint8Array(960), sampleRate: 24_000 });
    expect(mono.numChannels).toBe(1);
    expect(mono.numFrames).toBe(480);
    expect(mono.durationSeconds).toBeCloseTo(0.02, 6);
    const stereo = new OutputAudioRawFrame({
      audio: new Uint8Array(960),
      sampleRate: 16_000,
      numChannels: 2,
    });
    expect(stereo.numFrames).toBe(240);
    expect(String(mono)).toMatch(/^TTSAudioRawFrame#\d+\(bytes: 960, frames: 480/);
  });

  it("have Pipecat's kinds: output audio is data, input audio is system", () => {
    expect(new OutputAudioRawFrame({ audio: new Uint8Array(2), sampleRate: 24_000 }).kind).toBe(
      "data",
    );
    expect(new InputAudioRawFrame({ audio: new Uint8Array(2), sampleRate: 16_000 }).kind).toBe(
      "system",
    );
  });
});

describe("speech and LLM frames", () => {
  it("have Pipecat's kinds", () => {
    expect(new TTSStartedFrame().kind).toBe("control");
    expect(new TTSStoppedFrame("ctx").contextId).toBe("ctx");
    expect(new BotStartedSpeakingFrame().kind).toBe("system");
    expect(new LLMFullResponseStartFrame().kind).toBe("control");
    expect(new LLMFullResponseEndFrame().kind).toBe("control");
    expect(new LLMContextFrame(new LLMContext()).kind).toBe("other");
    expect(new LLMMessagesAppendFrame([{ role: "user", content: "hi" }], true).runLlm).toBe(true);
    expect(new InputTransportMessageFrame({}).kind).toBe("system");
    expect(new OutputTransportMessageFrame({}).kind).toBe("data");
    expect(new OutputTransportMessageUrgentFrame({}).kind).toBe("system");
  });

  it("TTSTextFrame is an AggregatedTextFrame is a TextFrame", () => {
    const frame = new TTSTextFrame("Hello there.", "sentence", "ctx-1");
    expect(frame).toBeInstanceOf(AggregatedTextFrame);
    expect(frame).toBeInstanceOf(TextFrame);
    expect(frame.aggregatedBy).toBe("sentence");
    expect(frame.willBeSpoken).toBe(false);
  });

  it("LLMContext hands out copies, so callers cannot change it behind its back", () => {
    const context = new LLMContext([{ role: "system", content: "Be brief." }]);
    const messages = context.getMessages();
    messages.push({ role: "user", content: "ignored" });
    expect(context.messageCount).toBe(1);
    context.addMessage({ role: "user", content: "Hello" });
    context.addMessages([{ role: "assistant", content: "Hi." }]);
    expect(context.getMessages().map((m) => m.role)).toEqual(["system", "user", "assistant"]);
    context.setMessages([]);
    expect(context.messageCount).toBe(0);
  });

  it("StartFrame carries Pipecat's default audio rates unless told otherwise", () => {
    const start = new StartFrame();
    expect([start.audioInSampleRate, start.audioOutSampleRate]).toEqual([16_000, 24_000]);
    expect(new StartFrame({ audioOutSampleRate: 48_000 }).audioOutSampleRate).toBe(48_000);
  });
});
