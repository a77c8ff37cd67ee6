import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { startLocalFalServer } from "../../../src/local/fal/index.js";
import { call, sleep, start, submit, waitCompleted } from "./helpers.js";

const INPUT = { prompt: "fault", image_size: "square" };

function postRun(
  url: string,
  model = "fal-ai/flux/dev",
  init: RequestInit = {},
): Promise<Response> {
  return fetch(`${url}/run/${model}`, {
    method: "POST",
    body: JSON.stringify(INPUT),
    headers: { "content-type": "application/json" },
    ...init,
  });
}

describe("local fal server: fault injection", () => {
  it("status faults with body and headers, limited by `times`, filtered by operation and model", async () => {
    const s = await start({
      faults: [
        {
          operation: "run",
          model: "fal-ai/flux/dev",
          times: 2,
          status: 503,
          body: { detail: "GPU on fire" },
          headers: { "Retry-After": "7" },
        },
      ],
    });
    const a = await postRun(s.url);
    expect(a.status).toBe(503);
    expect(a.headers.get("retry-after")).toBe("7");
    expect(a.headers.get("content-type")).toBe("application/json");
    expect(a.headers.get("x-fal-request-id")).toBeTruthy();
    expect(await a.json()).toEqual({ detail: "GPU on fire" });
    // Other model and other operation are untouched, and don't consume `times`.
    expect((await postRun(s.url, "fal-ai/flux/schnell")).status).toBe(200);
    expect((await call(s.url, "POST", "/queue/fal-ai/flux/dev", { body: INPUT })).status).toBe(200);
    expect((await postRun(s.url)).status).toBe(503);
    expect((await postRun(s.url)).status).toBe(200); // times exhausted
    expect(s.stats().faultsInjected).toBe(2);
  });

  it("an app-prefix model matches every endpoint of the app and queue calls addressed by app", async () => {
    const s = await start({ inferenceMs: 20 });
    const sub = await submit(s.url, "fal-ai/flux/schnell", INPUT);
    await waitCompleted(sub.status_url);
    s.setFaults([{ operation: "result", model: "fal-ai/flux/schnell", status: 500 }]);
    expect((await call(s.url, "GET", new URL(sub.response_url).pathname)).status).toBe(500);
    s.setFaults([{ operation: "result", model: "fal-ai/flux/dev", status: 500 }]);
    expect((await call(s.url, "GET", new URL(sub.response_url).pathname)).status).toBe(200);
    s.setFaults([{ model: "fal-ai/flux", status: 418 }]);
    expect((await postRun(s.url, "fal-ai/flux/dev")).status).toBe(418);
    expect((await call(s.url, "GET", new URL(sub.status_url).pathname)).status).toBe(418);
    expect((await postRun(s.url, "fal-ai/fast-sdxl")).status).toBe(200);
    s.setFaults([]);
    expect((await postRun(s.url)).status).toBe(200);
  });

  it("delayMs slows the answer, then handles it normally", async () => {
    const s = await start({ faults: [{ operation: "status", delayMs: 250 }] });
    const sub = await submit(s.url, "fal-ai/flux/dev", INPUT);
    const t0 = Date.now();
    const r = await call(s.url, "GET", new URL(sub.status_url).pathname);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
    expect([200, 202]).toContain(r.status);
    expect(r.json.request_id).toBe(sub.request_id);
  });

  it("hang never answers until the client aborts; close() ends hung requests", async () => {
    const s = await startLocalFalServer({ faults: [{ operation: "run", hang: true }] });
    await expect(
      postRun(s.url, "fal-ai/flux/dev", { signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
    const pending = postRun(s.url).then(
      (r) => r.status,
      (e: unknown) => e,
    );
    await sleep(50);
    await s.close();
    const outcome = await pending;
    expect(outcome).toBeInstanceOf(Error);
  });

  it("brokenJson sends a cut JSON body with the normal status", async () => {
    const s = await start({ faults: [{ operation: "submit", brokenJson: true, times: 1 }] });
    const r = await fetch(`${s.url}/queue/fal-ai/flux/dev`, {
      method: "POST",
      body: JSON.stringify(INPUT),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/json");
    const text = await r.text();
    expect(() => JSON.parse(text)).toThrow();
    expect(text.startsWith('{"status":"IN_QUEUE"')).toBe(true);
  });

  it("truncateBody announces more bytes than it sends and drops the connection", async () => {
    const s = await start({ inferenceMs: 0 });
    const out = await call(s.url, "POST", "/run/fal-ai/flux/dev", { body: INPUT });
    s.setFaults([{ operation: "file", truncateBody: true }]);
    const r = await fetch(out.json.images[0].url);
    expect(r.status).toBe(200);
    expect(Number(r.headers.get("content-length"))).toBe(out.json.images[0].file_size);
    await expect(r.arrayBuffer()).rejects.toThrow();
    s.setFaults([{ operation: "run", truncateBody: true }]);
    const run = await postRun(s.url);
    await expect(run.json()).rejects.toThrow();
  });

  it("notAnImage serves HTML instead of the file", async () => {
    const s = await start();
    const out = await call(s.url, "POST", "/run/fal-ai/flux/dev", { body: INPUT });
    s.setFaults([{ operation: "file", notAnImage: true, times: 1 }]);
    const r = await fetch(out.json.images[0].url);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("text/html");
    const bytes = Buffer.from(await r.arrayBuffer());
    expect(bytes.toString("utf8")).toContain("<html>");
    await expect(sharp(bytes).metadata()).rejects.toThrow();
    // Next download is fine again.
    const ok = await fetch(out.json.images[0].url);
    expect(ok.headers.get("content-type")).toBe("image/jpeg");
  });

  it("resetConnection drops the TCP connection", async () => {
    const s = await start({ faults: [{ operation: "upload", resetConnection: true, times: 1 }] });
    const err = await fetch(`${s.url}/rest/storage/upload/initiate?storage_type=fal-cdn-v3`, {
      method: "POST",
      body: JSON.stringify({ content_type: "image/png", file_name: "x.png" }),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(String((err as TypeError).cause)).toMatch(/ECONNRESET|socket|closed/i);
    expect(s.stats().byStatus.reset).toBe(1);
    // The server keeps working.
    const again = await call(
      s.url,
      "POST",
      "/rest/storage/upload/initiate?storage_type=fal-cdn-v3",
      { body: { content_type: "image/png" } },
    );
    expect(again.status).toBe(200);
  });

  it("stream faults: broken event JSON and truncated stream", async () => {
    const s = await start({ inferenceMs: 200 });
    const sub = await submit(s.url, "fal-ai/flux/dev", INPUT);
    s.setFaults([{ operation: "stream", brokenJson: true, times: 1 }]);
    const broken = await fetch(`${sub.status_url}/stream`);
    expect(broken.headers.get("content-type")).toBe("text/event-stream");
    const text = await broken.text();
    expect(text.startsWith("data: ")).toBe(true);
    expect(() => JSON.parse(text.slice(6))).toThrow();
    s.setFaults([{ operation: "stream", truncateBody: true, times: 1 }]);
    const truncated = await fetch(`${sub.status_url}/stream`);
    await expect(truncated.text()).rejects.toThrow();
  });

  it("rejects malformed rules", async () => {
    const s = await start();
    expect(() => s.setFaults([{ operation: "run" } as never])).toThrow(/exactly one action/);
    expect(() => s.setFaults([{ status: 42 }])).toThrow(/HTTP status/);
    expect(() => s.setFaults([{ status: 500, delayMs: 5 } as never])).toThrow(/exactly one action/);
    expect(() => s.setFaults([{ status: 500, times: -1 }])).toThrow(/times/);
  });
});
