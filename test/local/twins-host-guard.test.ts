// The standalone OpenAI and Cartesia twins behind the same Host/Origin guard as the local fal
// server (issue 10: every server we start gets it): DNS rebinding and foreign pages are 403 before
// any work, the loopback names pass, and listening beyond loopback needs allowedHosts.
import { afterEach, describe, expect, it } from "vitest";
import {
  createLocalCartesiaServer,
  startLocalCartesiaServer,
} from "../../src/local/cartesia/index.js";
import { createLocalOpenAIServer, startLocalOpenAIServer } from "../../src/local/openai/index.js";
import { SettingsValidationError } from "../../src/utils/errors.js";
import { sendRaw } from "../helpers/raw-request.js";

const VOICE = "71a7ad14-091c-4e8e-a314-022ece01c121";
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe("local OpenAI twin: Host and Origin", () => {
  it("DNS rebinding (Host: attacker.example:<port>) is 403 in OpenAI's shape; nothing is recorded or written", async () => {
    const server = await startLocalOpenAIServer({ requiredKey: "sk-guard-key" });
    closers.push(() => server.close());
    const headers = {
      host: `attacker.example:${server.port}`,
      origin: `http://attacker.example:${server.port}`,
      authorization: "Bearer sk-guard-key",
    };
    const chat = await sendRaw(server.port, "POST", "/v1/chat/completions", headers, {
      model: "gpt-4.1",
      messages: [{ role: "user", content: "Describe May." }],
    });
    expect(chat.status).toBe(403);
    expect(chat.json).toEqual({
      error: {
        message: `Forbidden: Host "attacker.example:${server.port}" is not allowed`,
        type: "invalid_request_error",
        param: null,
        code: "forbidden_host",
      },
    });
    expect((await sendRaw(server.port, "GET", "/v1/models", headers)).status).toBe(403);
    expect(server.stats()).toMatchObject({ requests: 0, refused: 2, completions: 0 });
    expect(server.requests()).toEqual([]);
  });

  it("a foreign page is 403 under the right Host; loopback names and allowedHosts pass", async () => {
    const server = await startLocalOpenAIServer({ allowedHosts: ["box.local"] });
    closers.push(() => server.close());
    const foreign = await sendRaw(server.port, "GET", "/v1/models", {
      host: `127.0.0.1:${server.port}`,
      origin: "https://evil.example",
    });
    expect(foreign.status).toBe(403);
    for (const host of ["127.0.0.1", "localhost", "box.local"]) {
      const ok = await sendRaw(server.port, "GET", "/v1/models", {
        host: `${host}:${server.port}`,
      });
      expect(ok.status, host).toBe(200);
    }
  });

  it("listening beyond loopback needs allowedHosts: a SettingsValidationError naming it", async () => {
    expect(() => createLocalOpenAIServer({ host: "0.0.0.0" })).toThrow(SettingsValidationError);
    await expect(startLocalOpenAIServer({ host: "::" })).rejects.toThrow(/allowedHosts/);
  });
});

describe("local Cartesia twin: Host and Origin", () => {
  it("DNS rebinding (Host: attacker.example:<port>) is 403 in Cartesia's shape; nothing is synthesized", async () => {
    const server = await startLocalCartesiaServer({ engine: "builtin", requiredKey: "ck-guard" });
    closers.push(() => server.close());
    const headers = {
      host: `attacker.example:${server.port}`,
      origin: `http://attacker.example:${server.port}`,
      "x-api-key": "ck-guard",
    };
    const tts = await sendRaw(server.port, "POST", "/tts/bytes", headers, {
      model_id: "sonic-3.5",
      transcript: "Hello.",
      voice: { mode: "id", id: VOICE },
      output_format: { container: "raw", encoding: "pcm_s16le", sample_rate: 24000 },
    });
    expect(tts.status).toBe(403);
    expect(tts.json).toMatchObject({
      error_code: "forbidden",
      title: "Forbidden",
      message: `Forbidden: Host "attacker.example:${server.port}" is not allowed`,
    });
    expect((await sendRaw(server.port, "GET", "/voices", headers)).status).toBe(403);
    expect(server.stats()).toMatchObject({ requests: 0, refused: 2, syntheses: 0 });
    expect(server.requests()).toEqual([]);
  });

  it("a foreign page is 403 under the right Host; loopback names and allowedHosts pass", async () => {
    const server = await startLocalCartesiaServer({
      engine: "builtin",
      allowedHosts: ["box.local"],
    });
    closers.push(() => server.close());
    const foreign = await sendRaw(server.port, "GET", "/voices", {
      host: `localhost:${server.port}`,
      origin: "https://evil.example",
    });
    expect(foreign.status).toBe(403);
    for (const host of ["127.0.0.1", "localhost", "box.local"]) {
      const ok = await sendRaw(server.port, "GET", "/voices", { host: `${host}:${server.port}` });
      expect(ok.status, host).toBe(200);
    }
  });

  it("listening beyond loopback needs allowedHosts: a SettingsValidationError naming it", async () => {
    expect(() => createLocalCartesiaServer({ host: "0.0.0.0" })).toThrow(SettingsValidationError);
    await expect(startLocalCartesiaServer({ host: "::" })).rejects.toThrow(/allowedHosts/);
  });
});
