// The local Cartesia twin over a real socket with the official client, @cartesia/cartesia-js
// 4.2.0, unmodified: tts.generate in raw and wav, voices.list auto-pagination (which only ends on
// an empty page), voices.get, and its error classes for the twin's answers.
import Cartesia, {
  AuthenticationError,
  BadRequestError,
  NotFoundError,
  RateLimitError,
} from "@cartesia/cartesia-js";
import { afterEach, describe, expect, it } from "vitest";
import { pcm16Rms } from "../../../src/audio/pcm.js";
import { SPEECH_VOICES } from "../../../src/audio/synth/voices.js";
import { decodeWav } from "../../../src/audio/wav.js";
import {
  type LocalCartesiaServer,
  type LocalCartesiaServerOptions,
  startLocalCartesiaServer,
} from "../../../src/local/cartesia/index.js";

const VOICE = "71a7ad14-091c-4e8e-a314-022ece01c121";
const KEY = "sk_car_sdk_test_key";
const servers: LocalCartesiaServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(
  options: LocalCartesiaServerOptions = {},
): Promise<{ server: LocalCartesiaServer; client: Cartesia }> {
  const server = await startLocalCartesiaServer({ requiredKey: KEY, ...options });
  servers.push(server);
  // No retries: a deliberate fault must surface at once.
  const client = new Cartesia({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
  return { server, client };
}

describe("@cartesia/cartesia-js 4.2.0 against the local twin", () => {
  it("tts.generate (raw pcm_s16le): real speech, with the SDK's own headers", async () => {
    const { server, client } = await start();
    const response = await client.tts.generate({
      model_id: "sonic-3.5",
      transcript: "Hello from the local Cartesia twin.",
      voice: { mode: "id", id: VOICE },
      output_format: { container: "raw", encoding: "pcm_s16le", sample_rate: 24000 },
      language: "en",
    });
    const pcm = new Uint8Array(await response.arrayBuffer());
    expect(pcm.byteLength / 2 / 24000).toBeGreaterThan(1);
    expect(pcm16Rms(pcm)).toBeGreaterThan(0.01);
    const [recorded] = server.requests();
    // The SDK authenticates with a Bearer token and its own API version.
    expect(recorded?.headers["cartesia-version"]).toBe("2026-08-14");
    expect(recorded?.headers).not.toHaveProperty("authorization");
    expect((recorded?.body as { voice?: unknown } | undefined)?.voice).toEqual({
      mode: "id",
      id: VOICE,
    });
  });

  it("tts.generate (wav, bare voice id string): a WAV file of the asked rate", async () => {
    const { client } = await start();
    const response = await client.tts.generate({
      model_id: "sonic-3",
      transcript: "A short sentence.",
      voice: VOICE,
      output_format: { container: "wav", encoding: "pcm_s16le", sample_rate: 16000 },
    });
    const wav = decodeWav(new Uint8Array(await response.arrayBuffer()));
    expect(wav.sampleRate).toBe(16000);
    expect(wav.numChannels).toBe(1);
    expect(wav.pcm.byteLength).toBeGreaterThan(16000);
    expect(pcm16Rms(wav.pcm)).toBeGreaterThan(0.01);
  });

  it("voices.list auto-paginates through every voice and stops", async () => {
    const { server, client } = await start();
    const seen: string[] = [];
    for await (const voice of client.voices.list({ limit: 4 })) seen.push(voice.id);
    expect(seen).toEqual(SPEECH_VOICES.map((v) => v.id));
    // Pages of 4, 2, then the empty page that ends the SDK's iteration.
    const queries = server.requests().map((r) => r.query);
    expect(queries).toEqual([
      { limit: "4" },
      { limit: "4", starting_after: SPEECH_VOICES[3]?.id },
      { limit: "4", starting_after: SPEECH_VOICES[5]?.id },
    ]);
    const page = await client.voices.list({ q: "barbershop" });
    expect(page.data.map((v) => v.name)).toEqual(["Barbershop Man"]);
    const voice = await client.voices.get(VOICE);
    expect(voice.name).toBe("British Reading Lady");
  });

  it("maps the twin's errors onto the SDK's classes, with Cartesia's message", async () => {
    const { server, client } = await start();
    const generate = (overrides: Record<string, unknown>) =>
      client.tts.generate({
        model_id: "sonic-3.5",
        transcript: "Hi.",
        voice: VOICE,
        output_format: { container: "raw", encoding: "pcm_s16le", sample_rate: 24000 },
        ...overrides,
      } as Parameters<typeof client.tts.generate>[0]);

    const mp3 = generate({
      output_format: { container: "mp3", sample_rate: 44100, bit_rate: 128000 },
    });
    await expect(mp3).rejects.toBeInstanceOf(BadRequestError);
    await expect(mp3).rejects.toThrow(/400 .*"mp3" is not supported by the local Cartesia twin/);

    await expect(generate({ voice: "nobody" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.voices.get("nobody")).rejects.toBeInstanceOf(NotFoundError);

    const stranger = new Cartesia({ apiKey: "wrong", baseURL: server.url, maxRetries: 0 });
    await expect(stranger.voices.list().then((page) => page.data)).rejects.toBeInstanceOf(
      AuthenticationError,
    );

    server.setFaults([
      { operation: "tts", status: 429, headers: { "retry-after": "1" }, times: 1 },
    ]);
    const limited = await generate({}).catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).headers.get("retry-after")).toBe("1");
  });
});
