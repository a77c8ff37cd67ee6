// All three twins on one port (src/local/servers.ts): the official clients (@fal-ai/client,
// openai, @cartesia/cartesia-js) against the same port; the shared key, latency and Host/Origin
// guard; what the handle says; and where each request-target goes.
import Cartesia from "@cartesia/cartesia-js";
import { createFalClient } from "@fal-ai/client";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { pcm16Rms } from "../../src/audio/pcm.js";
import { localFalFetch } from "../../src/local/fal/index.js";
import {
  type LocalServers,
  type LocalServersOptions,
  createLocalServers,
  startLocalServers,
  twinForTarget,
} from "../../src/local/servers.js";
import { SettingsValidationError } from "../../src/utils/errors.js";
import { sendRaw } from "../helpers/raw-request.js";

const KEY = "twin-shared-key-123";
const VOICE = "71a7ad14-091c-4e8e-a314-022ece01c121";
const PROMPT =
  "Describe a nature photograph suitable for use in a calendar, for the month of April. Include only the image description with no preamble. Limit the description to one sentence, please.";

const started: LocalServers[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function start(options: LocalServersOptions = {}): Promise<LocalServers> {
  const twins = await startLocalServers({ cartesia: { engine: "builtin" }, ...options });
  started.push(twins);
  return twins;
}

describe("twinForTarget", () => {
  it.each([
    ["/v1/chat/completions", "openai"],
    ["/v1/models?limit=2", "openai"],
    ["/v1", "openai"],
    ["/tts/bytes", "cartesia"],
    ["/voices", "cartesia"],
    ["/voices/abc?x=1", "cartesia"],
    ["/run/fal-ai/fast-sdxl", "fal"],
    ["/queue/fal-ai/flux/dev/requests/1/status", "fal"],
    ["/api/fal/proxy", "fal"],
    ["/", "fal"],
    ["/v1x/chat", "fal"],
    ["/%76%31/models", "fal"],
    ["/ttsbytes", "fal"],
    ["http://127.0.0.1:8787/v1/models", "openai"],
    ["*", "fal"],
  ])("%s → %s", (target, twin) => {
    expect(twinForTarget(target)).toBe(twin);
  });
});

describe("the three twins on one port, with the official clients", () => {
  it("@fal-ai/client, openai (streaming and whole, models) and @cartesia/cartesia-js all answer on one port", async () => {
    const twins = await start({ requiredKey: KEY });
    expect(twins.baseUrls).toEqual({
      fal: twins.url,
      openai: `${twins.url}/v1`,
      cartesia: twins.url,
    });

    const fal = createFalClient({ credentials: KEY, fetch: localFalFetch(twins.baseUrls.fal) });
    const image = await fal.run("fal-ai/fast-sdxl", {
      input: { prompt: "a calendar meadow", image_size: "square", seed: 3 },
    });
    expect(image.data.images[0]).toMatchObject({ width: 512, height: 512 });
    expect(image.data.images[0]?.url.startsWith(`${twins.url}/files/`)).toBe(true);

    const openai = new OpenAI({ apiKey: KEY, baseURL: twins.baseUrls.openai, maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: "gpt-4.1",
      messages: [{ role: "user", content: PROMPT }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toMatch(/^[A-Z].*\.$/);
    expect(usage).toMatchObject({ completion_tokens: expect.any(Number) });
    const whole = await openai.chat.completions.create({
      model: "gpt-4.1",
      messages: [{ role: "user", content: PROMPT }],
    });
    expect(whole.choices[0]?.message.content).toBe(text);
    const models = await openai.models.list();
    expect(models.data.map((m) => m.id)).toContain("pipecat-ts-scripted-llm");

    const cartesia = new Cartesia({ apiKey: KEY, baseURL: twins.baseUrls.cartesia, maxRetries: 0 });
    const speech = await cartesia.tts.generate({
      model_id: "sonic-3.5",
      transcript: "April: a meadow of bluebells under birch trees.",
      voice: { mode: "id", id: VOICE },
      output_format: { container: "raw", encoding: "pcm_s16le", sample_rate: 24000 },
    });
    const pcm = new Uint8Array(await speech.arrayBuffer());
    expect(pcm.byteLength / 2 / 24000).toBeGreaterThan(1);
    expect(pcm16Rms(pcm)).toBeGreaterThan(0.01);
    const voices = [];
    for await (const voice of cartesia.voices.list()) voices.push(voice.id);
    expect(voices).toContain(VOICE);

    // Each twin counted its own requests, and none of them recorded the key.
    expect(twins.fal.stats().runs).toBe(1);
    expect(twins.openai.stats()).toMatchObject({ completions: 2, streamed: 1 });
    expect(twins.cartesia.stats().syntheses).toBe(1);
    const recorded = JSON.stringify([
      twins.fal.requests(),
      twins.openai.requests(),
      twins.cartesia.requests(),
    ]);
    expect(recorded).not.toContain(KEY);
  }, 30_000);

  it("the shared key: each twin wants it the way its provider's clients send it", async () => {
    const twins = await start({ requiredKey: KEY });
    const host = `127.0.0.1:${twins.port}`;
    const falBody = { prompt: "x", image_size: "square" };
    const ttsBody = {
      model_id: "sonic-3.5",
      transcript: "Hi.",
      voice: { mode: "id", id: VOICE },
      output_format: { container: "raw", encoding: "pcm_s16le", sample_rate: 24000 },
    };
    const cases: Array<[string, string, Record<string, string>, unknown, number]> = [
      ["POST", "/run/fal-ai/fast-sdxl", {}, falBody, 401],
      ["POST", "/run/fal-ai/fast-sdxl", { authorization: `Key ${KEY}` }, falBody, 200],
      ["GET", "/v1/models", {}, undefined, 401],
      ["GET", "/v1/models", { authorization: `Bearer ${KEY}` }, undefined, 200],
      ["POST", "/tts/bytes", {}, ttsBody, 401],
      ["POST", "/tts/bytes", { "x-api-key": KEY }, ttsBody, 200],
    ];
    for (const [method, path, headers, body, status] of cases) {
      const answer = await sendRaw(twins.port, method, path, { host, ...headers }, body);
      expect(answer.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(status);
    }
    expect(twins.fal.stats().unauthorized).toBe(1);
    expect(twins.openai.stats().unauthorized).toBe(1);
    expect(twins.cartesia.stats().unauthorized).toBe(1);
  });

  it("the shared latency delays each twin's answer (a lower bound only)", async () => {
    const twins = await start({ latencyMs: 150 });
    const openai = new OpenAI({ apiKey: "any", baseURL: twins.baseUrls.openai, maxRetries: 0 });
    const fal = createFalClient({ credentials: "any", fetch: localFalFetch(twins.baseUrls.fal) });
    const cartesia = new Cartesia({ apiKey: "any", baseURL: twins.baseUrls.cartesia });
    const timed = async (work: () => Promise<unknown>) => {
      const t0 = performance.now();
      await work();
      return performance.now() - t0;
    };
    const [llm, image, tts] = await Promise.all([
      timed(() =>
        openai.chat.completions.create({
          model: "gpt-4.1",
          messages: [{ role: "user", content: PROMPT }],
        }),
      ),
      timed(() => fal.run("fal-ai/fast-sdxl", { input: { prompt: "x", image_size: "square_hd" } })),
      timed(async () => {
        const r = await cartesia.tts.generate({
          model_id: "sonic-3.5",
          transcript: "Hi.",
          voice: { mode: "id", id: VOICE },
          output_format: { container: "raw", encoding: "pcm_s16le", sample_rate: 24000 },
        });
        await r.arrayBuffer();
      }),
    ]);
    for (const ms of [llm, image, tts]) expect(ms).toBeGreaterThanOrEqual(145);
  });

  it("describe(): one line per twin with its base URL, each labelled a twin, never a model", async () => {
    const twins = await start();
    const lines = twins.describe();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`fal: ${twins.url} (a preview renderer twin, not a model)`);
    expect(lines[1]).toBe(`OpenAI: ${twins.url}/v1 (a scripted LLM twin, not a model)`);
    expect(lines[2]).toMatch(
      new RegExp(`^Cartesia: ${twins.url} \\(a speech twin; speech: built-in formant synthesizer`),
    );
    expect(twins.cartesia.describe()).toMatch(/^speech: /);
  });

  it("GET / describes all three twins on the port, each labelled a twin (fal's GET / alone names fal)", async () => {
    const twins = await start();
    const response = await fetch(`${twins.url}/`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      name: string;
      description: string;
      twins: Record<string, { description: string; routes: string[] }>;
    };
    expect(body.name).toBe("local-twins");
    expect(body.description).toMatch(/not models/);
    expect(Object.keys(body.twins)).toEqual(["fal", "openai", "cartesia"]);
    expect(body.twins.fal?.routes).toContain("/run/{model}");
    expect(body.twins.openai?.routes).toEqual(["/v1/chat/completions", "/v1/models"]);
    expect(body.twins.cartesia?.routes).toContain("/tts/bytes");
    for (const twin of Object.values(body.twins)) expect(twin.description).toMatch(/not a model/);
    expect(body.twins.cartesia?.description).toMatch(/built-in formant synthesizer/);
    // The guard still runs first: a rebound name gets fal's 403, not the description.
    const evil = await sendRaw(twins.port, "GET", "/", { host: `attacker.example:${twins.port}` });
    expect(evil.status).toBe(403);
    // Other paths are each twin's own.
    const health = await fetch(`${twins.url}/health`);
    expect(((await health.json()) as { name: string }).name).toBe("local-fal");
  });

  it("close() is idempotent and ends a stream in flight", async () => {
    const twins = await start({ openai: { tokenDelayMs: 50 } });
    const openai = new OpenAI({ apiKey: "any", baseURL: twins.baseUrls.openai, maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: "gpt-4.1",
      messages: [{ role: "user", content: PROMPT }],
      stream: true,
    });
    const reading = (async () => {
      for await (const _chunk of stream) {
        // read until the server closes
      }
    })();
    await Promise.all([twins.close(), twins.close()]);
    await expect(reading).rejects.toThrow();
    await expect(fetch(`${twins.baseUrls.openai}/models`)).rejects.toThrow();
  });
});

describe("the three twins on one port: Host and Origin", () => {
  it("DNS rebinding is 403 on every twin's routes, in each twin's error shape, before any work", async () => {
    const twins = await start();
    const evil = { host: `attacker.example:${twins.port}`, origin: "http://attacker.example" };
    const fal = await sendRaw(twins.port, "POST", "/run/fal-ai/fast-sdxl", evil, { prompt: "x" });
    expect(fal.status).toBe(403);
    expect(fal.json).toEqual({ detail: `Host "attacker.example:${twins.port}" is not allowed` });
    const openai = await sendRaw(twins.port, "POST", "/v1/chat/completions", evil, {
      model: "gpt-4.1",
      messages: [{ role: "user", content: PROMPT }],
    });
    expect(openai.status).toBe(403);
    expect(openai.json.error).toMatchObject({
      message: expect.stringMatching(/attacker\.example/),
      type: "invalid_request_error",
      code: "forbidden_host",
    });
    const cartesia = await sendRaw(twins.port, "POST", "/tts/bytes", evil, { transcript: "x" });
    expect(cartesia.status).toBe(403);
    expect(cartesia.json).toMatchObject({ error_code: "forbidden", title: "Forbidden" });
    const voices = await sendRaw(twins.port, "GET", "/voices", evil);
    expect(voices.status).toBe(403);
    const unknown = await sendRaw(twins.port, "GET", "/nowhere", evil);
    expect(unknown.status).toBe(403);

    expect(twins.fal.stats()).toMatchObject({ requests: 0, refused: 2, runs: 0 });
    expect(twins.openai.stats()).toMatchObject({ requests: 0, refused: 1, completions: 0 });
    expect(twins.cartesia.stats()).toMatchObject({ requests: 0, refused: 2, syntheses: 0 });
    expect([
      ...twins.fal.requests(),
      ...twins.openai.requests(),
      ...twins.cartesia.requests(),
    ]).toEqual([]);
  });

  it("a page of another origin is refused under the right Host; allowedOrigins lets a named one in", async () => {
    const twins = await start({ allowedOrigins: ["http://localhost:3000"] });
    const host = `localhost:${twins.port}`;
    const foreign = await sendRaw(twins.port, "GET", "/v1/models", {
      host,
      origin: "https://evil.example",
    });
    expect(foreign.status).toBe(403);
    const named = await sendRaw(twins.port, "GET", "/v1/models", {
      host,
      origin: "http://localhost:3000",
    });
    expect(named.status).toBe(200);
    const same = await sendRaw(twins.port, "GET", "/voices", {
      host,
      origin: `http://localhost:${twins.port}`,
    });
    expect(same.status).toBe(200);
  });

  it("rejects a shared latencyMs that is not a delay, naming it", () => {
    expect(() => createLocalServers({ latencyMs: -5 })).toThrow(SettingsValidationError);
    expect(() => createLocalServers({ latencyMs: Number.NaN })).toThrow(/latencyMs/);
  });

  it("listening beyond loopback needs allowedHosts (a SettingsValidationError naming it); allowed names pass", async () => {
    expect(() => createLocalServers({ host: "0.0.0.0" })).toThrow(SettingsValidationError);
    await expect(startLocalServers({ host: "::", port: 0 })).rejects.toThrow(/allowedHosts/);
    // Tests listen on loopback only; the allow-list works the same there.
    const twins = await start({ allowedHosts: ["box.local"] });
    expect(twins.loopbackOnly).toBe(true);
    const ok = await sendRaw(twins.port, "GET", "/v1/models", { host: `box.local:${twins.port}` });
    expect(ok.status).toBe(200);
    const other = await sendRaw(twins.port, "GET", "/v1/models", {
      host: `other.local:${twins.port}`,
    });
    expect(other.status).toBe(403);
  });
});
