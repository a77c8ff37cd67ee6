// CartesiaHttpTTSService against a scripted fake of Cartesia's bytes API: the wire (body, headers),
// streaming (audio pushed before the body ends, bounded frames), the frame order of Pipecat's
// TTSService, sample rates, settings updates, errors and retries, interruption, metrics.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TTSAudioRawFrame } from "../../../src/frames/audio.js";
import type { Frame } from "../../../src/frames/base.js";
import { ErrorFrame } from "../../../src/frames/error.js";
import { InterruptionFrame } from "../../../src/frames/lifecycle.js";
import { LLMFullResponseEndFrame, LLMFullResponseStartFrame } from "../../../src/frames/llm.js";
import {
  MetricsFrame,
  type TTFBMetricsData,
  type TTSUsageMetricsData,
} from "../../../src/frames/metrics.js";
import { TTSUpdateSettingsFrame } from "../../../src/frames/settings.js";
import {
  AggregatedTextFrame,
  TTSSpeakFrame,
  TTSStartedFrame,
  TTSStoppedFrame,
  TTSTextFrame,
} from "../../../src/frames/speech.js";
import { LLMTextFrame, TextFrame } from "../../../src/frames/text.js";
import { CartesiaApiError, CartesiaNetworkError } from "../../../src/services/cartesia/errors.js";
import { CartesiaTTSSettings } from "../../../src/services/cartesia/settings.js";
import {
  CARTESIA_API_VERSION,
  CartesiaHttpTTSService,
  type CartesiaHttpTTSServiceOptions,
} from "../../../src/services/cartesia/tts.js";
import { SettingsValidationError } from "../../../src/utils/errors.js";
import {
  type FakeCartesia,
  MS_PER_CHAR,
  audioFor,
  sendError,
  startFakeCartesia,
  tone,
} from "../../helpers/fake-cartesia.js";
import { startLivePipeline } from "../../helpers/live-pipeline.js";
import { runTest } from "../../helpers/run-test.js";
import { TaggedFrame, silenceLogs } from "../../helpers/test-processors.js";
import { SyncParallelPipeline } from "../../../src/pipeline/sync-parallel-pipeline.js";
import { FrameDirection } from "../../../src/processors/direction.js";
import { FrameProcessor } from "../../../src/processors/frame-processor.js";

const VOICE = "71a7ad14-091c-4e8e-a314-022ece01c121";
const KEY = "sk_car_test_key_123456";
/** Fast retries for tests that exercise them. */
const QUICK_RETRY = { baseDelayMs: 1, maxDelayMs: 5 };

let fake: FakeCartesia;
let restoreLogs: () => void;

beforeEach(async () => {
  fake = await startFakeCartesia();
  restoreLogs = silenceLogs();
});

afterEach(async () => {
  restoreLogs();
  await fake.close();
});

function service(options: CartesiaHttpTTSServiceOptions = {}): CartesiaHttpTTSService {
  return new CartesiaHttpTTSService({
    apiKey: KEY,
    baseUrl: fake.url,
    settings: new CartesiaHttpTTSService.Settings({ voice: VOICE }),
    retry: QUICK_RETRY,
    ...options,
  });
}

const names = (frames: Frame[]): string[] =>
  frames
    .filter((f) => !(f instanceof TTSAudioRawFrame))
    .map((f) => f.constructor.name)
    .filter((n) => n !== "EndFrame");

function audioOf(frames: Frame[]): TTSAudioRawFrame[] {
  return frames.filter((f): f is TTSAudioRawFrame => f instanceof TTSAudioRawFrame);
}

function totalBytes(frames: Frame[]): number {
  return audioOf(frames).reduce((n, f) => n + f.audio.byteLength, 0);
}

function concat(frames: TTSAudioRawFrame[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + f.audio.byteLength, 0));
  let offset = 0;
  for (const f of frames) {
    out.set(f.audio, offset);
    offset += f.audio.byteLength;
  }
  return out;
}

/** A promise with its resolver, for holding a fake answer until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe("CartesiaHttpTTSService: the wire", () => {
  it("POSTs /tts/bytes with Pipecat's headers and body", async () => {
    await runTest(service(), { framesToSend: [new TTSSpeakFrame("Hello world.")] });
    expect(fake.requests).toHaveLength(1);
    const [req] = fake.requests;
    expect(req?.method).toBe("POST");
    expect(req?.path).toBe("/tts/bytes");
    expect(req?.headers["cartesia-version"]).toBe(CARTESIA_API_VERSION);
    expect(CARTESIA_API_VERSION).toBe("2026-03-01");
    expect(req?.headers["x-api-key"]).toBe(KEY);
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(req?.headers.authorization).toBeUndefined();
    expect(req?.body).toEqual({
      model_id: "sonic-3.5",
      transcript: "Hello world.",
      voice: { mode: "id", id: VOICE },
      output_format: { container: "raw", encoding: "pcm_s16le", sample_rate: 24000 },
      language: "en",
    });
  });

  it("sends generation_config, pronunciation_dict_id and a locale's language code when set, and no language when null", async () => {
    const tts = service({
      settings: new CartesiaTTSSettings({
        voice: VOICE,
        model: "sonic-3",
        language: "fr-CA",
        generationConfig: { speed: 1.2, emotion: "calm" },
        pronunciationDictId: "dict-1",
      }),
      extraHeaders: { "X-Trace": "t-1" },
    });
    await runTest(tts, {
      framesToSend: [
        new TTSSpeakFrame("Bonjour."),
        new TTSUpdateSettingsFrame(new CartesiaTTSSettings({ language: null })),
        new TTSSpeakFrame("Salut."),
      ],
    });
    const [first, second] = fake.requests;
    expect(first?.body).toMatchObject({
      model_id: "sonic-3",
      language: "fr",
      generation_config: { speed: 1.2, emotion: "calm" },
      pronunciation_dict_id: "dict-1",
    });
    expect(first?.headers["x-trace"]).toBe("t-1");
    expect(second?.body).not.toHaveProperty("language");
  });

  it("reads CARTESIA_API_KEY and CARTESIA_BASE_URL when no options are given", async () => {
    const saved = { key: process.env.CARTESIA_API_KEY, url: process.env.CARTESIA_BASE_URL };
    process.env.CARTESIA_API_KEY = "sk_car_from_env_0000";
    process.env.CARTESIA_BASE_URL = `${fake.url}/`;
    try {
      const tts = new CartesiaHttpTTSService({
        settings: new CartesiaHttpTTSService.Settings({ voice: VOICE }),
      });
      expect(tts.baseUrl).toBe(fake.url);
      await runTest(tts, { framesToSend: [new TTSSpeakFrame("Hi.")] });
      expect(fake.requests[0]?.headers["x-api-key"]).toBe("sk_car_from_env_0000");
    } finally {
      if (saved.key === undefined) delete process.env.CARTESIA_API_KEY;
      else process.env.CARTESIA_API_KEY = saved.key;
      if (saved.url === undefined) delete process.env.CARTESIA_BASE_URL;
      else process.env.CARTESIA_BASE_URL = saved.url;
    }
  });
});

describe("CartesiaHttpTTSService: construction and settings", () => {
  it("requires a voice, naming the setting and an example", () => {
    expect(() => new CartesiaHttpTTSService({ baseUrl: fake.url })).toThrow(
      SettingsValidationError,
    );
    expect(() => new CartesiaHttpTTSService({ baseUrl: fake.url })).toThrow(/settings\.voice/);
  });

  it("rejects bad values with the field, the value and what is allowed", () => {
    const bad: Array<[() => unknown, RegExp]> = [
      [
        () => service({ sampleRate: 32000 as 24000 }),
        /"sampleRate": 32000.*8000, 16000, 22050, 24000, 44100, 48000/,
      ],
      [() => new CartesiaTTSSettings({ language: "xx" }), /"language": "xx".*en, fr, de/],
      [
        () => new CartesiaTTSSettings({ generationConfig: { speed: 3 } }),
        /"generationConfig.speed": 3.*0.6 to 1.5/,
      ],
      [
        () => new CartesiaTTSSettings({ generationConfig: { volume: 0.1 } }),
        /"generationConfig.volume": 0.1.*0.5 to 2/,
      ],
      [
        () => new CartesiaTTSSettings({ generationConfig: { emotion: "grumpy" } }),
        /"generationConfig.emotion": "grumpy".*neutral/,
      ],
      [() => new CartesiaTTSSettings({ model: "" }), /"model": ""/],
      [() => service({ textAggregationMode: "word" as "token" }), /"textAggregationMode": "word"/],
      [() => service({ baseUrl: "ftp://x" }), /"baseUrl"/],
      [() => service({ timeoutMs: 0 }), /"timeoutMs": 0/],
      [() => service({ maxChunkMs: 5 }), /"maxChunkMs": 5/],
    ];
    for (const [make, message] of bad) {
      expect(make).toThrow(SettingsValidationError);
      expect(make).toThrow(message);
    }
  });

  it("exposes Settings as CartesiaHttpTTSService.Settings with Pipecat's defaults", () => {
    const tts = service();
    expect(CartesiaHttpTTSService.Settings).toBe(CartesiaTTSSettings);
    expect(tts.settings.givenFields()).toEqual({
      model: "sonic-3.5",
      voice: VOICE,
      language: "en",
      generationConfig: null,
      pronunciationDictId: null,
    });
    const fromSnake = CartesiaTTSSettings.fromMapping({
      voice_id: "v2",
      generation_config: { speed: 1 },
    });
    expect(fromSnake.voice).toBe("v2");
    expect(fromSnake.generationConfig).toEqual({ speed: 1 });
  });
});

describe("CartesiaHttpTTSService: frames", () => {
  it("frames an LLM turn as Pipecat does: one context, Started once, Stopped after the response", async () => {
    const { down } = await runTest(service(), {
      framesToSend: [
        new LLMFullResponseStartFrame(),
        new LLMTextFrame("Hello there"),
        new LLMTextFrame(". How are"),
        new LLMTextFrame(" you today?"),
        new LLMFullResponseEndFrame(),
      ],
    });
    expect(names(down)).toEqual([
      "LLMFullResponseStartFrame",
      "AggregatedTextFrame",
      "TTSStartedFrame",
      "TTSTextFrame",
      "AggregatedTextFrame",
      "TTSTextFrame",
      "TTSStoppedFrame",
      "LLMFullResponseEndFrame",
    ]);
    // Audio sits between each sentence's announcement and its TTSTextFrame.
    const kinds = down.map((f) => f.constructor.name);
    const firstText = kinds.indexOf("TTSTextFrame");
    expect(
      kinds
        .slice(kinds.indexOf("TTSStartedFrame") + 1, firstText)
        .every((k) => k === "TTSAudioRawFrame"),
    ).toBe(true);
    expect(firstText - kinds.indexOf("TTSStartedFrame")).toBeGreaterThan(1);

    const texts = down
      .filter((f): f is TTSTextFrame => f instanceof TTSTextFrame)
      .map((f) => f.text);
    expect(texts).toEqual(["Hello there.", "How are you today?"]);
    expect(fake.requests.map((r) => r.body.transcript)).toEqual([
      "Hello there.",
      "How are you today?",
    ]);
    const announced = down.filter(
      (f): f is AggregatedTextFrame => f.constructor === AggregatedTextFrame,
    );
    expect(
      announced.every((f) => f.willBeSpoken && !f.appendToContext && f.aggregatedBy === "sentence"),
    ).toBe(true);

    const ids = new Set(
      down
        .filter(
          (f) =>
            f instanceof AggregatedTextFrame ||
            f instanceof TTSStartedFrame ||
            f instanceof TTSStoppedFrame ||
            f instanceof TTSAudioRawFrame,
        )
        .map((f) => (f as { contextId?: string }).contextId),
    );
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("speaks a bare TextFrame (token mode) as a context of its own, closed before the next frame", async () => {
    const { down } = await runTest(service({ textAggregationMode: "token" }), {
      framesToSend: [new TextFrame("January: snow on pines."), new TextFrame("February: frost.")],
    });
    expect(names(down)).toEqual([
      "AggregatedTextFrame",
      "TTSStartedFrame",
      "TTSTextFrame",
      "TTSStoppedFrame",
      "AggregatedTextFrame",
      "TTSStartedFrame",
      "TTSTextFrame",
      "TTSStoppedFrame",
    ]);
    const started = down.filter((f): f is TTSStartedFrame => f instanceof TTSStartedFrame);
    expect(started[0]?.contextId).not.toBe(started[1]?.contextId);
    const announced = down.find((f): f is AggregatedTextFrame => f instanceof AggregatedTextFrame);
    expect(announced?.aggregatedBy).toBe("token");
  });

  it("holds an unfinished sentence outside a turn until the EndFrame flushes it", async () => {
    const { down } = await runTest(service(), {
      framesToSend: [new TextFrame("One sentence. And a half")],
    });
    expect(fake.requests.map((r) => r.body.transcript)).toEqual(["One sentence.", "And a half"]);
    expect(names(down).filter((n) => n === "TTSStoppedFrame")).toHaveLength(2);
    // The flushed remainder's context closed before the EndFrame went on (runTest drops it).
    expect(down.at(-1)).toBeInstanceOf(TTSStoppedFrame);
  });

  it("speaks a TTSSpeakFrame as it is, and forwards frames it does not handle in order", async () => {
    const { down } = await runTest(service(), {
      framesToSend: [
        new TTSSpeakFrame("Welcome back"),
        new LLMFullResponseStartFrame(),
        new LLMFullResponseEndFrame(),
      ],
    });
    expect(fake.requests.map((r) => r.body.transcript)).toEqual(["Welcome back"]);
    // An empty turn: no Started/Stopped of its own.
    expect(names(down)).toEqual([
      "AggregatedTextFrame",
      "TTSStartedFrame",
      "TTSTextFrame",
      "TTSStoppedFrame",
      "LLMFullResponseStartFrame",
      "LLMFullResponseEndFrame",
    ]);
  });

  it("pushes audio that is bounded (≤ 40 ms), made of whole samples, and equal to what the server sent", async () => {
    const sent = tone(1000, 24000);
    fake.respond(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      // Odd-sized pieces: samples split across network chunks.
      for (let offset = 0; offset < sent.byteLength; offset += 777) {
        res.write(sent.subarray(offset, offset + 777));
        await new Promise((resolve) => setImmediate(resolve));
      }
      res.end();
    });
    const { down } = await runTest(service(), {
      framesToSend: [new TTSSpeakFrame("A long line.")],
    });
    const frames = audioOf(down);
    expect(frames.length).toBeGreaterThanOrEqual(25);
    for (const frame of frames) {
      expect(frame.audio.byteLength % 2).toBe(0);
      expect(frame.audio.byteLength).toBeLessThanOrEqual(1920);
      expect(frame.sampleRate).toBe(24000);
      expect(frame.numChannels).toBe(1);
    }
    expect(concat(frames)).toEqual(sent);
  });

  it("pushes the first audio before the body has ended (half the audio, then a wait)", async () => {
    const hold = gate();
    const sent = tone(400, 24000);
    fake.respond(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(sent.subarray(0, sent.byteLength / 2));
      await hold.promise;
      res.end(sent.subarray(sent.byteLength / 2));
    });
    const live = await startLivePipeline(service());
    await live.send(new TTSSpeakFrame("Streaming works."));
    await live.waitDown((f) => f instanceof TTSAudioRawFrame);
    // The server still holds the second half: the audio so far is at most the first half.
    expect(totalBytes(live.down)).toBeLessThanOrEqual(sent.byteLength / 2);
    expect(totalBytes(live.down)).toBeGreaterThan(0);
    expect(live.down.some((f) => f instanceof TTSTextFrame)).toBe(false);
    hold.open();
    await live.waitDown((f) => f instanceof TTSStoppedFrame);
    expect(totalBytes(live.down)).toBe(sent.byteLength);
    await live.end();
  });
});

describe("CartesiaHttpTTSService in a SyncParallelPipeline branch (example 04's shape)", () => {
  /** Stands in for the image branch: a marker per TextFrame, at once. */
  class Marker extends FrameProcessor {
    override async processFrame(
      frame: Frame,
      direction: FrameDirection,
      signal: AbortSignal,
    ): Promise<void> {
      await super.processFrame(frame, direction, signal);
      if (frame instanceof TextFrame && direction === FrameDirection.DOWNSTREAM)
        await this.pushFrame(new TaggedFrame(frame.text));
      else await this.pushFrame(frame, direction);
    }
  }

  it("produces each sentence's audio inside that sentence's batch, even when the server is slow", async () => {
    fake.respond(async (req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 60));
      res.writeHead(200);
      res.end(audioFor(req));
    });
    const sync = new SyncParallelPipeline(
      [new Marker()],
      [service({ textAggregationMode: "token" })],
      {
        frameOrder: "pipeline",
      },
    );
    const { down } = await runTest(sync, {
      framesToSend: [
        new LLMFullResponseStartFrame(),
        new TextFrame("January: snow."),
        new TextFrame("February: ice."),
        new LLMFullResponseEndFrame(),
      ],
    });
    const order = down
      .map((f) =>
        f instanceof TaggedFrame
          ? `mark:${f.tag}`
          : f instanceof TTSTextFrame
            ? `spoken:${f.text}`
            : f instanceof TTSAudioRawFrame
              ? "audio"
              : "",
      )
      .filter((k) => k !== "")
      .filter((k, i, all) => !(k === "audio" && all[i - 1] === "audio"));
    expect(order).toEqual([
      "mark:January: snow.",
      "audio",
      "spoken:January: snow.",
      "mark:February: ice.",
      "audio",
      "spoken:February: ice.",
    ]);
    expect(down.filter((f) => f instanceof TTSStartedFrame)).toHaveLength(1);
    expect(down.filter((f) => f instanceof TTSStoppedFrame)).toHaveLength(1);
  });
});

describe("CartesiaHttpTTSService: sample rates", () => {
  it("asks for the pipeline's output rate from the StartFrame", async () => {
    const { down } = await runTest(service(), {
      framesToSend: [new TTSSpeakFrame("Sixteen.")],
      taskOptions: { params: { audioOutSampleRate: 16000 } },
    });
    expect(fake.requests[0]?.body.output_format).toMatchObject({ sample_rate: 16000 });
    expect(audioOf(down).every((f) => f.sampleRate === 16000)).toBe(true);
  });

  it("uses its own sampleRate over the pipeline's", async () => {
    const { down } = await runTest(service({ sampleRate: 8000 }), {
      framesToSend: [new TTSSpeakFrame("Eight.")],
      taskOptions: { params: { audioOutSampleRate: 16000 } },
    });
    expect(fake.requests[0]?.body.output_format).toMatchObject({ sample_rate: 8000 });
    expect(audioOf(down).every((f) => f.sampleRate === 8000)).toBe(true);
  });

  it("resamples when the pipeline's rate is one Cartesia does not offer", async () => {
    const { down } = await runTest(service(), {
      framesToSend: [new TTSSpeakFrame("Thirty-two.")],
      taskOptions: { params: { audioOutSampleRate: 32000 } },
    });
    expect(fake.requests[0]?.body.output_format).toMatchObject({ sample_rate: 44100 });
    const frames = audioOf(down);
    expect(frames.every((f) => f.sampleRate === 32000)).toBe(true);
    const seconds = frames.reduce((s, f) => s + f.durationSeconds, 0);
    expect(seconds).toBeCloseTo(("Thirty-two.".length * MS_PER_CHAR) / 1000, 2);
  });
});

describe("CartesiaHttpTTSService: settings updates", () => {
  it("applies a TTSUpdateSettingsFrame to the next request, and accepts a plain-object delta", async () => {
    const tts = service();
    await runTest(tts, {
      framesToSend: [
        new TTSSpeakFrame("One."),
        new TTSUpdateSettingsFrame(new CartesiaTTSSettings({ voice: "voice-2", model: "sonic-3" })),
        new TTSSpeakFrame("Two."),
        new TTSUpdateSettingsFrame({ voice_id: "voice-3" } as never),
        new TTSSpeakFrame("Three."),
      ],
    });
    expect(
      fake.requests.map((r) => [r.body.model_id, (r.body.voice as { id: string }).id]),
    ).toEqual([
      ["sonic-3.5", VOICE],
      ["sonic-3", "voice-2"],
      ["sonic-3", "voice-3"],
    ]);
  });

  it("rejects a bad update with a validation ErrorFrame and keeps the old settings", async () => {
    const { up } = await runTest(service(), {
      framesToSend: [
        new TTSUpdateSettingsFrame({ generation_config: { speed: 9 } } as never),
        new TTSSpeakFrame("Still fine."),
      ],
    });
    const error = up.find((f): f is ErrorFrame => f instanceof ErrorFrame);
    expect(error?.category).toBe("validation");
    expect(error?.error).toMatch(/generationConfig\.speed/);
    expect(fake.requests[0]?.body).not.toHaveProperty("generation_config");
  });

  it("forwards an update addressed to another service", async () => {
    const other = { name: "OtherTTS" };
    const { down } = await runTest(service(), {
      framesToSend: [
        new TTSUpdateSettingsFrame(new CartesiaTTSSettings({ voice: "x" }), { service: other }),
      ],
    });
    expect(down.some((f) => f instanceof TTSUpdateSettingsFrame)).toBe(true);
  });
});

describe("CartesiaHttpTTSService: errors and retries", () => {
  it("turns a 400 into a validation ErrorFrame with Cartesia's message, not retried; the next text is spoken", async () => {
    let calls = 0;
    fake.respond((req, res) => {
      calls += 1;
      if (calls === 1) sendError(res, 400, "Transcript is empty or invalid.");
      else {
        res.writeHead(200);
        res.end(audioFor(req));
      }
    });
    const { up, down } = await runTest(service(), {
      framesToSend: [new TTSSpeakFrame("Bad."), new TTSSpeakFrame("Good.")],
    });
    expect(calls).toBe(2);
    const errors = up.filter((f): f is ErrorFrame => f instanceof ErrorFrame);
    expect(errors).toHaveLength(1);
    const error = errors[0] as ErrorFrame;
    expect(error.category).toBe("validation");
    expect(error.error).toContain("Transcript is empty or invalid.");
    expect(error.error).toContain("HTTP 400");
    expect(error.cause).toBeInstanceOf(CartesiaApiError);
    const cause = error.cause as CartesiaApiError;
    expect(cause.status).toBe(400);
    expect(cause.errorCode).toBe("invalid_request");
    expect(cause.requestId).toBe("req-test-1");
    // The failed text is not reported as spoken; its context still closes.
    const texts = down
      .filter((f): f is TTSTextFrame => f instanceof TTSTextFrame)
      .map((f) => f.text);
    expect(texts).toEqual(["Good."]);
    expect(names(down).filter((n) => n === "TTSStartedFrame")).toHaveLength(2);
    expect(names(down).filter((n) => n === "TTSStoppedFrame")).toHaveLength(2);
  });

  it("retries 429 after the Retry-After the server asked for, then speaks", async () => {
    const times: number[] = [];
    fake.respond((req, res) => {
      times.push(performance.now());
      if (times.length === 1) sendError(res, 429, "Slow down.", { "retry-after": "1" });
      else {
        res.writeHead(200);
        res.end(audioFor(req));
      }
    });
    const { up, down } = await runTest(service(), {
      framesToSend: [new TTSSpeakFrame("Patience.")],
    });
    expect(times).toHaveLength(2);
    // The wait came from Retry-After (1 s), not from the 1 ms backoff.
    expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(950);
    expect(up.filter((f) => f instanceof ErrorFrame)).toHaveLength(0);
    expect(totalBytes(down)).toBeGreaterThan(0);
  });

  it("retries 503 and a connection reset before any audio", async () => {
    let calls = 0;
    fake.respond((req, res) => {
      calls += 1;
      if (calls === 1) sendError(res, 503, "Overloaded.");
      else if (calls === 2) res.socket?.destroy();
      else {
        res.writeHead(200);
        res.end(audioFor(req));
      }
    });
    const { up, down } = await runTest(service(), {
      framesToSend: [new TTSSpeakFrame("Third time.")],
    });
    expect(calls).toBe(3);
    expect(up.filter((f) => f instanceof ErrorFrame)).toHaveLength(0);
    expect(down.some((f) => f instanceof TTSTextFrame)).toBe(true);
  });

  it("gives up after maxRetries with a rate_limit ErrorFrame, and never waits a Retry-After over the limit", async () => {
    let calls = 0;
    fake.respond((_req, res) => {
      calls += 1;
      sendError(res, 429, "Busy.", { "retry-after": "120" });
    });
    const { up } = await runTest(service(), { framesToSend: [new TTSSpeakFrame("Never.")] });
    expect(calls).toBe(1);
    const error = up.find((f): f is ErrorFrame => f instanceof ErrorFrame);
    expect(error?.category).toBe("rate_limit");
    expect((error?.cause as CartesiaApiError | undefined)?.retryAfterMs).toBe(120_000);
  });

  it("does not retry once audio went out: a stream broken mid-way is a network ErrorFrame", async () => {
    let calls = 0;
    fake.respond(async (req, res) => {
      calls += 1;
      res.writeHead(200);
      res.write(audioFor(req).subarray(0, 4800));
      await new Promise((resolve) => setTimeout(resolve, 20));
      res.socket?.destroy();
    });
    const { up, down } = await runTest(service(), {
      framesToSend: [new TTSSpeakFrame("Broken stream.")],
    });
    expect(calls).toBe(1);
    const error = up.find((f): f is ErrorFrame => f instanceof ErrorFrame);
    expect(error?.category).toBe("network");
    expect(error?.cause).toBeInstanceOf(CartesiaNetworkError);
    expect((error?.cause as CartesiaNetworkError | undefined)?.midStream).toBe(true);
    expect(totalBytes(down)).toBe(4800);
    expect(down.some((f) => f instanceof TTSTextFrame)).toBe(false);
    expect(down.some((f) => f instanceof TTSStoppedFrame)).toBe(true);
  });

  it("times out a request that hangs, without retrying it", async () => {
    let calls = 0;
    fake.respond(() => {
      calls += 1; // never answers
    });
    const { up } = await runTest(service({ timeoutMs: 150 }), {
      framesToSend: [new TTSSpeakFrame("Hang.")],
    });
    expect(calls).toBe(1);
    const error = up.find((f): f is ErrorFrame => f instanceof ErrorFrame);
    expect(error?.category).toBe("timeout");
    expect(error?.error).toMatch(/timed out after 150 ms/);
  });

  it("reports an empty answer as an error, and never puts the key in an error", async () => {
    fake.respond((_req, res) => {
      if (fake.requests.length === 1) {
        res.writeHead(200);
        res.end();
      } else sendError(res, 401, `Invalid API key ${KEY}`);
    });
    const { up } = await runTest(service(), {
      framesToSend: [new TTSSpeakFrame("Silence."), new TTSSpeakFrame("Auth.")],
    });
    const errors = up.filter((f): f is ErrorFrame => f instanceof ErrorFrame);
    expect(errors.map((e) => e.category)).toEqual(["server", "authentication"]);
    expect(errors[0]?.error).toMatch(/no audio/);
    expect(errors[1]?.error).not.toContain(KEY);
    expect(errors[1]?.error).toContain("[REDACTED]");
  });
});

describe("CartesiaHttpTTSService: interruption", () => {
  it("aborts the request at once, drops the rest of the audio, and speaks the next text", async () => {
    const hold = gate();
    fake.respond(async (req, res) => {
      res.writeHead(200);
      if (fake.requests.length === 1) {
        res.write(tone(100, 24000));
        await Promise.race([hold.promise, req.aborted]);
        if (!req.wasAborted) res.end(tone(1000, 24000));
      } else res.end(audioFor(req));
    });
    const live = await startLivePipeline(service());
    await live.send(new LLMFullResponseStartFrame());
    await live.send(new LLMTextFrame("This will be cut short. "));
    await live.send(new LLMTextFrame("And this is held"));
    await live.waitDown((f) => f instanceof TTSAudioRawFrame);
    await live.send(new InterruptionFrame());
    await fake.requests[0]?.aborted;
    expect(fake.requests[0]?.wasAborted).toBe(true);
    hold.open();
    const bytesAtInterruption = totalBytes(live.down);
    expect(bytesAtInterruption).toBeLessThanOrEqual(4800);

    // After the interruption: the held half-sentence is gone, a new TTSSpeakFrame is spoken.
    await live.send(new TTSSpeakFrame("Next."));
    await live.waitDown((f) => f instanceof TTSTextFrame && f.text === "Next.");
    await live.send(new LLMFullResponseEndFrame());
    await live.end();
    expect(fake.requests.map((r) => r.body.transcript)).toEqual([
      "This will be cut short.",
      "Next.",
    ]);
    const texts = live.down
      .filter((f): f is TTSTextFrame => f instanceof TTSTextFrame)
      .map((f) => f.text);
    expect(texts).toEqual(["Next."]);
    expect(live.up.some((f) => f instanceof ErrorFrame)).toBe(false);
    // The interrupted turn is forgotten: its End brings no TTSStoppedFrame of its own.
    const stopped = live.down.filter((f) => f instanceof TTSStoppedFrame);
    expect(stopped).toHaveLength(1);
  });
});

describe("CartesiaHttpTTSService: metrics", () => {
  it("reports TTFB (to the first audio byte), processing time and characters", async () => {
    const { down } = await runTest(service(), {
      framesToSend: [new TTSSpeakFrame("Count these characters.")],
      includeMetricsFrames: true,
      taskOptions: { params: { enableMetrics: true, enableUsageMetrics: true } },
    });
    const data = down
      .filter((f): f is MetricsFrame => f instanceof MetricsFrame)
      .flatMap((f) => f.data);
    // The last TTFB entry (the first ones are the task's initial zeroes).
    const ttfb = data
      .filter(
        (d): d is TTFBMetricsData =>
          d.type === "ttfb" && d.processor.includes("CartesiaHttpTTSService"),
      )
      .at(-1);
    expect(ttfb?.value).toBeGreaterThan(0);
    expect(ttfb?.model).toBe("sonic-3.5");
    expect(data.some((d) => d.type === "processing")).toBe(true);
    const usage = data.find((d): d is TTSUsageMetricsData => d.type === "tts_usage");
    expect(usage?.value).toBe("Count these characters.".length);
    // TTFB is reported when the first audio arrives, before that audio goes on.
    const ttfbAt = down.findIndex(
      (f) => f instanceof MetricsFrame && f.data.some((d) => d.type === "ttfb" && d.value > 0),
    );
    expect(ttfbAt).toBeGreaterThan(0);
    expect(ttfbAt).toBeLessThan(down.findIndex((f) => f instanceof TTSAudioRawFrame));
  });

  it("reports no usage when usage metrics are off", async () => {
    const { down } = await runTest(service(), {
      framesToSend: [new TTSSpeakFrame("No usage.")],
      includeMetricsFrames: true,
      taskOptions: { params: { enableMetrics: true } },
    });
    const data = down
      .filter((f): f is MetricsFrame => f instanceof MetricsFrame)
      .flatMap((f) => f.data);
    expect(data.some((d) => d.type === "tts_usage")).toBe(false);
    expect(data.some((d) => d.type === "ttfb")).toBe(true);
  });
});
