import { describe, expect, it } from "vitest";
import { startLocalFalServer } from "../../../src/local/fal/index.js";
import { call, readSse, sleep, start, submit, waitCompleted, waitFor } from "./helpers.js";

const SMALL = { image_size: "square" };

describe("local fal server: queue and workers", () => {
  it("reports real queue positions with one worker", async () => {
    const s = await start({ workers: 1, inferenceMs: 1200 });
    const subs = [];
    for (let i = 0; i < 4; i += 1)
      subs.push(await submit(s.url, "fal-ai/flux/schnell", { prompt: `p${i}`, ...SMALL }));
    expect(subs.map((x) => x.queue_position)).toEqual([0, 0, 1, 2]);
    const statuses = await Promise.all(
      subs.map((x) => call(s.url, "GET", new URL(x.status_url).pathname)),
    );
    expect(statuses.map((r) => r.status)).toEqual([202, 202, 202, 202]);
    expect(statuses.map((r) => r.json.status)).toEqual([
      "IN_PROGRESS",
      "IN_QUEUE",
      "IN_QUEUE",
      "IN_QUEUE",
    ]);
    expect(statuses.slice(1).map((r) => r.json.queue_position)).toEqual([0, 1, 2]);
    expect(statuses[0]?.json.queue_position).toBeUndefined();
    expect(statuses[0]?.json.logs).toEqual([]);
    expect(s.stats()).toMatchObject({ queued: 3, inProgress: 1, workers: 1 });
    // After the first finishes, everybody moves up one.
    await waitCompleted(subs[0].status_url);
    const later = await call(s.url, "GET", new URL(subs[3].status_url).pathname);
    expect(later.json.queue_position).toBe(1);
    await waitCompleted(subs[3].status_url);
    expect(s.stats().completed).toBe(4);
  });

  it("SSE reports IN_QUEUE with falling positions, then IN_PROGRESS, then COMPLETED", async () => {
    const s = await start({ workers: 1, inferenceMs: 100 });
    await submit(s.url, "fal-ai/flux/schnell", { prompt: "a", ...SMALL });
    await submit(s.url, "fal-ai/flux/schnell", { prompt: "b", ...SMALL });
    const third = await submit(s.url, "fal-ai/flux/schnell", { prompt: "c", ...SMALL });
    const sse = await readSse(`${third.status_url}/stream`);
    const seen = sse.events.map((e) =>
      e.status === "IN_QUEUE" ? `Q${e.queue_position}` : e.status,
    );
    expect(seen).toEqual(["Q1", "Q0", "IN_PROGRESS", "COMPLETED"]);
  });

  it("sync runs share the workers with queued requests", async () => {
    const s = await start({ workers: 1, inferenceMs: 150 });
    const sub = await submit(s.url, "fal-ai/flux/schnell", { prompt: "first", ...SMALL });
    const t0 = Date.now();
    const run = await call(s.url, "POST", "/run/fal-ai/flux/schnell", {
      body: { prompt: "second", ...SMALL },
    });
    expect(run.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250); // waited for the first, then ran
    const st = await call(s.url, "GET", new URL(sub.status_url).pathname);
    expect(st.json.status).toBe("COMPLETED");
  });

  it("cancel: queued, in progress, completed, unknown", async () => {
    const s = await start({ workers: 1, inferenceMs: 1500 });
    const running = await submit(s.url, "fal-ai/fast-sdxl", { prompt: "running", ...SMALL });
    const queued = await submit(s.url, "fal-ai/fast-sdxl", { prompt: "queued", ...SMALL });
    const third = await submit(s.url, "fal-ai/fast-sdxl", { prompt: "third", ...SMALL });
    expect(third.queue_position).toBe(1);

    // Queued: removed from the queue; the request behind moves up.
    const c1 = await call(s.url, "PUT", new URL(queued.cancel_url).pathname, {
      headers: { "content-type": "application/json" },
    });
    expect(c1.status).toBe(202);
    expect(c1.json).toEqual({ status: "CANCELLATION_REQUESTED" });
    const st1 = await call(s.url, "GET", new URL(queued.status_url).pathname);
    expect(st1.status).toBe(200);
    expect(st1.json.status).toBe("COMPLETED");
    expect(st1.json.error_type).toBe("client_cancelled");
    const r1 = await call(s.url, "GET", new URL(queued.response_url).pathname);
    expect(r1.status).toBe(499);
    expect(r1.json).toEqual({ detail: "Request was cancelled", error_type: "client_cancelled" });
    expect((await call(s.url, "GET", new URL(third.status_url).pathname)).json.queue_position).toBe(
      0,
    );

    // In progress: stopped, worker freed for the next request right away.
    const t0 = Date.now();
    const c2 = await call(s.url, "PUT", new URL(running.cancel_url).pathname, {
      raw: "",
      headers: { "content-type": "application/json" },
    });
    expect(c2.status).toBe(202);
    expect((await call(s.url, "GET", new URL(running.response_url).pathname)).status).toBe(499);
    const st3 = await waitFor(async () => {
      const r = await call(s.url, "GET", new URL(third.status_url).pathname);
      return r.json.status === "IN_PROGRESS" ? r : undefined;
    });
    expect(st3.status).toBe(202);
    expect(Date.now() - t0).toBeLessThan(1000); // long before the 1.5 s inference would have ended

    // Completed.
    await waitCompleted(third.status_url);
    const c3 = await call(s.url, "PUT", new URL(third.cancel_url).pathname);
    expect(c3.status).toBe(400);
    expect(c3.json).toEqual({ status: "ALREADY_COMPLETED" });
    // Unknown.
    const c4 = await call(s.url, "PUT", "/queue/fal-ai/fast-sdxl/requests/does-not-exist/cancel");
    expect(c4.status).toBe(404);
    expect(c4.json).toEqual({ status: "NOT_FOUND" });
    // Addressed with the full endpoint id as well.
    const again = await submit(s.url, "fal-ai/fast-sdxl", { prompt: "again", ...SMALL });
    expect(
      (await call(s.url, "PUT", `/queue/fal-ai/fast-sdxl/requests/${again.request_id}/cancel`))
        .status,
    ).toBe(202);
    expect(s.stats().cancelsReceived).toBe(5);
    expect(s.stats().cancelled).toBe(3);
  });

  it("a sync run whose client disconnects frees its worker", async () => {
    const s = await start({ workers: 1, inferenceMs: 2000 });
    const controller = new AbortController();
    const pending = fetch(`${s.url}/run/fal-ai/flux/schnell`, {
      method: "POST",
      body: JSON.stringify({ prompt: "abandoned", ...SMALL }),
      headers: { "content-type": "application/json" },
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await waitFor(() => (s.stats().inProgress === 1 ? true : undefined));
    controller.abort();
    await pending;
    await waitFor(() => (s.stats().inProgress === 0 ? true : undefined));
    expect(s.stats().cancelled).toBe(1);
  });

  it("x-fal-request-timeout: a request that cannot start in time ends with 504 (user timeout)", async () => {
    const s = await start({ workers: 1, inferenceMs: 1500 });
    await submit(s.url, "fal-ai/flux/schnell", { prompt: "blocker", ...SMALL });
    const r = await call(s.url, "POST", "/queue/fal-ai/flux/schnell", {
      body: { prompt: "late", ...SMALL },
      headers: { "x-fal-request-timeout": "0.2" },
    });
    const done = await waitCompleted(r.json.status_url);
    expect(done.error_type).toBe("startup_timeout");
    const res = await call(s.url, "GET", new URL(r.json.response_url).pathname);
    expect(res.status).toBe(504);
    expect(res.headers.get("x-fal-request-timeout-type")).toBe("user");
  });

  it("per-model inference time override", async () => {
    const s = await start({ inferenceMs: 0, inferenceMsByModel: { "fal-ai/flux": 400 } });
    const t0 = Date.now();
    await call(s.url, "POST", "/run/fal-ai/fast-sdxl", { body: { prompt: "fast", ...SMALL } });
    const fast = Date.now() - t0;
    const t1 = Date.now();
    await call(s.url, "POST", "/run/fal-ai/flux/dev", { body: { prompt: "slow", ...SMALL } });
    expect(Date.now() - t1).toBeGreaterThanOrEqual(390);
    expect(fast).toBeLessThan(350);
  });

  it("close() ends open SSE streams, waiting runs and queued work so the process can exit", async () => {
    const s = await startLocalFalServer({ workers: 1, inferenceMs: 10_000, keepaliveMs: 20 });
    const sub = await submit(s.url, "fal-ai/flux/schnell", { prompt: "long", ...SMALL });
    await submit(s.url, "fal-ai/flux/schnell", { prompt: "queued", ...SMALL });
    const stream = readSse(`${sub.status_url}/stream`).catch((e: unknown) => e);
    const run = fetch(`${s.url}/run/fal-ai/flux/schnell`, {
      method: "POST",
      body: JSON.stringify({ prompt: "r" }),
    }).catch((e: unknown) => e);
    await sleep(80);
    const t0 = Date.now();
    await s.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    await stream;
    await run;
    await expect(fetch(`${s.url}/`)).rejects.toThrow();
    await s.close(); // idempotent
  });

  it("many open status streams warn of no listener leak, and close() still ends them all", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(`${warning.name}: ${warning.message}`);
    };
    process.on("warning", onWarning);
    try {
      const s = await startLocalFalServer({ workers: 30, inferenceMs: 10_000 });
      const subs = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          submit(s.url, "fal-ai/flux/schnell", { prompt: `p${i}`, ...SMALL }),
        ),
      );
      const streams = subs.map((sub) =>
        readSse(`${sub.status_url}/stream`).catch((e: unknown) => e),
      );
      await waitFor(() => s.stats().inProgress === 30);
      await sleep(100); // every stream has answered its first event
      await s.close();
      await Promise.all(streams);
      await sleep(10); // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.includes("MaxListenersExceeded"))).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
