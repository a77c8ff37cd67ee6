import { describe, expect, it } from "vitest";
import { startLocalFalServer } from "../../../src/local/fal/index.js";
import {
  call,
  InferenceGate,
  followSse,
  readSse,
  sleep,
  start,
  submit,
  waitCompleted,
  waitFor,
} from "./helpers.js";

const SMALL = { image_size: "square" };

describe("local fal server: queue and workers", () => {
  it("reports real queue positions with one worker", async () => {
    // Nothing finishes until the test says so: the positions below cannot shift under load.
    const gate = new InferenceGate();
    const s = await start({ workers: 1, inferenceMs: 1, inferenceWait: gate.wait });
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
    gate.release();
    await waitCompleted(subs[0].status_url);
    const later = await call(s.url, "GET", new URL(subs[3].status_url).pathname);
    expect(later.json.queue_position).toBe(1);
    gate.release(3);
    await waitCompleted(subs[3].status_url);
    expect(s.stats().completed).toBe(4);
  });

  it("SSE reports IN_QUEUE with falling positions, then IN_PROGRESS, then COMPLETED", async () => {
    const gate = new InferenceGate();
    const s = await start({ workers: 1, inferenceMs: 1, inferenceWait: gate.wait });
    await submit(s.url, "fal-ai/flux/schnell", { prompt: "a", ...SMALL });
    await submit(s.url, "fal-ai/flux/schnell", { prompt: "b", ...SMALL });
    const third = await submit(s.url, "fal-ai/flux/schnell", { prompt: "c", ...SMALL });
    const sse = await followSse(`${third.status_url}/stream`);
    // One request finishes per event seen: a, then b, then c itself.
    for (let seen = 1; seen <= 3; seen += 1) {
      await waitFor(() => sse.events.length >= seen);
      gate.release();
    }
    await sse.ended;
    expect(
      sse.events.map((e) => (e.status === "IN_QUEUE" ? `Q${e.queue_position}` : e.status)),
    ).toEqual(["Q1", "Q0", "IN_PROGRESS", "COMPLETED"]);
  });

  it("sync runs share the workers with queued requests", async () => {
    const gate = new InferenceGate();
    const s = await start({ workers: 1, inferenceMs: 1, inferenceWait: gate.wait });
    const sub = await submit(s.url, "fal-ai/flux/schnell", { prompt: "first", ...SMALL });
    let answered = false;
    const run = call(s.url, "POST", "/run/fal-ai/flux/schnell", {
      body: { prompt: "second", ...SMALL },
    }).finally(() => {
      answered = true;
    });
    // The run waits for the worker the queued request holds...
    await waitFor(() => s.stats().queued === 1);
    expect(gate.waiting).toBe(1);
    gate.release();
    // ...and gets it once that one has finished.
    await waitFor(() => gate.waiting === 1 && s.stats().queued === 0);
    const st = await call(s.url, "GET", new URL(sub.status_url).pathname);
    expect(st.json.status).toBe("COMPLETED");
    expect(answered).toBe(false);
    gate.release();
    expect((await run).status).toBe(200);
  });

  it("cancel: queued, in progress, completed, unknown", async () => {
    const gate = new InferenceGate();
    const s = await start({ workers: 1, inferenceMs: 1, inferenceWait: gate.wait });
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

    // In progress: stopped, worker freed for the next request right away (nothing was released:
    // only the cancel can have ended "running").
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
    expect(gate.waiting).toBe(1); // third's inference; running's ended with the cancel

    // Completed.
    gate.release();
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
    const gate = new InferenceGate(); // never released: the blocker holds the only worker
    const s = await start({ workers: 1, inferenceMs: 1, inferenceWait: gate.wait });
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
    // Which wait each model gets, recorded exactly (a fast run's wall time says little under load).
    const waits: number[] = [];
    const options = { inferenceMs: 0, inferenceMsByModel: { "fal-ai/flux": 400 } };
    const s = await start({ ...options, inferenceWait: async (ms) => void waits.push(ms) });
    await call(s.url, "POST", "/run/fal-ai/fast-sdxl", { body: { prompt: "fast", ...SMALL } });
    expect(waits).toEqual([]);
    await call(s.url, "POST", "/run/fal-ai/flux/dev", { body: { prompt: "slow", ...SMALL } });
    expect(waits).toEqual([400]);
    // And by default it is waited out on the clock.
    const timed = await start(options);
    const t0 = Date.now();
    await call(timed.url, "POST", "/run/fal-ai/flux/dev", { body: { prompt: "slow", ...SMALL } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
  });

  it("close() ends open SSE streams, waiting runs and queued work so the process can exit", async () => {
    const INFERENCE_MS = 10_000;
    const s = await startLocalFalServer({ workers: 1, inferenceMs: INFERENCE_MS, keepaliveMs: 20 });
    const sub = await submit(s.url, "fal-ai/flux/schnell", { prompt: "long", ...SMALL });
    await submit(s.url, "fal-ai/flux/schnell", { prompt: "queued", ...SMALL });
    const stream = readSse(`${sub.status_url}/stream`).catch((e: unknown) => e);
    const run = fetch(`${s.url}/run/fal-ai/flux/schnell`, {
      method: "POST",
      body: JSON.stringify({ prompt: "r" }),
    }).catch((e: unknown) => e);
    // Both reached the server: the stream is open and the run waits for the busy worker.
    await waitFor(
      () => s.requests().some((r) => r.operation === "stream") && s.stats().queued === 2,
    );
    const t0 = Date.now();
    await s.close();
    expect(Date.now() - t0).toBeLessThan(INFERENCE_MS); // it did not wait for the running job
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
      // Every stream reached the server (each is answered at once with its first event).
      await waitFor(() => s.requests().filter((r) => r.operation === "stream").length === 30);
      await s.close();
      await Promise.all(streams);
      await sleep(10); // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.includes("MaxListenersExceeded"))).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
