// The local fal server's handlers and middleware chain, through app.request(): no socket.
import { afterEach, describe, expect, it } from "vitest";
import {
  createLocalFalApp,
  type LocalFalApp,
  type LocalFalAppOptions,
} from "../../../src/local/fal/index.js";
import { InferenceGate } from "./helpers.js";

const BASE = "http://fal.test";
const INPUT = { prompt: "a lighthouse", image_size: "square", seed: 3 };
const apps: LocalFalApp[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function falApp(options: LocalFalAppOptions = {}): LocalFalApp {
  const app = createLocalFalApp({ publicUrl: BASE, ...options });
  apps.push(app);
  return app;
}

function post(app: LocalFalApp, path: string, body: unknown, headers: Record<string, string> = {}) {
  return app.request(path, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });
}

/** The path of an absolute URL the app generated. */
const pathOf = (url: string): string => url.slice(BASE.length);

async function waitCompleted(app: LocalFalApp, statusUrl: string): Promise<any> {
  for (;;) {
    const body = await (await app.request(pathOf(statusUrl))).json();
    if (body.status === "COMPLETED") return body;
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("local fal app: run", () => {
  it("answers the output with its request id; images are served from the file store", async () => {
    const app = falApp();
    const res = await post(app, "/run/fal-ai/flux/dev", INPUT);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-fal-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const out = await res.json();
    expect(out).toMatchObject({ seed: 3, prompt: "a lighthouse", has_nsfw_concepts: [false] });
    const [image] = out.images;
    expect(image.url.startsWith(`${BASE}/files/`)).toBe(true);
    const file = await app.request(pathOf(image.url));
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/jpeg");
    expect(file.headers.get("content-security-policy")).toBe("sandbox");
    expect((await file.arrayBuffer()).byteLength).toBe(image.file_size);
  });

  it("unknown model 404, invalid JSON 422 json_invalid, invalid input 422 with field errors", async () => {
    const app = falApp();
    const unknown = await post(app, "/run/acme/nothing", "{not json");
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ detail: "Application 'acme/nothing' not found" });
    const broken = await post(app, "/run/fal-ai/flux/dev", "{not json");
    expect(broken.status).toBe(422);
    expect((await broken.json()).detail[0]).toMatchObject({
      type: "json_invalid",
      loc: ["body", 0],
    });
    const invalid = await post(app, "/run/fal-ai/flux/dev", { prompt: "x", num_images: 9 });
    expect(invalid.status).toBe(422);
    expect((await invalid.json()).detail[0]).toMatchObject({ loc: ["body", "num_images"] });
  });

  it("a caller that goes away frees the worker", async () => {
    const app = falApp({ inferenceMs: 10_000, workers: 1 });
    const client = new AbortController();
    void post(app, "/run/fal-ai/flux/dev", INPUT); // takes the only worker until close()
    const run = app.request("/run/fal-ai/flux/schnell", {
      method: "POST",
      body: JSON.stringify(INPUT),
      signal: client.signal,
    });
    await new Promise((r) => setTimeout(r, 20));
    client.abort();
    await run;
    expect(app.stats().cancelled).toBe(1);
  });
});

describe("local fal app: queue", () => {
  it("submit → status (202, then 200) → result, addressed by app or endpoint id", async () => {
    const gate = new InferenceGate(); // in progress until released below
    const app = falApp({ inferenceMs: 100, inferenceWait: gate.wait });
    const sub = await (await post(app, "/queue/fal-ai/flux/dev", INPUT)).json();
    expect(sub).toMatchObject({ status: "IN_QUEUE", queue_position: 0 });
    expect(sub.status_url).toBe(`${BASE}/queue/fal-ai/flux/requests/${sub.request_id}/status`);
    const early = await app.request(pathOf(sub.status_url));
    expect(early.status).toBe(202);
    expect(early.headers.get("x-fal-request-id")).toBe(sub.request_id);
    const notYet = await app.request(pathOf(sub.response_url));
    expect(notYet.status).toBe(400);
    expect(await notYet.json()).toEqual({ detail: "Request is still in progress" });
    gate.release();
    const done = await waitCompleted(app, sub.status_url);
    expect(done.metrics.inference_time).toBeGreaterThan(0);
    for (const prefix of ["fal-ai/flux", "fal-ai/flux/dev"]) {
      const result = await app.request(`/queue/${prefix}/requests/${sub.request_id}`);
      expect(result.status).toBe(200);
      expect((await result.json()).seed).toBe(3);
    }
    expect((await app.request(`/queue/fal-ai/fast-sdxl/requests/${sub.request_id}`)).status).toBe(
      404,
    );
  });

  it("status stream: one event per change, then the stream ends after COMPLETED", async () => {
    const app = falApp({ inferenceMs: 50 });
    const sub = await (await post(app, "/queue/fal-ai/flux/dev", INPUT)).json();
    const res = await app.request(`${pathOf(sub.status_url)}/stream?logs=1`);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("x-fal-request-id")).toBe(sub.request_id);
    const events = (await res.text())
      .split("\n\n")
      .filter((block) => block.startsWith("data: "))
      .map((block) => JSON.parse(block.slice(6)));
    expect(events.at(-1)?.status).toBe("COMPLETED");
    expect(events.filter((e) => e.status === "COMPLETED")).toHaveLength(1);
    const logs = events.flatMap((e) => (e.logs ?? []).map((l: any) => l.message));
    expect(logs).toContain("Rendering image 1/1");
  });

  it("cancel: queued → CANCELLATION_REQUESTED and a 499 result; completed → 400; unknown → 404", async () => {
    const app = falApp({ inferenceMs: 5_000, workers: 1 });
    await post(app, "/queue/fal-ai/flux/dev", INPUT); // takes the only worker
    const queued = await (await post(app, "/queue/fal-ai/flux/dev", INPUT)).json();
    const cancel = await app.request(pathOf(queued.cancel_url), { method: "PUT" });
    expect(cancel.status).toBe(202);
    expect(await cancel.json()).toEqual({ status: "CANCELLATION_REQUESTED" });
    expect((await app.request(pathOf(queued.response_url))).status).toBe(499);
    const again = await app.request(pathOf(queued.cancel_url), { method: "PUT" });
    expect(again.status).toBe(400);
    const missing = await app.request("/queue/fal-ai/flux/requests/nope/cancel", { method: "PUT" });
    expect(missing.status).toBe(404);
    expect(app.stats().cancelsReceived).toBe(3);
  });
});

describe("local fal app: storage and files", () => {
  it("initiate → upload → file, multipart 501, tokens", async () => {
    const app = falApp();
    const init = await (
      await post(app, "/rest/storage/upload/initiate?storage_type=fal-cdn-v3", {
        content_type: "text/plain",
        file_name: "notes.txt",
      })
    ).json();
    expect(init.file_url).toMatch(/^http:\/\/fal\.test\/files\/[^/]+\/notes\.txt$/);
    expect((await app.request(pathOf(init.file_url))).status).toBe(404);
    const put = await app.request(pathOf(init.upload_url), {
      method: "PUT",
      body: "hello",
      headers: { "content-type": "text/plain" },
    });
    expect(await put.json()).toEqual({ file_url: init.file_url, size: 5 });
    const file = await app.request(pathOf(init.file_url));
    expect(file.headers.get("content-type")).toBe("text/plain");
    expect(await file.text()).toBe("hello");
    expect((await app.request("/upload/unknown", { method: "PUT", body: "x" })).status).toBe(404);
    expect((await post(app, "/rest/storage/upload/initiate-multipart", {})).status).toBe(501);
    const token = await post(app, "/rest/tokens/", {});
    expect(await token.json()).toMatch(/^local-fal\./);
    expect(app.stats().uploads).toBe(1);
  });

  it("file keys never reach the filesystem", async () => {
    const app = falApp();
    for (const path of ["/files/../../etc/passwd", "/files/%2e%2e/%2e%2e/package.json"]) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual({ detail: "File not found" });
    }
  });
});

describe("local fal app: the chain", () => {
  it("routes errors and preflights before auth; 401 without the key; the key is never echoed", async () => {
    const key = "id:secret";
    const app = falApp({ requiredKey: key });
    expect((await app.request("/run/fal-ai/flux/dev")).status).toBe(405); // not 401
    const preflight = await app.request("/api/fal/proxy", { method: "OPTIONS" });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("x-fal-target-url");
    const none = await post(app, "/run/fal-ai/flux/dev", INPUT);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ detail: "Unauthorized" });
    const ok = await post(
      app,
      "/run/fal-ai/flux/dev",
      { ...INPUT, prompt: `about ${key}` },
      {
        authorization: `Key ${key}`,
      },
    );
    expect(ok.status).toBe(200);
    expect((await ok.json()).prompt).toBe("about [redacted]");
    const echoed = await app.request(`/nothing/${encodeURIComponent(key)}`);
    expect(await echoed.json()).toEqual({ detail: "Path /nothing/[redacted] not found" });
    expect(JSON.stringify(app.requests())).not.toContain("secret");
    expect(app.stats().unauthorized).toBe(1);
  });

  it("413 beyond maxBodyBytes, recorded with its status", async () => {
    const app = falApp({ maxBodyBytes: 64 });
    const res = await post(app, "/run/fal-ai/flux/dev", { prompt: "x".repeat(100) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ detail: "Request body is larger than 64 bytes" });
    expect(app.requests()).toMatchObject([{ operation: "run", bodyBytes: 0, status: 413 }]);
    expect(app.stats().byStatus["413"]).toBe(1);
  });

  it("the proxy endpoint takes its target (and query) from x-fal-target-url", async () => {
    const app = falApp();
    const res = await post(app, "/api/fal/proxy", INPUT, {
      "x-fal-target-url": "https://fal.run/fal-ai/flux/schnell",
    });
    expect(res.status).toBe(200);
    const missing = await post(app, "/api/fal/proxy", INPUT);
    expect(missing.status).toBe(400);
    expect(app.requests().map((r) => [r.operation, r.proxied, r.path])).toEqual([
      ["run", true, "/run/fal-ai/flux/schnell"],
      ["unknown", true, "/api/fal/proxy"],
    ]);
  });

  it("faults: status with Retry-After, reset as Response.error(), broken status stream", async () => {
    const app = falApp({
      faults: [
        { operation: "submit", times: 1, status: 503, headers: { "Retry-After": "1" } },
        { operation: "run", times: 1, resetConnection: true },
      ],
    });
    const refused = await post(app, "/queue/fal-ai/flux/dev", INPUT);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(await refused.json()).toEqual({ detail: "Injected fault" });
    expect((await post(app, "/run/fal-ai/flux/dev", INPUT)).type).toBe("error");
    const sub = await (await post(app, "/queue/fal-ai/flux/dev", INPUT)).json();
    app.setFaults([{ operation: "stream", brokenJson: true, times: 1 }]);
    const stream = await app.request(`${pathOf(sub.status_url)}/stream`);
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    const text = await stream.text();
    expect(text.startsWith("data: ")).toBe(true);
    expect(() => JSON.parse(text.slice(6))).toThrow();
    expect(app.stats()).toMatchObject({ faultsInjected: 3, byStatus: { reset: 1, "503": 1 } });
  });

  it("records requests and counts them; after stop() it answers 503", async () => {
    const app = falApp();
    await (await post(app, "/run/fal-ai/flux/dev", INPUT, { authorization: "Key abc" })).text();
    const [entry] = app.requests();
    expect(entry).toMatchObject({
      method: "POST",
      operation: "run",
      model: "fal-ai/flux/dev",
      path: "/run/fal-ai/flux/dev",
      body: INPUT,
      status: 200,
    });
    expect(entry?.headers.authorization).toBeUndefined();
    app.stop();
    const refused = await app.request("/");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("connection")).toBe("close");
    expect(app.stats()).toMatchObject({ requests: 2, byOperation: { run: 1, info: 1 } });
  });

  it("GET / describes the server", async () => {
    const info = await (await falApp().request("/")).json();
    expect(info.name).toBe("local-fal");
    expect(info.models).toContain("fal-ai/flux/dev");
  });
});
