// Hostile inputs to the local fal server: each test is a row of docs/hostile-inputs-local.md.
// Every row ends in a clear answer or a clean stop, with bounded memory and no key shown.
import { connect } from "node:net";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  createLocalFalApp,
  type LocalFalApp,
  type LocalFalAppOptions,
} from "../../../src/local/fal/index.js";
import { wrapText } from "../../../src/local/fal/font.js";
import { call, start, startWebhookReceiver, submit, waitFor } from "./helpers.js";

const BASE = "http://fal.test";
const apps: LocalFalApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function falApp(options: LocalFalAppOptions = {}): LocalFalApp {
  const app = createLocalFalApp({ publicUrl: BASE, ...options });
  apps.push(app);
  return app;
}

function post(app: LocalFalApp, path: string, body: string, headers: Record<string, string> = {}) {
  return app.request(path, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
}

const SMALL = { image_size: { width: 32, height: 32 } };

describe("hostile JSON bodies", () => {
  it("deeply nested JSON is a 422 json_invalid, not a 500, and is recorded as text", async () => {
    const app = falApp({ requiredKey: "k" });
    const deep = `{"prompt":"x","extra":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const res = await post(app, "/run/fal-ai/fast-sdxl", deep, { authorization: "Key k" });
    expect(res.status).toBe(422);
    const [error] = (await res.json()).detail;
    expect(error).toMatchObject({ type: "json_invalid", loc: ["body", 0] });
    expect(error.ctx.error).toMatch(/nested deeper than \d+ levels/);
    const [entry] = app.requests();
    expect(typeof entry?.body).toBe("string");
    expect(entry?.status).toBe(422);
    expect(app.stats().imagesRendered).toBe(0);
  });

  it("prototype-pollution keys are plain data: nothing is polluted, the record keeps them", async () => {
    const app = falApp({ requiredKey: "k" });
    const body =
      '{"prompt":"x","__proto__":{"polluted":1},"constructor":{"prototype":{"p2":1}},"image_size":{"width":32,"height":32,"__proto__":{"width":9999}}}';
    const res = await post(app, "/run/fal-ai/fast-sdxl", body, { authorization: "Key k" });
    expect(res.status).toBe(200);
    expect((await res.json()).images[0]).toMatchObject({ width: 32, height: 32 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).p2).toBeUndefined();
    const recorded = app.requests()[0]?.body as Record<string, unknown>;
    expect(Object.keys(recorded)).toContain("__proto__");
    expect(Object.getPrototypeOf(recorded)).toBe(Object.prototype);
  });

  it("absurd numbers get Pydantic's errors: 1e309, -0, NaN strings, floats for integers", async () => {
    const app = falApp();
    const cases: Array<[string, string, string]> = [
      ['{"prompt":"x","num_images":1e309}', "num_images", "finite_number"],
      ['{"prompt":"x","num_images":-0}', "num_images", "greater_than_equal"],
      ['{"prompt":"x","guidance_scale":"NaN"}', "guidance_scale", "float_parsing"],
      ['{"prompt":"x","num_inference_steps":2.5}', "num_inference_steps", "int_from_float"],
      ['{"prompt":"x","seed":1e400}', "seed", "finite_number"],
      ['{"prompt":"x","seed":-0.0001}', "seed", "int_from_float"],
    ];
    for (const [body, field, type] of cases) {
      const res = await post(app, "/run/fal-ai/fast-sdxl", body);
      expect(res.status, body).toBe(422);
      expect((await res.json()).detail[0], body).toMatchObject({ loc: ["body", field], type });
    }
  });

  it("NUL and control characters in a prompt are echoed as given and drawn as '?'", async () => {
    const app = falApp();
    const prompt = "a\u0000b\u001b[31mc\u0007\u202e";
    const res = await post(app, "/run/fal-ai/fast-sdxl", JSON.stringify({ prompt, ...SMALL }));
    expect(res.status).toBe(200);
    expect((await res.json()).prompt).toBe(prompt);
  });

  it("a huge prompt is only wrapped as far as it can be drawn", () => {
    const lines = wrapText("word ".repeat(1_000_000), 40, 6);
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(lines[0]).toBe("word word word word word word word word");
  });

  it("huge bodies are recorded as a short preview, not kept whole", async () => {
    const app = falApp({ maxBodyBytes: 4 * 1024 * 1024 });
    const prompt = "p".repeat(2 * 1024 * 1024);
    const res = await post(app, "/run/fal-ai/fast-sdxl", JSON.stringify({ prompt, ...SMALL }));
    expect(res.status).toBe(200);
    const [entry] = app.requests();
    expect(entry?.bodyBytes).toBeGreaterThan(2 * 1024 * 1024);
    expect(typeof entry?.body).toBe("string");
    expect(String(entry?.body).length).toBeLessThanOrEqual(1000);
    expect(entry?.bodyTruncated).toBe(true);
  });
});

describe("hostile sizes and volumes", () => {
  it("num_images × size beyond the per-request pixel budget is refused before rendering", async () => {
    const app = falApp({ maxImagePixels: 64 * 64, maxRequestPixels: 2 * 64 * 64 });
    const body = (n: number) =>
      JSON.stringify({ prompt: "x", num_images: n, image_size: { width: 64, height: 64 } });
    const refused = await post(app, "/run/fal-ai/fast-sdxl", body(3));
    expect(refused.status).toBe(422);
    expect((await refused.json()).detail[0]).toMatchObject({
      loc: ["body", "num_images"],
      type: "image_too_large",
      ctx: { max_request_pixels: 2 * 64 * 64 },
    });
    expect(app.stats().imagesRendered).toBe(0);
    expect((await post(app, "/run/fal-ai/fast-sdxl", body(2))).status).toBe(200);
  });

  it("a full queue answers 429 and enqueues nothing more", async () => {
    const app = falApp({ workers: 1, inferenceMs: 60_000, maxQueuedRequests: 2 });
    const submitOne = () =>
      post(app, "/queue/fal-ai/fast-sdxl", JSON.stringify({ prompt: "x", ...SMALL }));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await submitOne()).status);
    // one runs, two wait, the fourth is refused
    expect(statuses).toEqual([200, 200, 200, 429]);
    const refused = await submitOne();
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toEqual({
      detail: "Too many requests waiting (2): try again later",
    });
    expect(app.stats()).toMatchObject({ submitted: 3, queued: 2, inProgress: 1 });
    const run = await post(app, "/run/fal-ai/fast-sdxl", JSON.stringify({ prompt: "x", ...SMALL }));
    expect(run.status).toBe(429);
  });

  it("finished results are kept within a byte budget (sync_mode data URIs included)", async () => {
    const app = falApp({ maxRetainedResultBytes: 32 * 1024 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const res = await post(
        app,
        "/queue/fal-ai/fast-sdxl",
        JSON.stringify({
          prompt: `big ${i}`,
          sync_mode: true,
          format: "png",
          image_size: { width: 128, height: 128 },
          seed: i,
        }),
      );
      const sub = await res.json();
      ids.push(sub.response_url.slice(BASE.length));
      await waitFor(async () => {
        const r = await app.request(`${sub.response_url.slice(BASE.length)}/status`);
        return (await r.json()).status === "COMPLETED" ? true : undefined;
      });
    }
    const statuses = await Promise.all(ids.map(async (p) => (await app.request(p)).status));
    expect(statuses.at(-1)).toBe(200);
    expect(statuses[0]).toBe(404);
  });
});

describe("hostile webhook targets (SSRF)", () => {
  it("only loopback http(s) URLs are accepted; others are 400 and nothing is queued", async () => {
    const s = await start();
    const refused = [
      "http://example.com/hook",
      "https://169.254.169.254/latest/meta-data/",
      "http://10.0.0.1/hook",
      "http://0.0.0.0:9/hook",
      "http://127.0.0.1@evil.example/hook",
      "http://evil.example#@127.0.0.1/",
      "http://localhost.evil.example/hook",
      "gopher://127.0.0.1:25/x",
      "file:///etc/passwd",
      "javascript:alert(1)",
    ];
    for (const url of refused) {
      const r = await call(
        s.url,
        "POST",
        `/queue/fal-ai/flux/dev?fal_webhook=${encodeURIComponent(url)}`,
        { body: { prompt: "x" } },
      );
      expect(r.status, url).toBe(400);
      expect(r.json.detail, url).toMatch(/fal_webhook .*loopback/);
    }
    expect(s.stats().submitted).toBe(0);
    for (const url of ["http://127.0.0.1:9/ok", "http://localhost:9/ok", "http://[::1]:9/ok"]) {
      const r = await call(
        s.url,
        "POST",
        `/queue/fal-ai/flux/dev?fal_webhook=${encodeURIComponent(url)}`,
        { body: { prompt: "x", ...SMALL } },
      );
      expect(r.status, url).toBe(200);
    }
  });

  it("a webhook receiver's redirect is not followed", async () => {
    const target = await startWebhookReceiver();
    const redirector = createServer((_req, res) => {
      res.writeHead(307, { location: target.url }).end();
    });
    await new Promise<void>((r) => redirector.listen(0, "127.0.0.1", r));
    try {
      const s = await start();
      const port = (redirector.address() as AddressInfo).port;
      await submit(
        s.url,
        "fal-ai/flux/schnell",
        { prompt: "x", ...SMALL },
        `?fal_webhook=${encodeURIComponent(`http://127.0.0.1:${port}/hook`)}`,
      );
      await waitFor(() => (s.stats().webhooksFailed === 1 ? true : undefined));
      expect(target.received).toEqual([]);
    } finally {
      redirector.closeAllConnections();
      await new Promise<void>((r) => redirector.close(() => r()));
    }
  });
});

describe("hostile streaming clients", () => {
  it("a status stream nobody reads does not pile up keep-alive comments", async () => {
    const app = falApp({ workers: 1, inferenceMs: 300, keepaliveMs: 2 });
    const sub = await (
      await post(app, "/queue/fal-ai/fast-sdxl", JSON.stringify({ prompt: "x", ...SMALL }))
    ).json();
    const stream = await app.request(`${sub.status_url.slice(BASE.length)}/stream`);
    // Unread while the job runs (~150 keep-alive intervals) and completes, which ends the stream.
    await new Promise((r) => setTimeout(r, 600));
    const text = await stream.text();
    expect(text).toContain('"status":"COMPLETED"');
    const keepalives = text.split(": keepalive").length - 1;
    expect(keepalives).toBeLessThanOrEqual(3);
  });
});

describe("hostile protocol use", () => {
  it("TRACE is 501; CONNECT is dropped; HTTP/1.0 without Host is 403", async () => {
    const s = await start();
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(s.port, "127.0.0.1", () => socket.write(text));
        let got = "";
        socket.setEncoding("utf8");
        socket.on("data", (d: string) => {
          got += d;
        });
        socket.on("error", () => undefined);
        socket.on("close", () => resolve(got.split("\r\n")[0] ?? ""));
        setTimeout(() => socket.end(), 500);
      });
    const host = `Host: 127.0.0.1:${s.port}\r\nConnection: close`;
    expect(await raw(`TRACE / HTTP/1.1\r\n${host}\r\n\r\n`)).toBe("HTTP/1.1 501 Not Implemented");
    expect(await raw("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")).toBe("");
    expect(await raw("GET /health HTTP/1.0\r\n\r\n")).toBe("HTTP/1.1 403 Forbidden");
    expect(s.stats().requests).toBe(0);
  });

  it("a key in the Host, the Origin, the path or the query is never echoed or logged", async () => {
    const key = "sk-hostile-0123456789";
    const lines: string[] = [];
    const app = falApp({ requiredKey: key, logger: (line) => lines.push(line) });
    const { createHostPolicy } = await import("../../../src/server/host-guard.js");
    app.setHostPolicy(createHostPolicy({ bindAddress: "127.0.0.1", port: 80 }));
    const answers = await Promise.all([
      app.request("/health", { headers: { host: `${key}.example` } }),
      app.request("http://127.0.0.1/health", { headers: { origin: `http://${key}.example` } }),
      app.request(`http://127.0.0.1/files/${key}?k=${key}`),
      app.request(`http://127.0.0.1/nothing/${encodeURIComponent(key)}`),
    ]);
    const bodies = await Promise.all(answers.map((a) => a.text()));
    expect(answers.map((a) => a.status)).toEqual([403, 403, 404, 404]);
    for (const text of [...bodies, ...lines, JSON.stringify(app.requests())]) {
      expect(text).not.toContain(key);
    }
    expect(lines.some((l) => l.includes("refused"))).toBe(true);
  });
});

describe("hostile headers and upload metadata", () => {
  it("an absurd x-fal-request-timeout neither times out at once nor warns", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const app = falApp({ workers: 1, inferenceMs: 60_000 });
      const body = JSON.stringify({ prompt: "x", ...SMALL });
      await post(app, "/queue/fal-ai/fast-sdxl", body); // takes the only worker
      const waiting = await (
        await post(app, "/queue/fal-ai/fast-sdxl", body, { "x-fal-request-timeout": "1e9" })
      ).json();
      await new Promise((r) => setTimeout(r, 50));
      const status = await (await app.request(waiting.status_url.slice(BASE.length))).json();
      expect(status.status).toBe("IN_QUEUE");
      expect(warnings).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("upload initiation refuses a content_type that is not a MIME type, and bounds file names", async () => {
    const app = falApp();
    const initiate = (body: unknown) =>
      post(app, "/rest/storage/upload/initiate", JSON.stringify(body));
    for (const contentType of ["text/html\r\nx-injected: 1", "x".repeat(100_000), "no-slash"]) {
      const res = await initiate({ content_type: contentType, file_name: "a.png" });
      expect(res.status, contentType.slice(0, 20)).toBe(422);
      expect((await res.json()).detail[0]).toMatchObject({ loc: ["body", "content_type"] });
    }
    const res = await initiate({
      content_type: "image/png",
      file_name: `${"n".repeat(100_000)}.png`,
    });
    expect(res.status).toBe(200);
    const { upload_url, file_url } = await res.json();
    expect(file_url.length).toBeLessThan(200);
    const put = await app.request(upload_url.slice(BASE.length), {
      method: "PUT",
      body: new Uint8Array([1, 2, 3]),
      headers: { "content-type": "image/png" },
    });
    expect(put.status).toBe(200);
    const file = await app.request(file_url.slice(BASE.length));
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/png");
  });
});
