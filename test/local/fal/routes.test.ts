import { describe, expect, it } from "vitest";
import { rewriteFalUrl } from "../../../src/local/fal/index.js";
import {
  call,
  followSse,
  InferenceGate,
  rawRequest,
  readSse,
  start,
  submit,
  viaProxy,
  waitCompleted,
  waitFor,
} from "./helpers.js";

const UUID = /^[0-9a-f-]{36}$/;

function headerList(h: Headers): string[] {
  const out: string[] = [];
  h.forEach((v, k) => {
    out.push(`${k}: ${v}`);
  });
  return out;
}

describe("local fal server: routes", () => {
  it("answers GET / with server info", async () => {
    const s = await start();
    const r = await call(s.url, "GET", "/");
    expect(r.status).toBe(200);
    expect(r.json.models).toContain("fal-ai/flux/dev");
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.headers.get("x-fal-request-id")).toMatch(UUID);
  });

  it("sync run returns the output with JSON content type and x-fal-request-id", async () => {
    const s = await start();
    const r = await call(s.url, "POST", "/run/fal-ai/fast-sdxl", {
      body: { prompt: "a red fox", image_size: "square", seed: 5 },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.headers.get("x-fal-request-id")).toMatch(UUID);
    expect(r.json).toMatchObject({ seed: 5, prompt: "a red fox", has_nsfw_concepts: [false] });
    expect(Object.keys(r.json).sort()).toEqual([
      "has_nsfw_concepts",
      "images",
      "prompt",
      "seed",
      "timings",
    ]);
    const [img] = r.json.images;
    expect(img).toMatchObject({ width: 512, height: 512, content_type: "image/jpeg" });
    expect(img.url.startsWith(`${s.url}/files/`)).toBe(true);
    expect(typeof r.json.timings.inference).toBe("number");
    const file = await fetch(img.url);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/jpeg");
    expect((await file.arrayBuffer()).byteLength).toBe(img.file_size);
  });

  it("queue submit → status (202 → 200) → result, with absolute URLs and sub-path addressing", async () => {
    // In progress until released below (then 150 ms on the clock, for inference_time).
    const gate = new InferenceGate();
    const s = await start({ inferenceMs: 150, inferenceWait: gate.waitThenTime });
    const sub = await submit(s.url, "fal-ai/flux/dev", { prompt: "city at night" });
    expect(sub.status).toBe("IN_QUEUE");
    expect(sub.request_id).toMatch(UUID);
    expect(sub.queue_position).toBe(0);
    const base = `${s.url}/queue/fal-ai/flux/requests/${sub.request_id}`;
    expect(sub.response_url).toBe(base);
    expect(sub.status_url).toBe(`${base}/status`);
    expect(sub.cancel_url).toBe(`${base}/cancel`);

    const st = await call(
      s.url,
      "GET",
      `/queue/fal-ai/flux/requests/${sub.request_id}/status?logs=1`,
    );
    expect(st.status).toBe(202);
    expect(st.json.status).toBe("IN_PROGRESS");
    expect(st.headers.get("x-fal-request-id")).toBe(sub.request_id);
    expect(Array.isArray(st.json.logs)).toBe(true);
    expect(st.json.logs[0]).toMatchObject({
      message: "Loading preview renderer",
      level: "INFO",
      source: "USER",
    });

    const early = await call(s.url, "GET", `/queue/fal-ai/flux/requests/${sub.request_id}`);
    expect(early.status).toBe(400);
    expect(early.json).toEqual({ detail: "Request is still in progress" });

    gate.release();
    const done = await waitCompleted(sub.status_url);
    expect(done.metrics.inference_time).toBeGreaterThan(0.1);
    expect(done.logs).toEqual([]); // logs not requested
    const final = await call(
      s.url,
      "GET",
      `/queue/fal-ai/flux/requests/${sub.request_id}/status?logs=true`,
    );
    expect(final.status).toBe(200);
    expect(final.json.logs.map((l: any) => l.message)).toContain("Rendering image 1/1");
    const noLogs = await call(
      s.url,
      "GET",
      `/queue/fal-ai/flux/requests/${sub.request_id}/status?logs=false`,
    );
    expect(noLogs.json.logs).toEqual([]);

    // With and without the model sub-path.
    for (const prefix of ["fal-ai/flux", "fal-ai/flux/dev"]) {
      const res = await call(s.url, "GET", `/queue/${prefix}/requests/${sub.request_id}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-fal-request-id")).toBe(sub.request_id);
      expect(res.json.images).toHaveLength(1);
      expect(res.json.images[0]).toMatchObject({ width: 1024, height: 768 });
    }
    // A different app does not see the request.
    expect(
      (await call(s.url, "GET", `/queue/fal-ai/fast-sdxl/requests/${sub.request_id}`)).status,
    ).toBe(404);
  });

  it("unknown model, unknown path, unknown request, wrong method", async () => {
    const s = await start();
    const m = await call(s.url, "POST", "/run/fal-ai/nope", { body: { prompt: "x" } });
    expect(m.status).toBe(404);
    expect(m.json).toEqual({ detail: "Application 'fal-ai/nope' not found" });
    const q = await call(s.url, "POST", "/queue/acme/thing/v2", { body: { prompt: "x" } });
    expect(q.json).toEqual({ detail: "Application 'acme/thing/v2' not found" });
    const p = await call(s.url, "GET", "/nothing/here");
    expect(p.status).toBe(404);
    expect(p.headers.get("content-type")).toBe("application/json");
    expect(p.json.detail).toContain("not found");
    const r = await call(
      s.url,
      "GET",
      "/queue/fal-ai/flux/requests/00000000-0000-0000-0000-000000000000/status",
    );
    expect(r.status).toBe(404);
    const w = await call(s.url, "GET", "/run/fal-ai/flux/dev");
    expect(w.status).toBe(405);
    expect(w.json).toEqual({ detail: "Method Not Allowed" });
  });

  it("invalid JSON bodies get FastAPI's 422 json_invalid", async () => {
    const s = await start();
    const r = await call(s.url, "POST", "/run/fal-ai/flux/dev", {
      raw: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(r.status).toBe(422);
    expect(r.json.detail[0]).toMatchObject({ type: "json_invalid", loc: ["body", 0] });
  });

  it("routes x-fal-target-url on the proxy endpoint, taking the query from the header", async () => {
    const s = await start({ inferenceMs: 50 });
    const run = await viaProxy(s.url, "POST", "https://fal.run/fal-ai/flux/schnell", {
      body: { prompt: "p", seed: 1, image_size: "square" },
    });
    expect(run.status).toBe(200);
    expect(run.json.seed).toBe(1);
    const sub = await viaProxy(s.url, "POST", "https://queue.fal.run/fal-ai/flux/schnell", {
      body: { prompt: "p" },
    });
    expect(sub.status).toBe(200);
    const id = sub.json.request_id;
    const st = await viaProxy(
      s.url,
      "GET",
      `https://queue.fal.run/fal-ai/flux/requests/${id}/status?logs=1`,
    );
    expect([200, 202]).toContain(st.status);
    expect(Array.isArray(st.json.logs) || st.json.queue_position !== undefined).toBe(true);
    await waitCompleted(sub.json.status_url);
    const res = await viaProxy(s.url, "GET", `https://queue.fal.run/fal-ai/flux/requests/${id}`);
    expect(res.status).toBe(200);
    expect(res.json.images[0].width).toBe(1024);
    for (const host of ["rest.fal.ai", "rest.alpha.fal.ai"]) {
      const init = await viaProxy(
        s.url,
        "POST",
        `https://${host}/storage/upload/initiate?storage_type=fal-cdn-v3`,
        {
          body: { content_type: "image/png", file_name: "a.png" },
        },
      );
      expect(init.status).toBe(200);
      expect(init.json.upload_url.startsWith(`${s.url}/`)).toBe(true);
    }
    const recorded = s.requests().filter((r) => r.proxied);
    expect(recorded.find((r) => r.operation === "status")?.query).toEqual({ logs: "1" });
    // Missing or foreign target → 400 JSON.
    const missing = await call(s.url, "POST", "/api/fal/proxy", { body: {} });
    expect(missing.status).toBe(400);
    const foreign = await viaProxy(s.url, "GET", "https://example.com/x");
    expect(foreign.status).toBe(400);
    expect(foreign.json.detail).toContain("x-fal-target-url");
  });

  it("rewriteFalUrl maps fal hosts and leaves others alone", () => {
    const base = "http://127.0.0.1:9";
    expect(rewriteFalUrl("https://fal.run/fal-ai/flux/dev", base)).toBe(
      `${base}/run/fal-ai/flux/dev`,
    );
    expect(rewriteFalUrl("https://queue.fal.run/fal-ai/flux/requests/1/status?logs=1", base)).toBe(
      `${base}/queue/fal-ai/flux/requests/1/status?logs=1`,
    );
    expect(
      rewriteFalUrl(
        "https://rest.alpha.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3",
        base,
      ),
    ).toBe(`${base}/rest/storage/upload/initiate?storage_type=fal-cdn-v3`);
    expect(rewriteFalUrl("https://v3.fal.media/files/rabbit/abc.png", base)).toBe(
      `${base}/files/rabbit/abc.png`,
    );
    expect(rewriteFalUrl("https://example.com/a", base)).toBe("https://example.com/a");
    expect(rewriteFalUrl("not a url", base)).toBe("not a url");
  });

  it("status stream: SSE events on each change, closes after COMPLETED", async () => {
    const gate = new InferenceGate();
    const s = await start({ inferenceMs: 300, keepaliveMs: 40, inferenceWait: gate.wait });
    const sub = await submit(s.url, "fal-ai/fast-sdxl", {
      prompt: "waves",
      num_images: 2,
      image_size: "square",
    });
    const sse = await followSse(`${sub.status_url}/stream?logs=1`);
    // In progress until a keep-alive has gone out; then both images are drawn.
    await waitFor(() => sse.events.length > 0 && sse.comments.includes("keepalive"));
    gate.release(2);
    await sse.ended;
    const statuses = sse.events.map((e) => e.status);
    expect(statuses[statuses.length - 1]).toBe("COMPLETED");
    expect(statuses).toContain("IN_PROGRESS");
    expect(statuses.filter((x) => x === "COMPLETED")).toHaveLength(1);
    expect(sse.comments).toContain("keepalive");
    // Logs are sent incrementally: each line once across the stream.
    const messages = sse.events.flatMap((e) => (e.logs ?? []).map((l: any) => l.message));
    expect(messages.filter((m) => m === "Rendering image 2/2")).toHaveLength(1);
    expect(sse.events[sse.events.length - 1].metrics.inference_time).toBeGreaterThan(0);
    // A stream opened after completion sends COMPLETED and closes.
    const again = await readSse(`${sub.status_url}/stream?logs=0`);
    expect(again.events).toHaveLength(1);
    expect(again.events[0].status).toBe("COMPLETED");
    // Unknown request → 404 JSON.
    const missing = await call(s.url, "GET", "/queue/fal-ai/fast-sdxl/requests/nope/status/stream");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/json");
  });

  it("storage: initiate → PUT → GET file_url; tokens; multipart not supported", async () => {
    const s = await start({ requiredKey: "k1" });
    const auth = { authorization: "Key k1" };
    const init = await call(
      s.url,
      "POST",
      "/rest/storage/upload/initiate?storage_type=fal-cdn-v3",
      {
        body: { content_type: "image/png", file_name: "my photo.png" },
        headers: auth,
      },
    );
    expect(init.status).toBe(200);
    expect(init.json.file_url).toMatch(new RegExp(`^${s.url}/files/[^/]+/my_photo\\.png$`));
    // Before the PUT the file does not exist.
    expect((await fetch(init.json.file_url)).status).toBe(404);
    const bytes = Buffer.from([1, 2, 3, 4, 5]);
    // The signed upload URL needs no Authorization (the official client sends none).
    const put = await fetch(init.json.upload_url, {
      method: "PUT",
      body: bytes,
      headers: { "content-type": "image/png" },
    });
    expect(put.status).toBe(200);
    expect(put.headers.get("content-type")).toBe("application/json");
    const got = await fetch(init.json.file_url);
    expect(got.status).toBe(200);
    expect(got.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await got.arrayBuffer())).toEqual(bytes);
    expect(
      (await fetch(`${s.url}/upload/unknown-token`, { method: "PUT", body: "x" })).status,
    ).toBe(404);
    const token = await call(s.url, "POST", "/rest/tokens/", {
      body: { allowed_apps: ["flux"], token_expiration: 120 },
      headers: auth,
    });
    expect(token.status).toBe(200);
    expect(typeof token.json).toBe("string");
    const multi = await call(
      s.url,
      "POST",
      "/rest/storage/upload/initiate-multipart?storage_type=fal-cdn-v3",
      { body: {}, headers: auth },
    );
    expect(multi.status).toBe(501);
    expect(s.stats().uploads).toBe(1);
  });

  it("file serving never touches the filesystem: traversal attempts are 404", async () => {
    const s = await start();
    const stored = await call(s.url, "POST", "/run/fal-ai/flux/dev", {
      body: { prompt: "t", image_size: "square", output_format: "png" },
    });
    const key = new URL(stored.json.images[0].url).pathname.slice("/files/".length);
    const attempts = [
      "/files/../../etc/passwd",
      "/files/..%2F..%2Fetc%2Fpasswd",
      "/files/%2e%2e/%2e%2e/package.json",
      "/files/..\\..\\package.json",
      "/files//etc/passwd",
      `/files/../files/${key}/../../../../etc/hostname`,
      "/files/%252e%252e%252fpackage.json",
    ];
    for (const p of attempts) {
      const r = await rawRequest(s.url, "GET", p);
      expect(r.status, p).toBe(404);
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.text).not.toContain("root:");
      expect(r.text).not.toContain("pipecat");
    }
    expect(s.requests().filter((r) => r.operation === "file").length).toBeGreaterThanOrEqual(
      attempts.length - 1,
    );
    // The stored key itself is served.
    expect((await rawRequest(s.url, "GET", `/files/${key}`)).status).toBe(200);
  });

  it("rejects bodies over maxBodyBytes with 413", async () => {
    const s = await start({ maxBodyBytes: 1024 });
    const r = await call(s.url, "POST", "/run/fal-ai/flux/dev", {
      body: { prompt: "x".repeat(5000) },
    });
    expect(r.status).toBe(413);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.json.detail).toContain("1024");
    // Chunked body without Content-Length is also capped.
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(`{"prompt":"${"y".repeat(3000)}"}`));
        c.close();
      },
    });
    const res = await fetch(`${s.url}/run/fal-ai/flux/dev`, {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    // Still serving afterwards.
    expect(
      (
        await call(s.url, "POST", "/run/fal-ai/flux/dev", {
          body: { prompt: "ok", image_size: "square" },
        })
      ).status,
    ).toBe(200);
  });

  it("requiredKey: 401 without the key; the key is never echoed or recorded", async () => {
    const key = "secret-key-id:secret-key-value";
    const lines: string[] = [];
    const s = await start({ requiredKey: key, logger: (l) => lines.push(l) });
    const none = await call(s.url, "POST", "/run/fal-ai/flux/dev", { body: { prompt: "x" } });
    expect(none.status).toBe(401);
    expect(none.json).toEqual({ detail: "Unauthorized" });
    const wrong = await call(s.url, "POST", "/queue/fal-ai/flux/dev", {
      body: { prompt: "x" },
      headers: { authorization: `Key ${key}x` },
    });
    expect(wrong.status).toBe(401);
    const bearer = await call(s.url, "POST", "/queue/fal-ai/flux/dev", {
      body: { prompt: "x" },
      headers: { authorization: `Bearer ${key}` },
    });
    expect(bearer.status).toBe(401);
    const ok = await call(s.url, "POST", "/run/fal-ai/flux/dev", {
      body: { prompt: `prompt mentioning ${key}`, image_size: "square" },
      headers: { authorization: `Key ${key}`, "x-custom": key },
    });
    expect(ok.status).toBe(200);
    // Even a key pasted into a URL does not reach the log or the recorded requests.
    await call(s.url, "GET", `/files/${encodeURIComponent(key)}?k=${encodeURIComponent(key)}`);
    const echoed = await call(s.url, "GET", `/nothing/${encodeURIComponent(key)}`);
    expect(echoed.status).toBe(404);
    const unknownModel = await call(s.url, "POST", `/run/acme/${encodeURIComponent(key)}`, {
      body: {},
      headers: { authorization: `Key ${key}` },
    });
    expect(unknownModel.status).toBe(404);
    const everything =
      JSON.stringify(
        [none, wrong, bearer, echoed, unknownModel].map((r) => [r.text, headerList(r.headers)]),
      ) +
      JSON.stringify(s.requests()) +
      lines.join("\n");
    expect(everything).not.toContain(key);
    expect(everything).not.toContain("secret-key-value");
    expect(s.requests().every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(s.stats().unauthorized).toBe(3);
    expect(echoed.json.detail).toContain("[redacted]");
  });

  it("CORS preflight and headers (for pages of an allowed origin; others get 403)", async () => {
    const s = await start({ allowedOrigins: ["http://localhost:3000"] });
    const preflight = (origin: string) =>
      fetch(`${s.url}/api/fal/proxy`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,x-fal-target-url",
        },
      });
    expect((await preflight("http://localhost:3001")).status).toBe(403);
    const r = await preflight("http://localhost:3000");
    expect(r.status).toBe(204);
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    expect(r.headers.get("access-control-allow-headers")).toContain("x-fal-target-url");
  });

  it("records requests and counts operations", async () => {
    const s = await start();
    await call(s.url, "POST", "/run/fal-ai/flux/dev", {
      body: { prompt: "rec", image_size: "square" },
      headers: { authorization: "Key abc" },
    });
    await call(s.url, "GET", "/nope");
    const [run, nope] = s.requests();
    expect(run).toMatchObject({
      method: "POST",
      operation: "run",
      model: "fal-ai/flux/dev",
      path: "/run/fal-ai/flux/dev",
      status: 200,
    });
    expect(run?.body).toEqual({ prompt: "rec", image_size: "square" });
    expect(run?.headers.authorization).toBeUndefined();
    expect(nope?.operation).toBe("unknown");
    const stats = s.stats();
    expect(stats.byOperation.run).toBe(1);
    expect(stats.byStatus["200"]).toBe(1);
    expect(stats.byStatus["404"]).toBe(1);
    expect(stats.imagesRendered).toBe(1);
    s.clearRequests();
    expect(s.requests()).toEqual([]);
  });
});
