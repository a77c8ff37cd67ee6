// BaseOutputTransport: chunking, pacing on a manual clock, sync frames in order with the audio,
// interruptions, bot-speaking frames, the FIFO bound, and EndFrame draining.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OutputAudioRawFrame, TTSAudioRawFrame } from "../../src/frames/audio.js";
import type { Frame } from "../../src/frames/base.js";
import { ErrorFrame } from "../../src/frames/error.js";
import { OutputImageRawFrame } from "../../src/frames/image.js";
import { EndFrame, InterruptionFrame } from "../../src/frames/lifecycle.js";
import {
  BotStartedSpeakingFrame,
  BotStoppedSpeakingFrame,
  TTSStartedFrame,
  TTSStoppedFrame,
  TTSTextFrame,
} from "../../src/frames/speech.js";
import {
  OutputTransportMessageFrame,
  OutputTransportMessageUrgentFrame,
} from "../../src/frames/transport.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import { PipelineTask } from "../../src/pipeline/task.js";
import { FrameDirection } from "../../src/processors/direction.js";
import { BaseOutputTransport } from "../../src/transports/base-output.js";
import type { TransportParams } from "../../src/transports/params.js";
import { SettingsValidationError } from "../../src/utils/errors.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";
import { RecorderProcessor } from "../helpers/run-test.js";
import { silenceLogs } from "../helpers/test-processors.js";

/** 24 kHz mono: bytes per millisecond. */
const BYTES_PER_MS = 48;
const CHUNK = 40 * BYTES_PER_MS; // 1920

interface Write {
  at: number;
  kind: "audio" | "image" | "message" | "frame";
  frame: Frame;
}

class RecordingOutput extends BaseOutputTransport {
  readonly writes: Write[] = [];
  constructor(
    readonly clock: ManualClock,
    params: TransportParams = {},
  ) {
    super({ audioOutEnabled: true, ...params }, { clock });
  }
  protected override async writeAudioFrame(frame: OutputAudioRawFrame): Promise<boolean> {
    this.writes.push({ at: this.clock.now(), kind: "audio", frame });
    return true;
  }
  protected override async writeImageFrame(frame: OutputImageRawFrame): Promise<void> {
    this.writes.push({ at: this.clock.now(), kind: "image", frame });
  }
  protected override async sendMessage(
    frame: OutputTransportMessageFrame | OutputTransportMessageUrgentFrame,
  ): Promise<void> {
    this.writes.push({ at: this.clock.now(), kind: "message", frame });
  }
  protected override async writeTransportFrame(frame: Frame): Promise<void> {
    this.writes.push({ at: this.clock.now(), kind: "frame", frame });
  }
  audioWrites(): Write[] {
    return this.writes.filter((w) => w.kind === "audio");
  }
}

function tts(ms: number, rate = 24000): TTSAudioRawFrame {
  const bytes = Math.round((ms * rate) / 1000) * 2;
  const audio = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 1) audio[i] = i & 0xff;
  return new TTSAudioRawFrame({ audio, sampleRate: rate, numChannels: 1 });
}

function image(sync: boolean): OutputImageRawFrame {
  const frame = new OutputImageRawFrame({
    image: new Uint8Array(4),
    size: { width: 1, height: 1 },
    format: "RGBA",
  });
  frame.syncWithAudio = sync;
  return frame;
}

async function start(output: BaseOutputTransport) {
  const up = new RecorderProcessor(FrameDirection.UPSTREAM, "Up");
  const down = new RecorderProcessor(FrameDirection.DOWNSTREAM, "Down");
  const task = new PipelineTask(new Pipeline([up, output, down]));
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  task.on("pipelineStarted", () => started());
  const running = task.run();
  await ready;
  const send = async (...frames: Frame[]): Promise<void> => {
    for (const frame of frames) await task.queueFrame(frame);
    await settle();
  };
  return { task, up, down, running, send };
}

let restoreLogs: () => void;
beforeEach(() => {
  restoreLogs = silenceLogs();
});
afterEach(() => restoreLogs());

describe("chunking and pacing", () => {
  it("cuts audio into 40 ms chunks and paces them in real time, one chunk ahead", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput(clock);
    const { task, running, send } = await start(output);
    const t0 = clock.now();
    await send(tts(400));
    // The first two chunks go out at once (the client holds one chunk ahead)...
    expect(output.audioWrites().map((w) => w.at - t0)).toEqual([0, 0]);
    await clock.advance(1000);
    const writes = output.audioWrites();
    expect(writes).toHaveLength(10);
    // ...then one per 40 ms.
    expect(writes.map((w) => w.at - t0)).toEqual([0, 0, 40, 80, 120, 160, 200, 240, 280, 320]);
    for (const w of writes) expect((w.frame as OutputAudioRawFrame).audio.byteLength).toBe(CHUNK);
    // The bytes arrive whole and in order.
    const all = Buffer.concat(writes.map((w) => (w.frame as OutputAudioRawFrame).audio));
    expect(all.equals(Buffer.from(tts(400).audio))).toBe(true);
    await task.cancel();
    await running;
  });

  it("honours audioOut10msChunks (1 → 10 ms chunks) and refuses values outside 1–4", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput(clock, { audioOut10msChunks: 1 });
    const { task, running, send } = await start(output);
    const t0 = clock.now();
    await send(tts(50));
    await clock.advance(100);
    const writes = output.audioWrites();
    expect(writes.map((w) => (w.frame as OutputAudioRawFrame).audio.byteLength)).toEqual(
      Array(5).fill(480),
    );
    expect(writes.map((w) => w.at - t0)).toEqual([0, 0, 10, 20, 30]);
    await task.cancel();
    await running;
    for (const bad of [0, 5, 2.5]) {
      expect(() => new RecordingOutput(clock, { audioOut10msChunks: bad })).toThrow(
        SettingsValidationError,
      );
    }
    expect(() => new RecordingOutput(clock, { audioOut10msChunks: 5 })).toThrow(
      /audioOut10msChunks.*5.*1 to 4/,
    );
  });

  it("keeps the schedule when the timer fires late, and restarts it after a gap", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput(clock);
    const { task, running, send } = await start(output);
    const t0 = clock.now();
    await send(tts(200));
    await clock.advance(43); // the 40 ms sleeper wakes at 40: no drift accumulates
    await clock.advance(100);
    expect(output.audioWrites().map((w) => w.at - t0)).toEqual([0, 0, 40, 80, 120]);
    // A gap: the queue ran dry. The next utterance starts at once again.
    await clock.advance(1000);
    const t1 = clock.now();
    await send(tts(120));
    await clock.advance(200);
    expect(
      output
        .audioWrites()
        .slice(5)
        .map((w) => w.at - t1),
    ).toEqual([0, 0, 40]);
    await task.cancel();
    await running;
  });

  it("restarts the clock after a stall, and counts it in pacingStats (gaps do not count)", async () => {
    const clock = new ManualClock();
    class StallingOutput extends RecordingOutput {
      #n = 0;
      protected override async writeAudioFrame(frame: OutputAudioRawFrame): Promise<boolean> {
        this.#n += 1;
        if (this.#n === 4) await this.clock.sleep(100); // the 4th write blocks for 100 ms
        return super.writeAudioFrame(frame);
      }
    }
    const output = new StallingOutput(clock);
    const { task, running, send } = await start(output);
    const t0 = clock.now();
    await send(tts(240));
    await clock.advance(1000);
    // Written at 0, 0, 40, then the 4th waits until 180 (60 ms behind its 120 ms slot): the
    // schedule restarts from there instead of bursting to catch up.
    expect(output.audioWrites().map((w) => w.at - t0)).toEqual([0, 0, 40, 180, 180, 220]);
    expect(output.pacingStats).toEqual({ resets: 1, behindMs: 60 });
    await task.cancel();
    await running;
  });

  it("sends a partial chunk at TTSStoppedFrame (even length), then BotStoppedSpeaking", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput(clock);
    const { task, running, send, down } = await start(output);
    await send(new TTSStartedFrame(), tts(50), new TTSStoppedFrame());
    await clock.advance(200);
    const sizes = output
      .audioWrites()
      .map((w) => (w.frame as OutputAudioRawFrame).audio.byteLength);
    expect(sizes).toEqual([CHUNK, 10 * BYTES_PER_MS]);
    for (const size of sizes) expect(size % 2).toBe(0);
    const kinds = down.frames
      .filter((f) =>
        [TTSAudioRawFrame, BotStartedSpeakingFrame, BotStoppedSpeakingFrame, TTSStoppedFrame].some(
          (c) => f instanceof c,
        ),
      )
      .map((f) => f.constructor.name);
    expect(kinds).toEqual([
      "BotStartedSpeakingFrame",
      "TTSAudioRawFrame",
      "TTSAudioRawFrame",
      "BotStoppedSpeakingFrame",
      "TTSStoppedFrame",
    ]);
    await task.cancel();
    await running;
  });

  it("resamples audio at another rate to the output rate", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput(clock);
    const { task, running, send } = await start(output);
    await send(tts(100, 16000), new TTSStoppedFrame());
    await clock.advance(300);
    const total = output
      .audioWrites()
      .reduce((n, w) => n + (w.frame as OutputAudioRawFrame).audio.byteLength, 0);
    expect(total).toBe(100 * BYTES_PER_MS);
    for (const w of output.audioWrites())
      expect((w.frame as OutputAudioRawFrame).sampleRate).toBe(24000);
    await task.cancel();
    await running;
  });

  it("refuses audio with the wrong channel count with an ErrorFrame", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput(clock);
    const { task, running, send, up } = await start(output);
    await send(
      new OutputAudioRawFrame({ audio: new Uint8Array(960), sampleRate: 24000, numChannels: 2 }),
    );
    await clock.advance(100);
    expect(output.audioWrites()).toHaveLength(0);
    const errors = up.frames.filter((f) => f instanceof ErrorFrame) as ErrorFrame[];
    expect(errors[0]?.error).toMatch(/numChannels 2; allowed: 1/);
    await task.cancel();
    await running;
  });

  it("drops audio with a warning when audio output is disabled (Pipecat's default)", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput(clock, { audioOutEnabled: false });
    const { task, running, send } = await start(output);
    await send(tts(100));
    await clock.advance(200);
    expect(output.audioWrites()).toHaveLength(0);
    await task.cancel();
    await running;
  });
});

describe("frames in step with the audio", () => {
  it("writes sync images and queued messages after the audio before them, urgent ones at once", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput(clock);
    const { task, running, send } = await start(output);
    const t0 = clock.now();
    const synced = image(true);
    const immediate = image(false);
    const queued = new OutputTransportMessageFrame({ n: "queued" });
    const urgent = new OutputTransportMessageUrgentFrame({ n: "urgent" });
    const text = new TTSTextFrame("Hello.", "sentence");
    await send(tts(200), synced, queued, text, tts(80), immediate, urgent);
    // The immediate image and the urgent message did not wait for the audio.
    const early = output.writes.filter((w) => w.kind !== "audio").map((w) => w.frame);
    expect(early).toEqual([immediate, urgent]);
    await clock.advance(500);
    const order = output.writes.map((w) =>
      w.kind === "audio"
        ? "audio"
        : w.frame === synced
          ? "synced"
          : w.frame === queued
            ? "queued"
            : w.frame === text
              ? "text"
              : w.frame === immediate
                ? "immediate"
                : "urgent",
    );
    expect(order).toEqual([
      "audio",
      "audio",
      "immediate",
      "urgent",
      "audio",
      "audio",
      "audio",
      "synced",
      "queued",
      "text",
      "audio",
      "audio",
    ]);
    // The synced image went out when the audio before it had been written (the last chunk of
    // the first 200 ms at 120 ms, then one chunk's wait), before the next audio.
    const syncedAt = output.writes.find((w) => w.frame === synced)?.at;
    expect(syncedAt! - t0).toBe(160);
    await task.cancel();
    await running;
  });

  it("pushes sync frames downstream only once handled", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput(clock);
    const { task, running, send, down } = await start(output);
    const text = new TTSTextFrame("Hi.", "sentence");
    await send(tts(200), text);
    expect(down.frames).not.toContain(text);
    await clock.advance(300);
    expect(down.frames).toContain(text);
    await task.cancel();
    await running;
  });
});

describe("interruptions", () => {
  it("clears queued audio and sync frames at once, resets the clock, stops the bot speaking", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput(clock);
    const { task, running, send, down } = await start(output);
    const lost = new OutputTransportMessageFrame({ n: "lost" });
    await send(new TTSStartedFrame(), tts(1000), lost);
    await clock.advance(100);
    const before = output.audioWrites().length;
    expect(before).toBe(4); // 0, 0, 40, 80
    await send(new InterruptionFrame());
    expect(output.queuedAudioBytes).toBe(0);
    await clock.advance(2000);
    expect(output.audioWrites()).toHaveLength(before);
    expect(output.writes.some((w) => w.frame === lost)).toBe(false);
    // InterruptionFrame first, then BotStoppedSpeaking.
    const names = down.frames
      .filter((f) => f instanceof InterruptionFrame || f instanceof BotStoppedSpeakingFrame)
      .map((f) => f.constructor.name);
    expect(names).toEqual(["InterruptionFrame", "BotStoppedSpeakingFrame"]);
    // New audio after the interruption starts at once.
    const t1 = clock.now();
    await send(tts(80));
    expect(
      output
        .audioWrites()
        .slice(before)
        .map((w) => w.at - t1),
    ).toEqual([0, 0]);
    await task.cancel();
    await running;
  });
});

describe("bot speaking", () => {
  it("broadcasts BotStartedSpeaking with the first TTS chunk, both ways", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput(clock);
    const { task, running, send, down, up } = await start(output);
    await send(tts(80));
    expect(down.frames.filter((f) => f instanceof BotStartedSpeakingFrame)).toHaveLength(1);
    expect(up.frames.filter((f) => f instanceof BotStartedSpeakingFrame)).toHaveLength(1);
    expect(output.botSpeaking).toBe(true);
    // No TTSStoppedFrame: the bot stops speaking after the idle timeout (3 s).
    await clock.advance(2000);
    expect(output.botSpeaking).toBe(true);
    await clock.advance(1500);
    expect(output.botSpeaking).toBe(false);
    expect(down.frames.filter((f) => f instanceof BotStoppedSpeakingFrame)).toHaveLength(1);
    await task.cancel();
    await running;
  });

  it("does not speak for plain (non-TTS) audio", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput(clock);
    const { task, running, send, down } = await start(output);
    await send(new OutputAudioRawFrame({ audio: new Uint8Array(CHUNK * 2), sampleRate: 24000 }));
    await clock.advance(200);
    expect(output.audioWrites()).toHaveLength(2);
    expect(down.frames.some((f) => f instanceof BotStartedSpeakingFrame)).toBe(false);
    await task.cancel();
    await running;
  });
});

describe("bounds and ending", () => {
  it("bounds the FIFO: frame handling waits while maxQueuedAudioSecs are queued, nothing is lost", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput(clock, { maxQueuedAudioSecs: 0.2 });
    const { task, running, send } = await start(output);
    let peak = 0;
    await send(tts(2000));
    for (let i = 0; i < 60; i += 1) {
      peak = Math.max(peak, output.queuedAudioBytes);
      await clock.advance(40);
    }
    expect(peak).toBeLessThanOrEqual(200 * BYTES_PER_MS + CHUNK);
    expect(peak).toBeGreaterThan(0);
    const total = output
      .audioWrites()
      .reduce((n, w) => n + (w.frame as OutputAudioRawFrame).audio.byteLength, 0);
    expect(total).toBe(2000 * BYTES_PER_MS);
    await task.cancel();
    await running;
  });

  it("an interruption frees a frame handler waiting for room, and drops the rest of its audio", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput(clock, { maxQueuedAudioSecs: 0.1 });
    const { task, running, send } = await start(output);
    await send(tts(2000)); // far more than fits: the handler waits for room
    await clock.advance(200);
    const before = output.audioWrites().length;
    await send(new InterruptionFrame());
    await clock.advance(1000);
    expect(output.audioWrites()).toHaveLength(before);
    // The lane is free: new audio goes out at once.
    const t1 = clock.now();
    await send(tts(80));
    expect(
      output
        .audioWrites()
        .slice(before)
        .map((w) => w.at - t1),
    ).toEqual([0, 0]);
    await task.cancel();
    await running;
  });

  it("EndFrame waits for the queued audio to be sent and played, then goes on", async () => {
    const clock = new ManualClock();
    const output = new RecordingOutput(clock);
    const { running, send, down } = await start(output);
    const t0 = clock.now();
    await send(tts(400), new EndFrame());
    let finished = false;
    void running.then(() => (finished = true));
    await clock.advance(300);
    expect(finished).toBe(false);
    expect(down.frames.some((f) => f instanceof EndFrame)).toBe(false);
    await clock.advance(200);
    await running;
    expect(output.audioWrites()).toHaveLength(10);
    expect(down.frames.some((f) => f instanceof EndFrame)).toBe(true);
    // The last chunk went out at 320 ms and played until 400 ms.
    expect(clock.now() - t0).toBeGreaterThanOrEqual(400);
  });
});
