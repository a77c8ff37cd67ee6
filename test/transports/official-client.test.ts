// End to end: Pipecat's official web client (@pipecat-ai/client-js 1.13.1 with
// @pipecat-ai/websocket-transport 1.7.1), running in Node with a stand-in media manager, talks to a
// pipecat-ts pipeline behind a WebsocketServerTransport on 127.0.0.1.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InputAudioRawFrame, TTSAudioRawFrame } from "../../src/frames/audio.js";
import type { Frame } from "../../src/frames/base.js";
import { EndFrame } from "../../src/frames/lifecycle.js";
import { RTVIServerMessageFrame } from "../../src/frames/rtvi.js";
import { TTSStartedFrame, TTSStoppedFrame, TTSTextFrame } from "../../src/frames/speech.js";
import { TextFrame } from "../../src/frames/text.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import { PipelineTask } from "../../src/pipeline/task.js";
import { FrameDirection } from "../../src/processors/direction.js";
import { FrameProcessor } from "../../src/processors/frame-processor.js";
import { RTVIProcessor } from "../../src/processors/frameworks/rtvi/processor.js";
import { WebsocketServerTransport } from "../../src/transports/websocket/server.js";
import { setLogger, silentLogger, type Logger } from "../../src/utils/logger.js";
import { RecordingMediaManager, loadPipecatClient } from "../helpers/pipecat-client.js";

/** 400 ms of a 24 kHz ramp. */
const SPEECH_SAMPLES = 9600;
function speech(): Uint8Array {
  const samples = new Int16Array(SPEECH_SAMPLES);
  for (let i = 0; i < samples.length; i += 1) samples[i] = (i * 7) % 20000;
  return new Uint8Array(samples.buffer);
}

/** The bot: answers each TextFrame with a server-message and 400 ms of speech. */
class EchoBot extends FrameProcessor {
  readonly texts: string[] = [];
  audioFramesIn = 0;
  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof InputAudioRawFrame) {
      this.audioFramesIn += 1;
      return;
    }
    if (frame.constructor === TextFrame && direction === FrameDirection.DOWNSTREAM) {
      const text = (frame as TextFrame).text;
      this.texts.push(text);
      await this.pushFrame(new RTVIServerMessageFrame({ echo: text }));
      await this.pushFrame(new TTSStartedFrame());
      await this.pushFrame(new TTSAudioRawFrame({ audio: speech(), sampleRate: 24000 }));
      await this.pushFrame(new TTSTextFrame(text, "sentence"));
      await this.pushFrame(new TTSStoppedFrame());
      return;
    }
    await this.pushFrame(frame, direction);
  }
}

const until = async (check: () => boolean, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

let restore: Logger;
beforeEach(() => {
  restore = setLogger(silentLogger);
  // The client's socket wrapper prints its own progress on the console.
  for (const method of ["log", "info", "debug"] as const)
    vi.spyOn(console, method).mockImplementation(() => undefined);
});
afterEach(() => {
  setLogger(restore);
  vi.restoreAllMocks();
});

describe("Pipecat's official web client against a pipecat-ts bot", () => {
  it("connects, talks RTVI both ways, and plays paced audio", async () => {
    const { clientJs, transport: wst } = await loadPipecatClient();
    clientJs.logger.setLevel(clientJs.LogLevel.ERROR);

    // The server: one pipeline behind a WebsocketServerTransport.
    const server = new WebsocketServerTransport({
      port: 0,
      params: { audioInEnabled: true, audioOutEnabled: true },
    });
    const rtvi = new RTVIProcessor({ sendText: "text-frame" });
    rtvi.onClientMessage("double", (d) => (d as number) * 2);
    rtvi.onClientMessage("fail", () => {
      throw new Error("nothing to fail with");
    });
    const bot = new EchoBot();
    const task = new PipelineTask(new Pipeline([server.input(), rtvi, bot, server.output()]), {
      observers: [rtvi.createObserver()],
    });
    let ready!: (port: number) => void;
    const port = new Promise<number>((resolve) => (ready = resolve));
    server.on("websocketReady", (_t, address) => ready(address.port));
    let disconnected = false;
    server.on("clientDisconnected", () => {
      disconnected = true;
    });
    const running = task.run();

    // The client.
    const media = new RecordingMediaManager();
    const serverMessages: unknown[] = [];
    const events: string[] = [];
    const ttsText: string[] = [];
    const errors: unknown[] = [];
    const client = new clientJs.PipecatClient({
      transport: new wst.WebSocketTransport({ mediaManager: media as never }),
      enableMic: true,
      enableCam: false,
      callbacks: {
        onServerMessage: (data: unknown) => void serverMessages.push(data),
        onBotStartedSpeaking: () => void events.push("bot-started-speaking"),
        onBotStoppedSpeaking: () => void events.push("bot-stopped-speaking"),
        onBotTtsText: (data: { text: string }) => void ttsText.push(data.text),
        onError: (message: unknown) => void errors.push(message),
      },
    });

    const botReady = await client.connect({ wsUrl: `ws://127.0.0.1:${await port}/` });
    expect(botReady.version).toBe("2.1.0");
    expect((botReady as { about?: { library?: string } }).about?.library).toBe("pipecat-ts");

    // Microphone audio reaches the pipeline as InputAudioRawFrames.
    media.speak(512);
    media.speak(512);
    await until(() => bot.audioFramesIn === 2);

    // Requests: a server-response and an error-response, matched by id.
    await expect(client.sendClientRequest("double", 21)).resolves.toBe(42);
    const failure = await client.sendClientRequest("fail", {}).catch((e: unknown) => e);
    expect(failure).toMatchObject({
      type: "error-response",
      data: { error: "nothing to fail with" },
    });

    // sendText reaches the pipeline; the bot answers with a server-message and speech.
    const sentAt = performance.now();
    await client.sendText("hello from the browser");
    await until(() => bot.texts.length === 1);
    expect(bot.texts).toEqual(["hello from the browser"]);
    await until(() => serverMessages.length === 1);
    expect(serverMessages).toEqual([{ echo: "hello from the browser" }]);

    await until(() => events.includes("bot-stopped-speaking"));
    const received = media.botAudio;
    expect(received).toHaveLength(10);
    for (const chunk of received) expect(chunk.samples.length).toBe(960);
    const all = new Int16Array(SPEECH_SAMPLES);
    let offset = 0;
    for (const chunk of received) {
      all.set(chunk.samples, offset);
      offset += chunk.samples.length;
    }
    expect(Buffer.from(all.buffer).equals(Buffer.from(speech()))).toBe(true);
    // Paced, not a burst: 10 chunks of 40 ms, the first two at once, so at least ~320 ms apart.
    const span = (received.at(-1)?.at ?? 0) - (received[0]?.at ?? 0);
    expect(span).toBeGreaterThanOrEqual(250);
    expect((received[0]?.at ?? 0) - sentAt).toBeGreaterThanOrEqual(0);
    expect(events).toEqual(["bot-started-speaking", "bot-stopped-speaking"]);
    expect(ttsText).toEqual(["hello from the browser"]);

    await client.disconnect();
    await until(() => disconnected);
    expect(errors.filter((e) => (e as { data?: { fatal?: boolean } }).data?.fatal)).toEqual([]);
    await task.queueFrame(new EndFrame());
    await running;
  });
});
