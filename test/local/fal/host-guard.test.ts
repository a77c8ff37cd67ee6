// The local fal server under a foreign Host or Origin (DNS rebinding, cross-site pages), its
// allow-list, and the URLs it hands out to clients that reach it by another name.
import { describe, expect, it } from "vitest";
import {
  createLocalFalApp,
  createLocalFalServer,
  startLocalFalServer,
} from "../../../src/local/fal/index.js";
import { createHostPolicy } from "../../../src/server/host-guard.js";
import { SettingsValidationError } from "../../../src/utils/errors.js";
import { type RawAnswer, sendRaw } from "../../helpers/raw-request.js";
import { start } from "./helpers.js";

const INPUT = { prompt: "a lighthouse", image_size: "square", seed: 1 };

const send = sendRaw;

describe("local fal server: Host and Origin", () => {
  it("DNS rebinding (Host: attacker.example:<port>) is 403, and nothing is recorded or generated", async () => {
    const s = await start({ requiredKey: "k-123" });
    const headers = {
      host: `attacker.example:${s.port}`,
      origin: `http://attacker.example:${s.port}`,
      authorization: "Key k-123",
    };
    const run = await send(s.port, "POST", "/run/fal-ai/fast-sdxl", headers, INPUT);
    expect(run.status).toBe(403);
    expect(run.json).toEqual({ detail: `Host "attacker.example:${s.port}" is not allowed` });
    expect(run.headers["content-type"]).toBe("application/json");
    const submit = await send(s.port, "POST", "/queue/fal-ai/fast-sdxl", headers, INPUT);
    expect(submit.status).toBe(403);
    const upgrade = await send(s.port, "GET", "/", {
      ...headers,
      connection: "Upgrade",
      upgrade: "websocket",
    });
    expect(upgrade.status).toBe(403);
    expect(s.requests()).toEqual([]);
    expect(s.stats()).toMatchObject({
      requests: 0,
      submitted: 0,
      runs: 0,
      imagesRendered: 0,
      refused: 3,
    });
  });

  it("a page of another origin is 403, even under the right Host", async () => {
    const s = await start();
    const answer = await send(
      s.port,
      "POST",
      "/run/fal-ai/fast-sdxl",
      { host: `127.0.0.1:${s.port}`, origin: "https://evil.example" },
      INPUT,
    );
    expect(answer.status).toBe(403);
    expect(answer.json.detail).toMatch(/Origin "https:\/\/evil\.example" is not allowed/);
    expect(s.stats().imagesRendered).toBe(0);
  });

  it("the loopback names pass; allowedOrigins lets a named dev page through", async () => {
    const s = await start({ allowedOrigins: ["http://localhost:3000"] });
    for (const host of [`127.0.0.1:${s.port}`, `localhost:${s.port}`]) {
      const answer = await send(s.port, "POST", "/run/fal-ai/fast-sdxl", { host }, INPUT);
      expect(answer.status, host).toBe(200);
    }
    const page = await send(
      s.port,
      "POST",
      "/run/fal-ai/fast-sdxl",
      { host: `localhost:${s.port}`, origin: "http://localhost:3000" },
      INPUT,
    );
    expect(page.status).toBe(200);
  });

  it("listening beyond loopback needs allowedHosts: a SettingsValidationError naming it", async () => {
    expect(() => createLocalFalServer({ host: "0.0.0.0" })).toThrow(SettingsValidationError);
    expect(() => createLocalFalServer({ host: "::" })).toThrow(/allowedHosts/);
    await expect(startLocalFalServer({ host: "192.168.1.5", port: 0 })).rejects.toThrow(
      /allowedHosts/,
    );
  });
});

describe("local fal server: generated URLs follow the Host the client used", () => {
  it("an allowed name in Host gives URLs under that name (queue, status, result, images)", async () => {
    const s = await start({ allowedHosts: ["box.local"] });
    const host = `box.local:${s.port}`;
    const run = await send(s.port, "POST", "/run/fal-ai/fast-sdxl", { host }, INPUT);
    expect(run.status).toBe(200);
    expect(run.json.images[0].url).toMatch(new RegExp(`^http://box\\.local:${s.port}/files/`));
    const submitted = await send(s.port, "POST", "/queue/fal-ai/fast-sdxl", { host }, INPUT);
    expect(submitted.json.status_url).toMatch(
      new RegExp(`^http://box\\.local:${s.port}/queue/fal-ai/fast-sdxl/requests/`),
    );
    const path = new URL(submitted.json.response_url).pathname;
    let result: RawAnswer;
    for (;;) {
      result = await send(s.port, "GET", path, { host });
      if (result.status !== 400) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(result.json.images[0].url).toMatch(new RegExp(`^http://box\\.local:${s.port}/files/`));
    // The same server reached on loopback hands out loopback URLs.
    const local = await send(
      s.port,
      "POST",
      "/run/fal-ai/fast-sdxl",
      {
        host: `127.0.0.1:${s.port}`,
      },
      INPUT,
    );
    expect(local.json.images[0].url.startsWith(`http://127.0.0.1:${s.port}/files/`)).toBe(true);
    // The file is served under either name.
    const file = await send(s.port, "GET", new URL(run.json.images[0].url).pathname, { host });
    expect(file.status).toBe(200);
  });

  it("publicUrl wins over the Host of the request", async () => {
    const s = await start({ allowedHosts: ["box.local"], publicUrl: "https://fal.example.org/" });
    const run = await send(
      s.port,
      "POST",
      "/run/fal-ai/fast-sdxl",
      { host: `box.local:${s.port}` },
      INPUT,
    );
    expect(run.json.images[0].url).toMatch(/^https:\/\/fal\.example\.org\/files\//);
    expect(s.url).toBe("https://fal.example.org");
  });

  it("a publicUrl that is not an absolute http(s) URL is a SettingsValidationError naming it", () => {
    for (const bad of ["garbage", "ftp://x", "http://x/?q=1", "/relative"]) {
      expect(() => createLocalFalApp({ publicUrl: bad }), bad).toThrow(/publicUrl/);
    }
  });

  it("an app without a socket can be given a host policy", async () => {
    const app = createLocalFalApp({
      publicUrl: "http://fal.test",
      hostPolicy: createHostPolicy({ bindAddress: "127.0.0.1", port: 8787 }),
    });
    try {
      expect((await app.request("http://127.0.0.1:8787/")).status).toBe(200);
      expect((await app.request("http://attacker.example:8787/")).status).toBe(403);
    } finally {
      await app.close();
    }
  });
});
