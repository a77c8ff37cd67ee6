// The local Cartesia twin through app.request (no socket): POST /tts/bytes in every container and
// encoding, the three voice shapes, validation errors in Cartesia's shape, GET /voices paging,
// auth, faults, latency, streaming, recording and stats.
import { afterEach, describe, expect, it } from "vitest";
import { pcm16Rms } from "../../../src/audio/pcm.js";
import type {
  SpeechSynthesizer,
  SynthesisRequest,
} from "../../../src/audio/synth/speech-synthesizer.js";
import { SPEECH_VOICES } from "../../../src/audio/synth/voices.js";
import { decodeWav } from "../../../src/audio/wav.js";
import {
  createLocalCartesiaApp,
  type LocalCartesiaApp,
  type LocalCartesiaAppOptions,
} from "../../../src/local/cartesia/index.js";
import { SettingsValidationError } from "../../../src/utils/errors.js";

const VOICE = "71a7ad14-091c-4e8e-a314-022ece01c121";
const apps: LocalCartesiaApp[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function twin(options: LocalCartesiaAppOptions = {}): LocalCartesiaApp {
  const app = createLocalCartesiaApp(options);
  apps.push(app);
  return app;
}

function ttsBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_id: "sonic-3.5",
    transcript: "The quick brown fox jumps over the lazy dog.",
    voice: { mode: "id", id: VOICE },
    output_format: { container: "raw", encoding: "pcm_s16le", sample_rate: 24000 },
    language: "en",
    ...overrides,
  };
}

function post(
  app: LocalCartesiaApp,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return app.request("/tts/bytes", {
    method: "POST",
    headers: { "content-type": "application/json", "cartesia-version": "2026-03-01", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function bytesOf(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

/** Resolves with `hold`, or rejects as soon as the signal aborts (as a real engine stops). */
function untilReleased(hold: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
    hold.then(resolve, reject);
  });
}

/** A synthesizer that says what it was asked, in tones: 10 ms per character, chunked by word. */
class ScriptedSynthesizer implements SpeechSynthesizer {
  readonly engine = "builtin" as const;
  readonly requests: SynthesisRequest[] = [];
  hold: Promise<void> | undefined;
  describe(): string {
    return "speech: scripted (test)";
  }
  async *synthesize(request: SynthesisRequest): AsyncIterable<Uint8Array> {
    this.requests.push(request);
    const words = request.text.split(" ");
    for (const [i, word] of words.entries()) {
      if (i === 1 && this.hold) await untilReleased(this.hold, request.signal);
      request.signal?.throwIfAborted();
      const samples = Math.round((word.length * 10 * request.sampleRate) / 1000);
      const pcm = new Int16Array(samples).map((_v, k) => Math.round(8000 * Math.sin(k / 5)));
      yield new Uint8Array(pcm.buffer);
    }
  }
}

describe("POST /tts/bytes: audio", () => {
  it("speaks with espeak-ng (or the built-in engine) and says which in one line", async () => {
    const app = twin();
    const line = await app.ready();
    expect(line).toMatch(/^speech: (espeak-ng \S+ \(external program|built-in)/);
    expect(app.describe()).toBe(line);
    const response = await post(app, ttsBody());
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/octet-stream");
    const pcm = await bytesOf(response);
    expect(pcm.byteLength % 2).toBe(0);
    const seconds = pcm.byteLength / 2 / 24000;
    expect(seconds).toBeGreaterThan(1);
    expect(pcm16Rms(pcm)).toBeGreaterThan(0.01);
    // A longer transcript gives longer audio.
    const longer = await bytesOf(
      await post(
        app,
        ttsBody({
          transcript: `${String(ttsBody().transcript)} And then it ran far away into the woods.`,
        }),
      ),
    );
    expect(longer.byteLength).toBeGreaterThan(pcm.byteLength * 1.4);
  });

  it("accepts all three voice shapes, any Cartesia-Version, and none", async () => {
    const synth = new ScriptedSynthesizer();
    const app = twin({ synthesizer: synth });
    const other = SPEECH_VOICES[2]?.id as string;
    for (const [voice, version] of [
      [other, "2026-08-14"],
      [{ id: other }, "2024-06-10"],
      [{ mode: "id", id: other }, undefined],
    ] as const) {
      const headers: Record<string, string> = version ? { "cartesia-version": version } : {};
      const response = await app.request("/tts/bytes", {
        method: "POST",
        headers,
        body: JSON.stringify(ttsBody({ voice })),
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    expect(synth.requests.map((r) => r.voice)).toEqual([other, other, other]);
  });

  it("encodes raw f32le, mulaw and alaw at the asked rate, and passes speed and volume on", async () => {
    const synth = new ScriptedSynthesizer();
    const app = twin({ synthesizer: synth });
    const transcript = "abcd efgh"; // 80 ms of audio
    const sizes: Record<string, number> = {};
    for (const encoding of ["pcm_s16le", "pcm_f32le", "pcm_mulaw", "pcm_alaw"]) {
      const response = await post(
        app,
        ttsBody({
          transcript,
          output_format: { container: "raw", encoding, sample_rate: 16000 },
          generation_config: { speed: 1.2, volume: 0.8, emotion: "calm" },
        }),
      );
      expect(response.status).toBe(200);
      sizes[encoding] = (await bytesOf(response)).byteLength;
    }
    const samples = 0.08 * 16000;
    expect(sizes).toEqual({
      pcm_s16le: samples * 2,
      pcm_f32le: samples * 4,
      pcm_mulaw: samples,
      pcm_alaw: samples,
    });
    expect(synth.requests[0]).toMatchObject({ sampleRate: 16000, speed: 1.2, volume: 0.8 });
  });

  it("answers container wav with a WAV header whose sizes match the audio", async () => {
    const app = twin({ synthesizer: new ScriptedSynthesizer() });
    const response = await post(
      app,
      ttsBody({
        transcript: "abcd efgh",
        output_format: { container: "wav", encoding: "pcm_s16le", sample_rate: 22050 },
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("audio/wav");
    const wav = await bytesOf(response);
    expect(String.fromCharCode(...wav.subarray(0, 4))).toBe("RIFF");
    const decoded = decodeWav(wav);
    expect(decoded.sampleRate).toBe(22050);
    expect(decoded.numChannels).toBe(1);
    expect(decoded.pcm.byteLength).toBe(Math.round(0.04 * 22050) * 2 * 2);
    expect(Number(response.headers.get("content-length"))).toBe(wav.byteLength);
  });

  it("streams raw audio as it is made: the first bytes arrive while the synthesis waits", async () => {
    const synth = new ScriptedSynthesizer();
    let release!: () => void;
    synth.hold = new Promise<void>((resolve) => (release = resolve));
    const app = twin({ synthesizer: synth });
    const response = await post(app, ttsBody({ transcript: "first second third" }));
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    expect(first.value?.byteLength).toBe(Math.round(0.05 * 24000) * 2);
    release();
    let rest = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += r.value.byteLength;
    expect(rest).toBe(Math.round(0.06 * 24000) * 2 + Math.round(0.05 * 24000) * 2);
    expect(app.stats()).toMatchObject({ syntheses: 1, characters: 18 });
  });

  it("stops the synthesis when the client goes away", async () => {
    const synth = new ScriptedSynthesizer();
    synth.hold = new Promise<void>(() => undefined); // never released
    const app = twin({ synthesizer: synth });
    const controller = new AbortController();
    const response = await app.request("/tts/bytes", {
      method: "POST",
      body: JSON.stringify(ttsBody({ transcript: "one two" })),
      signal: controller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    await reader.cancel();
    expect(synth.requests[0]?.signal?.aborted).toBe(true);
    expect(app.stats().syntheses).toBe(0);
  });
});

describe("POST /tts/bytes: validation, in Cartesia's error shape", () => {
  const cases: Array<[string, Record<string, unknown> | string, number, RegExp]> = [
    [
      "mp3",
      ttsBody({ output_format: { container: "mp3", sample_rate: 44100, bit_rate: 128000 } }),
      400,
      /"mp3" is not supported by the local Cartesia twin; use "raw" or "wav"/,
    ],
    [
      "bad sample rate",
      ttsBody({ output_format: { container: "raw", encoding: "pcm_s16le", sample_rate: 32000 } }),
      400,
      /output_format\.sample_rate: got 32000; expected one of 8000, 16000, 22050, 24000, 44100, 48000/,
    ],
    [
      "bad encoding",
      ttsBody({ output_format: { container: "raw", encoding: "opus", sample_rate: 24000 } }),
      400,
      /output_format\.encoding: got "opus"/,
    ],
    [
      "no transcript",
      ttsBody({ transcript: "  " }),
      400,
      /transcript: got " {2}"; expected a non-empty string/,
    ],
    ["no model", ttsBody({ model_id: undefined }), 400, /model_id: got nothing/],
    ["unknown model", ttsBody({ model_id: "gpt-4o" }), 400, /model_id: got "gpt-4o"/],
    [
      "embedding voice",
      ttsBody({ voice: { mode: "embedding", embedding: [0.1] } }),
      400,
      /only "id" is supported/,
    ],
    ["voice missing", ttsBody({ voice: undefined }), 400, /Invalid voice: got nothing/],
    ["unknown voice", ttsBody({ voice: "not-a-voice" }), 404, /Voice "not-a-voice" was not found/],
    [
      "language and locale",
      ttsBody({ locale: "en-GB" }),
      400,
      /Set language or locale, never both/,
    ],
    ["bad language", ttsBody({ language: "xx" }), 400, /Invalid language: got "xx"/],
    [
      "speed out of range",
      ttsBody({ generation_config: { speed: 3 } }),
      400,
      /generation_config\.speed: got 3; expected a number from 0\.6 to 1\.5/,
    ],
    [
      "unknown emotion",
      ttsBody({ generation_config: { emotion: "grumpy" } }),
      400,
      /generation_config\.emotion: got "grumpy"/,
    ],
    ["not JSON", "{not json", 400, /Request body is not valid JSON/],
    [
      "nested too deeply (no 500 from the stack)",
      `${"[".repeat(20_000)}${"]".repeat(20_000)}`,
      400,
      /Request body is not valid JSON: JSON is nested deeper than 64 levels/,
    ],
    ["not an object", "[1,2]", 400, /request body: got \[1,2\]; expected a JSON object/],
  ];

  it.each(cases)("%s", async (_name, body, status, message) => {
    const app = twin({ synthesizer: new ScriptedSynthesizer() });
    const response = await post(app, body);
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toBe("application/json");
    const error = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(error).sort()).toEqual(["error_code", "message", "request_id", "title"]);
    expect(error.message).toMatch(message);
    expect(error.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("speaks an unknown voice with the default one when asked to", async () => {
    const synth = new ScriptedSynthesizer();
    const app = twin({ synthesizer: synth, unknownVoice: "default" });
    expect((await post(app, ttsBody({ voice: "my-cloned-voice" }))).status).toBe(200);
    expect(synth.requests[0]?.voice).toBe(VOICE);
  });

  it("answers 404 for unknown paths and 405 (with Allow) for wrong methods", async () => {
    const app = twin({ synthesizer: new ScriptedSynthesizer() });
    const missing = await app.request("/tts/sse", { method: "POST", body: "{}" });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { message: string }).message).toMatch(
      /POST \/tts\/bytes, GET \/voices/,
    );
    const wrong = await app.request("/tts/bytes");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
  });
});

describe("GET /voices", () => {
  const ids = SPEECH_VOICES.map((v) => v.id);
  const list = async (app: LocalCartesiaApp, query = "") => {
    const response = await app.request(`/voices${query}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it("lists the twin's voices in Cartesia's Voice shape, labelled as twin voices", async () => {
    const { status, body } = await list(twin());
    expect(status).toBe(200);
    const data = body.data as Array<Record<string, unknown>>;
    expect(data.map((v) => v.id)).toEqual(ids);
    expect(body.has_more).toBe(false);
    expect(data[0]).toMatchObject({
      id: VOICE,
      name: "British Reading Lady",
      language: "en",
      is_owner: false,
      access: "public",
      visibility: "all",
      tagline: "Local twin voice",
      locales: [{ locale: "en-GB", is_native: true }],
    });
    expect(String(data[0]?.description)).toContain("local stand-in");
  });

  it("pages with limit and starting_after until an empty page, and back with ending_before", async () => {
    const app = twin();
    const first = await list(app, "?limit=4");
    expect((first.body.data as Array<{ id: string }>).map((v) => v.id)).toEqual(ids.slice(0, 4));
    expect(first.body.has_more).toBe(true);
    expect(first.body.next_page).toBe(ids[3]);
    const second = await list(app, `?limit=4&starting_after=${ids[3]}`);
    expect((second.body.data as Array<{ id: string }>).map((v) => v.id)).toEqual(ids.slice(4));
    expect(second.body.has_more).toBe(false);
    const past = await list(app, `?limit=4&starting_after=${ids.at(-1)}`);
    expect(past.body.data).toEqual([]);
    const back = await list(app, `?limit=2&ending_before=${ids[3]}`);
    expect((back.body.data as Array<{ id: string }>).map((v) => v.id)).toEqual(ids.slice(1, 3));
    expect(back.body.has_more).toBe(true);
  });

  it("filters by q, gender and is_owner, and expands preview_file_url", async () => {
    const app = twin();
    const news = await list(app, "?q=NEWS");
    expect((news.body.data as Array<{ name: string }>).map((v) => v.name)).toEqual([
      "Newslady",
      "Newsman",
    ]);
    const women = (await list(app, "?gender=feminine")).body.data as Array<{ gender: string }>;
    expect(women.length).toBeGreaterThan(0);
    expect(women.every((v) => v.gender === "feminine")).toBe(true);
    expect((await list(app, "?is_owner=true")).body.data).toEqual([]);
    const expanded = (await list(app, "?limit=1&expand[]=preview_file_url")).body.data as unknown[];
    expect(expanded[0]).toHaveProperty("preview_file_url", null);
  });

  it("rejects bad queries with a clear message", async () => {
    const app = twin();
    for (const [query, message] of [
      ["?limit=0", /limit: got "0"; expected an integer from 1 to 100/],
      ["?limit=101", /limit/],
      ["?starting_after=nope", /starting_after: no voice with id "nope"/],
      [`?starting_after=${ids[0]}&ending_before=${ids[2]}`, /not both/],
      ["?gender=robot", /gender/],
      ["?expand[]=everything", /expand\[\]/],
    ] as const) {
      const { status, body } = await list(app, query);
      expect(status, query).toBe(400);
      expect(body.message, query).toMatch(message);
    }
  });

  it("GET /voices/{id} answers one voice, or 404", async () => {
    const app = twin();
    const found = await app.request(`/voices/${VOICE}`);
    expect(found.status).toBe(200);
    expect(((await found.json()) as { name: string }).name).toBe("British Reading Lady");
    expect((await app.request("/voices/nope")).status).toBe(404);
  });
});

describe("key check, faults, latency, recording", () => {
  const KEY = "sk_car_twin_secret_42";

  it("accepts X-API-Key and Authorization: Bearer; 401 otherwise, never echoing the key", async () => {
    const app = twin({ synthesizer: new ScriptedSynthesizer(), requiredKey: KEY });
    expect((await post(app, ttsBody(), { "x-api-key": KEY })).status).toBe(200);
    expect((await post(app, ttsBody(), { authorization: `Bearer ${KEY}` })).status).toBe(200);
    const denied = await post(app, ttsBody(), { "x-api-key": "wrong" });
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { message: string }).message).toMatch(/X-API-Key/);
    expect((await app.request("/voices")).status).toBe(401);
    // A key pasted into a path is not echoed back.
    const echoed = await app.request(`/voices/${KEY}`, { headers: { "x-api-key": KEY } });
    expect(await echoed.text()).not.toContain(KEY);
    expect(app.stats().unauthorized).toBe(2);
    const recorded = JSON.stringify(app.requests());
    expect(recorded).not.toContain(KEY);
    expect(app.requests()[0]?.headers).not.toHaveProperty("x-api-key");
  });

  it("injects status faults with Retry-After for a model, then answers normally", async () => {
    const app = twin({
      synthesizer: new ScriptedSynthesizer(),
      faults: [
        {
          operation: "tts",
          model: "sonic-3.5",
          status: 429,
          headers: { "retry-after": "2" },
          times: 1,
        },
      ],
    });
    expect((await post(app, ttsBody({ model_id: "sonic-3" }))).status).toBe(200);
    const limited = await post(app, ttsBody());
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(((await limited.json()) as { error_code: string }).error_code).toBe("injected_fault");
    expect((await post(app, ttsBody())).status).toBe(200);
    expect(app.stats().faultsInjected).toBe(1);
  });

  it("resets, breaks the stream mid-way, and hangs until the client goes away", async () => {
    const app = twin({ synthesizer: new ScriptedSynthesizer() });
    app.setFaults([{ operation: "tts", resetConnection: true, times: 1 }]);
    expect((await post(app, ttsBody())).type).toBe("error");
    app.setFaults([{ operation: "tts", truncateBody: true, times: 1 }]);
    const truncated = await post(app, ttsBody({ transcript: "abcd efgh" }));
    expect(truncated.status).toBe(200);
    await expect(truncated.arrayBuffer()).rejects.toThrow();
    app.setFaults([{ operation: "tts", hang: true, times: 1 }]);
    const controller = new AbortController();
    const hung = app.request("/tts/bytes", {
      method: "POST",
      body: JSON.stringify(ttsBody()),
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    expect((await hung).type).toBe("error");
  });

  it("rejects a latencyMs that is not a delay, naming it", () => {
    for (const latencyMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createLocalCartesiaApp({ latencyMs })).toThrow(SettingsValidationError);
      expect(() => createLocalCartesiaApp({ latencyMs })).toThrow(/latencyMs/);
    }
  });

  it("waits latencyMs before the first byte of each synthesis", async () => {
    const app = twin({ synthesizer: new ScriptedSynthesizer(), latencyMs: 120 });
    const started = performance.now();
    const response = await post(app, ttsBody());
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    expect(response.status).toBe(200);
    // Voices are not delayed by the synthesis latency.
    expect((await app.request("/voices")).status).toBe(200);
  });

  it("records requests with their parsed body and answered status, and counts them", async () => {
    const app = twin({ synthesizer: new ScriptedSynthesizer() });
    await (await post(app, ttsBody({ transcript: "abc" }))).arrayBuffer();
    await (await post(app, ttsBody({ output_format: { container: "mp3" } }))).arrayBuffer();
    const [ok, bad] = app.requests();
    expect(ok).toMatchObject({ method: "POST", operation: "tts", path: "/tts/bytes", status: 200 });
    expect((ok?.body as { transcript?: string } | undefined)?.transcript).toBe("abc");
    expect(bad?.status).toBe(400);
    expect(app.stats()).toMatchObject({
      requests: 2,
      byOperation: { tts: 2 },
      byStatus: { "200": 1, "400": 1 },
    });
  });

  it("refuses requests once stopping, in Cartesia's shape", async () => {
    const app = twin({ synthesizer: new ScriptedSynthesizer() });
    app.stop();
    const response = await post(app, ttsBody());
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error_code: string }).error_code).toBe(
      "service_unavailable",
    );
  });
});
