// RTVIProcessor and RTVIObserver inside a pipeline, without sockets: RTVI messages go in as
// InputTransportMessageFrames; what the server says comes out as urgent transport messages.
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TTSAudioRawFrame } from "../../src/frames/audio.js";
import type { Frame } from "../../src/frames/base.js";
import { ErrorFrame } from "../../src/frames/error.js";
import { InterruptionFrame } from "../../src/frames/lifecycle.js";
import {
  LLMContext,
  LLMContextFrame,
  LLMFullResponseEndFrame,
  LLMFullResponseStartFrame,
  LLMMessagesAppendFrame,
} from "../../src/frames/llm.js";
import { MetricsFrame } from "../../src/frames/metrics.js";
import {
  RTVIClientMessageFrame,
  RTVIServerMessageFrame,
  RTVIServerResponseFrame,
} from "../../src/frames/rtvi.js";
import {
  AggregatedTextFrame,
  TTSStartedFrame,
  TTSStoppedFrame,
  TTSTextFrame,
} from "../../src/frames/speech.js";
import { LLMTextFrame, TextFrame, TranscriptionFrame } from "../../src/frames/text.js";
import {
  InputTransportMessageFrame,
  type OutputTransportMessageFrame,
  OutputTransportMessageUrgentFrame,
} from "../../src/frames/transport.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import { PipelineTask } from "../../src/pipeline/task.js";
import { FrameDirection } from "../../src/processors/direction.js";
import type { FrameProcessor } from "../../src/processors/frame-processor.js";
import {
  RTVI_PROTOCOL_VERSION,
  type RTVIMessage,
} from "../../src/processors/frameworks/rtvi/models.js";
import { RTVIObserver } from "../../src/processors/frameworks/rtvi/observer.js";
import {
  RTVIProcessor,
  type RTVIProcessorOptions,
} from "../../src/processors/frameworks/rtvi/processor.js";
import { BaseOutputTransport } from "../../src/transports/base-output.js";
import { type Logger, setLogger } from "../../src/utils/logger.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";
import { RecorderProcessor } from "../helpers/run-test.js";

let logs: string[];
let restore: Logger;
beforeEach(() => {
  logs = [];
  const record = (level: string) => (message: string) => logs.push(`${level} ${message}`);
  restore = setLogger({
    debug: () => undefined,
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
  });
});
afterEach(() => setLogger(restore));

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

const until = async (check: () => boolean, ms = 3000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};

const errorText = (message: RTVIMessage | undefined): string | undefined =>
  (message?.data as { error?: string } | undefined)?.error;

const rtviIn = (type: string, data?: unknown, id = "id-1"): InputTransportMessageFrame =>
  new InputTransportMessageFrame({
    label: "rtvi-ai",
    type,
    id,
    ...(data === undefined ? {} : { data }),
  });

async function start(options: RTVIProcessorOptions = {}, extra: FrameProcessor[] = []) {
  const rtvi = new RTVIProcessor(options);
  const down = new RecorderProcessor(FrameDirection.DOWNSTREAM, "Down");
  const up = new RecorderProcessor(FrameDirection.UPSTREAM, "Up");
  const task = new PipelineTask(new Pipeline([up, rtvi, ...extra, down]), {
    observers: [rtvi.createObserver()],
  });
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  task.on("pipelineStarted", () => started());
  const running = task.run();
  await ready;
  const sent = (): RTVIMessage[] =>
    down.frames
      .filter((f) => f instanceof OutputTransportMessageUrgentFrame)
      .map((f) => (f as OutputTransportMessageUrgentFrame).message as RTVIMessage);
  const ofType = (type: string): RTVIMessage[] => sent().filter((m) => m.type === type);
  const send = async (...frames: Frame[]): Promise<void> => {
    for (const frame of frames) await task.queueFrame(frame);
    await settle();
  };
  const stop = async (): Promise<void> => {
    await task.cancel();
    await running;
  };
  return { rtvi, down, up, task, running, sent, ofType, send, stop };
}

describe("RTVIProcessor: the handshake", () => {
  it("answers client-ready with bot-ready (version 2.1.0, the request id), then fires clientReady", async () => {
    const t = await start();
    const order: string[] = [];
    t.rtvi.on("clientReady", () => order.push(`clientReady after ${t.sent().length} message(s)`));
    await t.send(
      rtviIn(
        "client-ready",
        { version: "2.1.0", about: { library: "@pipecat-ai/client-js" } },
        "ab12cd34",
      ),
    );
    await until(() => t.ofType("bot-ready").length === 1);
    expect(t.ofType("bot-ready")[0]).toEqual({
      label: "rtvi-ai",
      type: "bot-ready",
      id: "ab12cd34",
      data: {
        version: RTVI_PROTOCOL_VERSION,
        about: { library: "pipecat-ts", library_version: PACKAGE_VERSION },
      },
    });
    await until(() => order.length === 1);
    expect(order).toEqual(["clientReady after 1 message(s)"]);
    expect(t.rtvi.clientVersion).toEqual([2, 1, 0]);
    expect(t.ofType("error-response")).toEqual([]);
    await t.stop();
  });

  it("warns an incompatible or unknown client with an error-response and goes on; echoes a 1.x version", async () => {
    for (const [version, problem, echoed] of [
      ["3.0.0", /RTVI version 3\.0\.0 is not compatible/, RTVI_PROTOCOL_VERSION],
      [undefined, /Client version unknown/, RTVI_PROTOCOL_VERSION],
      ["two", /Invalid client version format/, RTVI_PROTOCOL_VERSION],
      ["1.4.0", undefined, "1.4.0"],
    ] as const) {
      const t = await start();
      await t.send(rtviIn("client-ready", version === undefined ? {} : { version }, "r1"));
      await until(() => t.ofType("bot-ready").length === 1);
      const errors = t.ofType("error-response");
      if (problem) {
        expect(errors).toHaveLength(1);
        expect(errors[0]?.id).toBe("r1");
        expect(errorText(errors[0])).toMatch(problem);
      } else {
        expect(errors).toEqual([]);
      }
      expect((t.ofType("bot-ready")[0]?.data as { version?: string } | undefined)?.version).toBe(
        echoed,
      );
      await t.stop();
    }
  });

  it("waits for setBotReady() when autoBotReady is false", async () => {
    const t = await start({ autoBotReady: false, about: { library: "my-bot" } });
    await t.send(rtviIn("client-ready", { version: "2.1.0" }, "x"));
    await until(() => t.rtvi.isClientReady);
    expect(t.ofType("bot-ready")).toEqual([]);
    await t.rtvi.setBotReady();
    await settle();
    expect(t.ofType("bot-ready")[0]).toMatchObject({
      id: "x",
      data: { about: { library: "my-bot" } },
    });
    await t.stop();
  });
});

describe("RTVIProcessor: send-text", () => {
  it("by default interrupts and appends a user message for the LLM (Pipecat's defaults)", async () => {
    const t = await start();
    await t.send(rtviIn("send-text", { content: "Hello bot", options: {} }));
    await until(() => t.down.frames.some((f) => f instanceof LLMMessagesAppendFrame));
    const kinds = t.down.frames
      .filter((f) => f instanceof InterruptionFrame || f instanceof LLMMessagesAppendFrame)
      .map((f) => f.constructor.name);
    expect(kinds).toEqual(["InterruptionFrame", "LLMMessagesAppendFrame"]);
    const append = t.down.frames.find(
      (f) => f instanceof LLMMessagesAppendFrame,
    ) as LLMMessagesAppendFrame;
    expect(append.messages).toEqual([{ role: "user", content: "Hello bot" }]);
    expect(append.runLlm).toBe(true);
    await t.stop();
  });

  it("does not interrupt or run the LLM when run_immediately is false", async () => {
    const t = await start();
    await t.send(rtviIn("send-text", { content: "later", options: { run_immediately: false } }));
    await until(() => t.down.frames.some((f) => f instanceof LLMMessagesAppendFrame));
    expect(t.down.frames.some((f) => f instanceof InterruptionFrame)).toBe(false);
    expect(
      (t.down.frames.find((f) => f instanceof LLMMessagesAppendFrame) as LLMMessagesAppendFrame)
        .runLlm,
    ).toBe(false);
    await t.stop();
  });

  it('pushes a TextFrame in "text-frame" mode, and calls a custom handler with defaults applied', async () => {
    const t = await start({ sendText: "text-frame" });
    await t.send(rtviIn("send-text", { content: "a red fox\na blue bird" }));
    await until(() => t.down.frames.some((f) => f instanceof TextFrame));
    expect((t.down.frames.find((f) => f instanceof TextFrame) as TextFrame).text).toBe(
      "a red fox\na blue bird",
    );
    expect(t.down.frames.some((f) => f instanceof InterruptionFrame)).toBe(false);
    await t.stop();

    const calls: unknown[] = [];
    const c = await start({ sendText: (text, options) => void calls.push({ text, options }) });
    await c.send(rtviIn("send-text", { content: "hi", options: { audio_response: false } }));
    await until(() => calls.length === 1);
    expect(calls[0]).toEqual({
      text: "hi",
      options: { run_immediately: true, audio_response: false },
    });
    await c.stop();
  });

  it("answers bad send-text data with an error-response naming the field", async () => {
    const t = await start();
    await t.send(rtviIn("send-text", { content: 42 }, "bad-1"));
    await t.send(
      rtviIn("send-text", { content: "x", options: { run_immediately: "yes" } }, "bad-2"),
    );
    await until(() => t.ofType("error-response").length === 2);
    const [first, second] = t.ofType("error-response");
    expect(first).toMatchObject({ id: "bad-1" });
    expect(errorText(first)).toMatch(/data\.content is 42; allowed: a string/);
    expect(errorText(second)).toMatch(/data\.options\.run_immediately/);
    await t.stop();
  });
});

describe("RTVIProcessor: client-message", () => {
  it("answers with the handler's value as server-response {t, d}, echoing the id", async () => {
    const t = await start();
    t.rtvi.onClientMessage("settings", async (data) => ({ applied: data }));
    await t.send(rtviIn("client-message", { t: "settings", d: { seed: 7 } }, "req-9"));
    await until(() => t.ofType("server-response").length === 1);
    expect(t.ofType("server-response")[0]).toEqual({
      label: "rtvi-ai",
      type: "server-response",
      id: "req-9",
      data: { t: "settings", d: { applied: { seed: 7 } } },
    });
    await t.stop();
  });

  it("turns a throwing handler into an error-response with its message", async () => {
    const t = await start();
    t.rtvi.onClientMessage("settings", () => {
      throw new Error('Invalid value for "seed": -1. Allowed: an integer >= 0.');
    });
    await t.send(rtviIn("client-message", { t: "settings", d: { seed: -1 } }, "req-10"));
    await until(() => t.ofType("error-response").length === 1);
    expect(t.ofType("error-response")[0]).toEqual({
      label: "rtvi-ai",
      type: "error-response",
      id: "req-10",
      data: { error: 'Invalid value for "seed": -1. Allowed: an integer >= 0.' },
    });
    await t.stop();
  });

  it("pushes an RTVIClientMessageFrame when no handler takes it; a processor may answer", async () => {
    const t = await start();
    const frames: RTVIClientMessageFrame[] = [];
    t.rtvi.on("clientMessage", (_r, frame) => void frames.push(frame));
    await t.send(rtviIn("client-message", { t: "ping", d: 1 }, "p1"));
    await until(() => frames.length === 1);
    expect(t.down.frames.find((f) => f instanceof RTVIClientMessageFrame)).toBe(frames[0]);
    expect([frames[0]?.msgId, frames[0]?.type, frames[0]?.data]).toEqual(["p1", "ping", 1]);
    await t.task.queueFrame(new RTVIServerResponseFrame(frames[0]!, "pong"));
    await until(() => t.ofType("server-response").length === 1);
    expect(t.ofType("server-response")[0]).toMatchObject({
      id: "p1",
      data: { t: "ping", d: "pong" },
    });
    await t.stop();

    const r = await start({ rejectUnhandledClientMessages: true });
    await r.send(rtviIn("client-message", { t: "nobody" }, "n1"));
    await until(() => r.ofType("error-response").length === 1);
    expect(r.ofType("error-response")[0]).toMatchObject({
      id: "n1",
      data: { error: "Unsupported client message type nobody" },
    });
    await r.stop();
  });

  it("refuses messages past maxPendingMessages with an error-response, in order otherwise", async () => {
    const t = await start({ maxPendingMessages: 2 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seen: string[] = [];
    t.rtvi.onClientMessage("slow", async (_d, { id }) => {
      seen.push(id);
      await gate;
      return id;
    });
    for (let i = 0; i < 5; i += 1) await t.send(rtviIn("client-message", { t: "slow" }, `m${i}`));
    await until(() => t.ofType("error-response").length === 2);
    expect(t.ofType("error-response").map((m) => m.id)).toEqual(["m3", "m4"]);
    expect(errorText(t.ofType("error-response")[0])).toMatch(/Too many pending/);
    release();
    await until(() => t.ofType("server-response").length === 3);
    expect(seen).toEqual(["m0", "m1", "m2"]);
    expect(t.ofType("server-response").map((m) => m.id)).toEqual(["m0", "m1", "m2"]);
    await t.stop();
  });
});

describe("RTVIProcessor: other messages", () => {
  it("ends the task on disconnect-bot", async () => {
    const t = await start();
    await t.send(rtviIn("disconnect-bot", {}));
    await t.running;
    expect(t.task.hasFinished()).toBe(true);
  });

  it('answers an unknown type with "Unsupported type X"', async () => {
    const t = await start();
    await t.send(rtviIn("append-to-context", {}, "u1"));
    await until(() => t.ofType("error-response").length === 1);
    expect(t.ofType("error-response")[0]).toEqual({
      label: "rtvi-ai",
      type: "error-response",
      id: "u1",
      data: { error: "Unsupported type append-to-context" },
    });
    await t.stop();
  });

  it("answers an invalid envelope with a non-fatal error, and ignores other labels with a log line", async () => {
    const t = await start();
    await t.send(new InputTransportMessageFrame({ label: "rtvi-ai", type: "send-text" }));
    await t.send(
      new InputTransportMessageFrame({ label: "rtvi-ai", type: "x", id: "1", data: [1] }),
    );
    await until(() => t.ofType("error").length === 2);
    for (const m of t.ofType("error")) {
      expect((m.data as { fatal: boolean }).fatal).toBe(false);
      expect((m.data as { error: string }).error).toMatch(/^Invalid RTVI transport message/);
    }
    await t.send(new InputTransportMessageFrame({ label: "other", type: "client-ready", id: "z" }));
    await t.send(new InputTransportMessageFrame("just a string"));
    await settle();
    expect(t.sent()).toHaveLength(2);
    expect(logs.filter((l) => l.includes("not RTVI"))).toHaveLength(2);
    await t.stop();
  });
});

/** An output transport that records the messages it sends and paces audio on a manual clock. */
class RecordingOutput extends BaseOutputTransport {
  readonly messages: RTVIMessage[] = [];
  protected override async writeAudioFrame(): Promise<boolean> {
    return true;
  }
  protected override async sendMessage(
    frame: OutputTransportMessageUrgentFrame | OutputTransportMessageFrame,
  ): Promise<void> {
    this.messages.push(frame.message as RTVIMessage);
  }
}

describe("RTVIObserver", () => {
  it("reports a frame once however many frames without a message went by since", async () => {
    const sent: unknown[] = [];
    const rtvi = {
      pushTransportMessage: async (message: unknown) => void sent.push(message),
    } as unknown as RTVIProcessor;
    const observer = new RTVIObserver(rtvi);
    const push = (frame: Frame) =>
      observer.onPushFrame({
        frame,
        source: {} as FrameProcessor,
        destination: {} as FrameProcessor,
        direction: FrameDirection.DOWNSTREAM,
        timestamp: 0,
      });
    const message = new RTVIServerMessageFrame({ n: 1 });
    await push(message);
    // More frames than the observer remembers, none of which it has a message for.
    for (let i = 0; i < 5000; i += 1) await push(new TextFrame(`${i}`));
    await push(message); // the same frame, pushed on by the next processor
    expect(sent).toEqual([{ label: "rtvi-ai", type: "server-message", data: { n: 1 } }]);
  });

  it("reports LLM, TTS, transcription, metrics, error, server-message and response frames once each", async () => {
    const t = await start();
    const request = new RTVIClientMessageFrame("q1", "ask", undefined);
    const context = new LLMContext([
      { role: "system", content: "s" },
      { role: "user", content: "What now?" },
    ]);
    const metrics = new MetricsFrame([
      { type: "ttfb", processor: "LLM#0", model: "gpt", value: 0.25 },
      { type: "processing", processor: "TTS#0", value: 0.5 },
      {
        type: "llm_usage",
        processor: "LLM#0",
        value: { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
      },
      { type: "tts_usage", processor: "TTS#0", value: 42 },
    ]);
    await t.send(
      new LLMContextFrame(context),
      new LLMFullResponseStartFrame(),
      new LLMTextFrame("Hi"),
      new LLMFullResponseEndFrame(),
      new TTSStartedFrame(),
      new TTSStoppedFrame(),
      new TranscriptionFrame("hello", "u1", "2026-01-01T00:00:00Z"),
      metrics,
      new RTVIServerMessageFrame({ type: "image", url: "/images/1.png" }),
      new RTVIServerResponseFrame(request, undefined, "nope"),
    );
    await t.task.queueFrame(
      new ErrorFrame("fal failed", { fatal: false }),
      FrameDirection.UPSTREAM,
    );
    await until(() => t.ofType("error").length === 1 && t.ofType("error-response").length === 1);
    const types = t.sent().map((m) => m.type);
    for (const type of [
      "user-llm-text",
      "bot-llm-started",
      "bot-llm-text",
      "bot-llm-stopped",
      "bot-tts-started",
      "bot-tts-stopped",
      "user-transcription",
      "metrics",
      "server-message",
      "error-response",
      "error",
    ]) {
      expect(
        types.filter((x) => x === type),
        type,
      ).toHaveLength(1);
    }
    expect(t.ofType("user-llm-text")[0]?.data).toEqual({ text: "What now?" });
    expect(t.ofType("bot-llm-text")[0]?.data).toEqual({ text: "Hi" });
    expect(t.ofType("bot-llm-started")[0]).toEqual({ label: "rtvi-ai", type: "bot-llm-started" });
    expect(t.ofType("user-transcription")[0]?.data).toEqual({
      text: "hello",
      user_id: "u1",
      timestamp: "2026-01-01T00:00:00Z",
      final: true,
    });
    expect(t.ofType("metrics")[0]?.data).toEqual({
      ttfb: [{ processor: "LLM#0", model: "gpt", value: 0.25 }],
      processing: [{ processor: "TTS#0", value: 0.5 }],
      tokens: [{ processor: "LLM#0", prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }],
      characters: [{ processor: "TTS#0", value: 42 }],
    });
    expect(t.ofType("server-message")[0]?.data).toEqual({ type: "image", url: "/images/1.png" });
    expect(t.ofType("error-response")[0]).toMatchObject({ id: "q1", data: { error: "nope" } });
    expect(t.ofType("error")[0]?.data).toEqual({ error: "fal failed", fatal: false });
    await t.stop();
  });

  it("reports TTS text only once the output transport pushed it, after bot-started-speaking", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput({ audioOutEnabled: true }, { clock });
    const t = await start({}, [output]);
    // The output transport sends (and consumes) the urgent messages: read them there.
    t.sent = () => output.messages;
    t.ofType = (type: string) => output.messages.filter((m) => m.type === type);
    const sentence = new AggregatedTextFrame("Hello there.", "sentence");
    sentence.willBeSpoken = true;
    const spoken = new TTSTextFrame("Hello there.", "sentence");
    spoken.willBeSpoken = true;
    await t.send(
      new TTSStartedFrame(),
      sentence,
      new TTSAudioRawFrame({ audio: new Uint8Array(48 * 400), sampleRate: 24000 }),
      spoken,
      new TTSStoppedFrame(),
    );
    await until(() => t.ofType("bot-started-speaking").length === 1);
    expect(t.ofType("bot-tts-text")).toEqual([]);
    await clock.advance(1000);
    await until(() => t.ofType("bot-stopped-speaking").length === 1);
    const order = t
      .sent()
      .map((m) => m.type)
      .filter(
        (type) =>
          type.startsWith("bot-") && type !== "bot-tts-started" && type !== "bot-tts-stopped",
      );
    expect(order).toEqual([
      "bot-started-speaking",
      "bot-output",
      "bot-output",
      "bot-tts-text",
      "bot-stopped-speaking",
    ]);
    const [first, second] = t.ofType("bot-output");
    expect(first?.data).toMatchObject({
      text: "Hello there.",
      spoken_status: "new",
      will_be_spoken: true,
    });
    expect(second?.data).toMatchObject({
      text: "Hello there.",
      spoken: true,
      spoken_status: "completed",
      spoken_progress: { accumulated_text: "Hello there.", remaining_text: "" },
    });
    expect(t.ofType("bot-tts-text")[0]?.data).toEqual({ text: "Hello there." });
    await t.stop();
  });

  it("reports a bot-interrupted for an interruption, once for a broadcast pair", async () => {
    const t = await start();
    await t.rtvi.interruptBot();
    await until(() => t.ofType("bot-interrupted").length === 1);
    await settle();
    expect(t.ofType("bot-interrupted")).toHaveLength(1);
    await t.stop();
  });
});
