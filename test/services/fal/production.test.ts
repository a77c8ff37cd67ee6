// Issue 5 behaviours of FalImageGenService against the local fal server and its fault injection:
// ordered concurrency, queue mode and progress, cancellation, retries, timeouts, caching, metrics.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Frame } from "../../../src/frames/base.js";
import { ErrorFrame } from "../../../src/frames/error.js";
import { URLImageRawFrame } from "../../../src/frames/image.js";
import { CancelFrame, InterruptionFrame } from "../../../src/frames/lifecycle.js";
import { MetricsFrame } from "../../../src/frames/metrics.js";
import { ImageGenProgressFrame } from "../../../src/frames/progress.js";
import { TextFrame } from "../../../src/frames/text.js";
import {
  startLocalFalServer,
  type LocalFalServer,
  type LocalFalServerOptions,
} from "../../../src/local/fal/index.js";
import {
  FalImageGenService,
  type FalImageGenServiceOptions,
} from "../../../src/services/fal/image.js";
import { FalImageGenSettings } from "../../../src/services/fal/settings.js";
import { resetDeprecationWarnings } from "../../../src/utils/deprecation.js";
import { runTest, SleepFrame, WaitFrame } from "../../helpers/run-test.js";

const KEY = "local-test-key-9f8e7d6c5b4a";
let server: LocalFalServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function setup(
  serverOptions: LocalFalServerOptions = {},
  serviceOptions: FalImageGenServiceOptions = {},
): Promise<{ server: LocalFalServer; service: FalImageGenService }> {
  server = await startLocalFalServer({ requiredKey: KEY, ...serverOptions });
  const service = new FalImageGenService({
    key: KEY,
    baseUrl: server.url,
    settings: new FalImageGenSettings({ imageSize: { width: 64, height: 48 } }),
    retry: { baseDelayMs: 10 },
    ...serviceOptions,
  });
  return { server, service };
}

const images = (frames: Frame[]): URLImageRawFrame[] =>
  frames.filter((f): f is URLImageRawFrame => f instanceof URLImageRawFrame);
const errorsOf = (frames: Frame[]): ErrorFrame[] =>
  frames.filter((f): f is ErrorFrame => f instanceof ErrorFrame);
const progress = (frames: Frame[]): ImageGenProgressFrame[] =>
  frames.filter((f): f is ImageGenProgressFrame => f instanceof ImageGenProgressFrame);
const prompts = (n: number): TextFrame[] =>
  Array.from({ length: n }, (_, i) => new TextFrame(`scene ${i + 1}`));
const count = (s: LocalFalServer, op: string): number =>
  s.requests().filter((r) => r.operation === op).length;

describe("concurrency with ordered output", () => {
  it("keeps prompt order while a slow first prompt is overtaken in flight", async () => {
    const { service } = await setup(
      { workers: 4, faults: [{ operation: "run", delayMs: 400, times: 1 }] },
      { maxConcurrency: 3 },
    );
    const { down } = await runTest(service, { framesToSend: prompts(3) });
    const ordered = down.filter((f) => f instanceof TextFrame || f instanceof URLImageRawFrame);
    expect(
      ordered.map((f) =>
        f instanceof TextFrame ? `text:${f.text}` : `image:${(f as URLImageRawFrame).prompt}`,
      ),
    ).toEqual([
      "text:scene 1",
      "image:scene 1",
      "text:scene 2",
      "image:scene 2",
      "text:scene 3",
      "image:scene 3",
    ]);
    // Progress frames travel at once, so they show the real completion order: 2 and 3 finished
    // before 1.
    const completed = progress(down)
      .filter((p) => p.stage === "completed")
      .map((p) => p.prompt);
    expect(completed.indexOf("scene 2")).toBeLessThan(completed.indexOf("scene 1"));
    expect(completed.indexOf("scene 3")).toBeLessThan(completed.indexOf("scene 1"));
  });

  it("with maxConcurrency 1 generates strictly one prompt at a time", async () => {
    const { service } = await setup(
      { workers: 4, faults: [{ operation: "run", delayMs: 200, times: 1 }] },
      { maxConcurrency: 1 },
    );
    const { down } = await runTest(service, { framesToSend: prompts(3) });
    expect(
      progress(down)
        .filter((p) => p.stage === "completed")
        .map((p) => p.prompt),
    ).toEqual(["scene 1", "scene 2", "scene 3"]);
  });

  it("rejects a bad maxConcurrency with a typed error", () => {
    expect(() => new FalImageGenService({ maxConcurrency: 0 })).toThrow(
      /maxConcurrency.*0.*1 to 64/,
    );
  });
});

describe("queue mode", () => {
  it.each(["stream", "poll"] as const)(
    "reports queue positions and in-progress logs (%s)",
    async (statusMode) => {
      const { server: s, service } = await setup(
        { workers: 1, inferenceMs: 150 },
        { mode: "queue", queue: { statusMode, pollIntervalMs: 20 }, maxConcurrency: 3 },
      );
      const { down } = await runTest(service, { framesToSend: prompts(3) });
      expect(images(down).map((f) => f.prompt)).toEqual(["scene 1", "scene 2", "scene 3"]);
      const third = progress(down).filter((p) => p.prompt === "scene 3");
      expect(third.some((p) => p.stage === "in_queue" && (p.queuePosition ?? 0) >= 1)).toBe(true);
      const inProgress = progress(down).filter((p) => p.stage === "in_progress");
      expect(inProgress.flatMap((p) => p.logs).length).toBeGreaterThan(0);
      expect(inProgress.every((p) => typeof p.requestId === "string")).toBe(true);
      expect(count(s, "submit")).toBe(3);
      expect(count(s, statusMode === "stream" ? "stream" : "status")).toBeGreaterThanOrEqual(3);
      if (statusMode === "poll") expect(count(s, "stream")).toBe(0);
    },
  );

  it("a generation that completes leaves the signals of its finished requests alone", async () => {
    // Nothing is in flight once the image is out (submit, status stream, result and download
    // have all finished): aborting then would only wake finished fetches. A generation that
    // ends early still aborts (see image.test.ts).
    const signals: AbortSignal[] = [];
    const fetchFn: typeof fetch = (input, init) => {
      if (init?.signal) signals.push(init.signal);
      return globalThis.fetch(input, init);
    };
    const { server: s, service } = await setup(
      { inferenceMs: 30 },
      { mode: "queue", fetch: fetchFn },
    );
    const out: Frame[] = [];
    for await (const frame of service.runImageGen("calm")) out.push(frame);
    expect(out.map((f) => f.constructor.name)).toEqual(["URLImageRawFrame"]);
    expect(count(s, "stream")).toBe(1);
    expect(signals).toHaveLength(4); // submit, status stream, result, download
    expect(signals.filter((signal) => signal.aborted)).toEqual([]);
  });

  it("falls back to polling when the status stream fails", async () => {
    const { server: s, service } = await setup(
      {
        inferenceMs: 50,
        faults: [{ operation: "stream", status: 404, body: { detail: "no streams here" } }],
      },
      { mode: "queue", queue: { pollIntervalMs: 20 } },
    );
    const { down, up } = await runTest(service, { framesToSend: prompts(1) });
    expect(errorsOf(up)).toEqual([]);
    expect(images(down)).toHaveLength(1);
    expect(count(s, "status")).toBeGreaterThan(0);
  });

  it("passes fal_webhook and the start timeout through", async () => {
    const { server: s, service } = await setup(
      {},
      { mode: "queue", queue: { webhookUrl: "http://127.0.0.1:9/hook", startTimeoutSeconds: 30 } },
    );
    await runTest(service, { framesToSend: prompts(1) });
    const submit = s.requests().find((r) => r.operation === "submit");
    expect(submit?.query.fal_webhook).toBe("http://127.0.0.1:9/hook");
    expect(submit?.headers["x-fal-request-timeout"]).toBe("30");
  });

  it("fal's start timeout (x-fal-request-timeout) expiring becomes a timeout ErrorFrame, not retried", async () => {
    const { server: s, service } = await setup(
      { workers: 1, inferenceMs: 2_600 },
      { mode: "queue", queue: { startTimeoutSeconds: 1.5 }, maxConcurrency: 2 },
    );
    const { up, down } = await runTest(service, { framesToSend: prompts(2) });
    // The first prompt holds the only worker; the second cannot start within 1.5 s.
    expect(images(down).map((f) => f.prompt)).toEqual(["scene 1"]);
    expect(errorsOf(up).map((e) => [e.prompt, e.category])).toEqual([["scene 2", "timeout"]]);
    expect(count(s, "submit")).toBe(2);
    expect(count(s, "result")).toBe(2);
  });

  it("never re-submits a queue request: a failed result is retried, the submit is not", async () => {
    const { server: s, service } = await setup(
      { faults: [{ operation: "result", status: 503, times: 1 }] },
      { mode: "queue", queue: { statusMode: "poll", pollIntervalMs: 10 } },
    );
    const { down } = await runTest(service, { framesToSend: prompts(1) });
    expect(images(down)).toHaveLength(1);
    expect(count(s, "submit")).toBe(1);
    expect(count(s, "result")).toBe(2);
  });

  it("re-sends a submit refused with 429 or 503, but not one answered 502/504 (a gateway may have queued it)", async () => {
    const { server: s, service } = await setup(
      { faults: [{ operation: "submit", status: 503, times: 1 }] },
      { mode: "queue", queue: { statusMode: "poll", pollIntervalMs: 10 } },
    );
    const { down } = await runTest(service, { framesToSend: prompts(1) });
    expect(images(down)).toHaveLength(1);
    expect(count(s, "submit")).toBe(2);

    s.clearRequests();
    s.setFaults([{ operation: "submit", status: 502, times: 1 }]);
    const again = new FalImageGenService({
      key: KEY,
      baseUrl: s.url,
      mode: "queue",
      retry: { baseDelayMs: 10 },
    });
    const { up } = await runTest(again, { framesToSend: prompts(1) });
    expect(errorsOf(up)[0]?.error).toMatch(/submit failed with HTTP 502/);
    expect(count(s, "submit")).toBe(1);
  });

  it("does not re-send a submit whose connection dropped (fal may have accepted it)", async () => {
    const { server: s, service } = await setup(
      { faults: [{ operation: "submit", resetConnection: true, times: 1 }] },
      { mode: "queue" },
    );
    const { up } = await runTest(service, { framesToSend: prompts(1) });
    expect(errorsOf(up)[0]?.category).toBe("network");
    expect(count(s, "submit")).toBe(1);
  });
});

describe("deprecated flat queue options", () => {
  /** Builds a second service with the same options, so "once" is tested, and returns the codes. */
  async function warnedCodes(
    options: FalImageGenServiceOptions,
    run: () => Promise<void>,
  ): Promise<string[]> {
    resetDeprecationWarnings();
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    try {
      await run();
      new FalImageGenService(options);
      return warn.mock.calls.map((call) => String((call[1] as { code?: string })?.code));
    } finally {
      warn.mockRestore();
    }
  }

  it("statusMode still chooses polling, with one DeprecationWarning", async () => {
    const codes = await warnedCodes({ statusMode: "poll" }, async () => {
      const { server: s, service } = await setup(
        { inferenceMs: 50 },
        { mode: "queue", statusMode: "poll", queue: { pollIntervalMs: 10 } },
      );
      const { down } = await runTest(service, { framesToSend: prompts(1) });
      expect(images(down)).toHaveLength(1);
      expect(count(s, "stream")).toBe(0);
      expect(count(s, "status")).toBeGreaterThan(0);
    });
    expect(codes).toEqual(["PIPECAT_FAL_STATUS_MODE"]);
  });

  it("pollIntervalMs still sets the interval; queue.pollIntervalMs wins over it", async () => {
    const codes = await warnedCodes({ pollIntervalMs: 60_000 }, async () => {
      // A 60 s interval: the prompt outlives its 1 s deadline after the first poll.
      const { service } = await setup(
        { inferenceMs: 100 },
        { mode: "queue", pollIntervalMs: 60_000, queue: { statusMode: "poll" }, timeoutMs: 1_000 },
      );
      const slow = await runTest(service, { framesToSend: prompts(1) });
      expect(errorsOf(slow.up).map((e) => e.category)).toEqual(["timeout"]);
      await server?.close();
      // The grouped value wins: polled every 10 ms, the same prompt completes.
      const { service: fast } = await setup(
        { inferenceMs: 100 },
        {
          mode: "queue",
          pollIntervalMs: 60_000,
          queue: { statusMode: "poll", pollIntervalMs: 10 },
          timeoutMs: 1_000,
        },
      );
      const quick = await runTest(fast, { framesToSend: prompts(1) });
      expect(errorsOf(quick.up)).toEqual([]);
      expect(images(quick.down)).toHaveLength(1);
    });
    expect(codes).toEqual(["PIPECAT_FAL_POLL_INTERVAL_MS"]);
  });

  it("startTimeoutSeconds still reaches fal as x-fal-request-timeout", async () => {
    const codes = await warnedCodes({ startTimeoutSeconds: 30 }, async () => {
      const { server: s, service } = await setup({}, { mode: "queue", startTimeoutSeconds: 30 });
      await runTest(service, { framesToSend: prompts(1) });
      const submit = s.requests().find((r) => r.operation === "submit");
      expect(submit?.headers["x-fal-request-timeout"]).toBe("30");
    });
    expect(codes).toEqual(["PIPECAT_FAL_START_TIMEOUT_SECONDS"]);
  });

  it("webhookUrl still reaches fal as fal_webhook", async () => {
    const codes = await warnedCodes({ webhookUrl: "http://127.0.0.1:9/old" }, async () => {
      const { server: s, service } = await setup(
        {},
        { mode: "queue", webhookUrl: "http://127.0.0.1:9/old" },
      );
      await runTest(service, { framesToSend: prompts(1) });
      const submit = s.requests().find((r) => r.operation === "submit");
      expect(submit?.query.fal_webhook).toBe("http://127.0.0.1:9/old");
    });
    expect(codes).toEqual(["PIPECAT_FAL_WEBHOOK_URL"]);
  });
});

describe("cancellation", () => {
  // Longer than any of these tests may take: a run that ends before it did not wait for fal's
  // inference, which started after `started`.
  const INFERENCE_MS = 10_000;
  /** Waits until the server has seen `n` requests of `op` (e.g. both requests' status streams). */
  const seen = (s: LocalFalServer, op: string, n: number): WaitFrame =>
    new WaitFrame(() =>
      vi.waitFor(() => expect(count(s, op)).toBeGreaterThanOrEqual(n), { timeout: 20_000 }),
    );

  it("an interruption aborts in-flight queue requests, reaches fal's cancel route and drops their frames", async () => {
    const { server: s, service } = await setup(
      { workers: 2, inferenceMs: INFERENCE_MS },
      { mode: "queue", maxConcurrency: 2 },
    );
    const started = Date.now();
    const { down, up } = await runTest(service, {
      framesToSend: [
        ...prompts(2),
        // Both submitted and followed (the service knows their request ids): in flight at fal.
        seen(s, "stream", 2),
        new InterruptionFrame(),
        new SleepFrame(100),
      ],
    });
    expect(Date.now() - started).toBeLessThan(INFERENCE_MS); // nobody waited for the inference
    expect(images(down)).toEqual([]);
    expect(errorsOf(up)).toEqual([]); // an interruption is not an error
    await expect.poll(() => s.stats().cancelsReceived, { timeout: 2_000 }).toBe(2);
    const cancelled = progress(down)
      .filter((p) => p.stage === "cancelled")
      .map((p) => p.prompt);
    expect(cancelled.sort()).toEqual(["scene 1", "scene 2"]);
  });

  it("an interruption while a submit is on the wire still cancels the request fal queues for it", async () => {
    const { server: s, service } = await setup(
      {
        workers: 1,
        inferenceMs: INFERENCE_MS,
        faults: [{ operation: "submit", delayMs: 500, times: 1 }],
      },
      { mode: "queue" },
    );
    const started = Date.now();
    const { down, up } = await runTest(service, {
      // The submit has reached fal, which answers it only after the interruption.
      framesToSend: [new TextFrame("racing"), seen(s, "submit", 1), new InterruptionFrame()],
    });
    expect(images(down)).toEqual([]);
    expect(errorsOf(up)).toEqual([]);
    // Only the answer names the request: it is cancelled once it comes.
    await expect.poll(() => s.stats().cancelsReceived, { timeout: 5_000 }).toBe(1);
    expect(count(s, "stream")).toBe(0); // nobody followed it
    expect(Date.now() - started).toBeLessThan(INFERENCE_MS);
  });

  it("a CancelFrame (task.cancel) aborts in-flight queue requests and reaches fal's cancel route", async () => {
    const { server: s, service } = await setup(
      { workers: 1, inferenceMs: INFERENCE_MS },
      { mode: "queue", maxConcurrency: 2 },
    );
    const started = Date.now();
    const { down } = await runTest(service, {
      framesToSend: [...prompts(2), seen(s, "stream", 2), new CancelFrame("user left")],
      sendEndFrame: false,
    });
    expect(Date.now() - started).toBeLessThan(INFERENCE_MS);
    expect(images(down)).toEqual([]);
    // One request was in progress and one still queued at fal: both are cancelled there.
    await expect.poll(() => s.stats().cancelsReceived, { timeout: 2_000 }).toBe(2);
  });

  it("a service can serve a new task after its first task ended with an interruption", async () => {
    const { server: s, service } = await setup(
      { workers: 2, inferenceMs: 2_000 },
      { mode: "queue" },
    );
    await runTest(service, {
      framesToSend: [new TextFrame("slow"), seen(s, "stream", 1), new InterruptionFrame()],
    });
    const { down } = await runTest(service, { framesToSend: [new TextFrame("again")] });
    expect(images(down).map((f) => f.prompt)).toEqual(["again"]);
  });

  it("after an interruption the service serves the next prompt", async () => {
    const { server: s, service } = await setup(
      { workers: 2, faults: [{ operation: "run", delayMs: INFERENCE_MS, times: 1 }] },
      { maxConcurrency: 2 },
    );
    const started = Date.now();
    const { down } = await runTest(service, {
      framesToSend: [
        new TextFrame("slow"),
        seen(s, "run", 1), // the slow run is at the server, held by the fault
        new InterruptionFrame(),
        new TextFrame("fast"),
      ],
    });
    expect(images(down).map((f) => f.prompt)).toEqual(["fast"]);
    expect(Date.now() - started).toBeLessThan(INFERENCE_MS); // "fast" did not wait for "slow"
  });

  it("a sync-mode interruption aborts the HTTP call at once", async () => {
    const { server: s, service } = await setup(
      { workers: 1, inferenceMs: INFERENCE_MS },
      { maxConcurrency: 1 },
    );
    const started = Date.now();
    const { down } = await runTest(service, {
      framesToSend: [new TextFrame("a"), seen(s, "run", 1), new InterruptionFrame()],
    });
    expect(Date.now() - started).toBeLessThan(INFERENCE_MS);
    expect(images(down)).toEqual([]);
  });
});

describe("retries and timeouts", () => {
  it("honours Retry-After on 429 and 503", async () => {
    const { server: s, service } = await setup(
      { faults: [{ operation: "run", status: 503, headers: { "Retry-After": "1" }, times: 1 }] },
      { retry: { baseDelayMs: 1, maxDelayMs: 1 } },
    );
    const started = Date.now();
    const { down } = await runTest(service, { framesToSend: prompts(1) });
    expect(images(down)).toHaveLength(1);
    expect(count(s, "run")).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // the computed backoff would have been 1 ms
  });

  it.each([429, 502, 504])("retries HTTP %i with backoff", async (status) => {
    const { server: s, service } = await setup({
      faults: [{ operation: "run", status, times: 2 }],
    });
    const { down } = await runTest(service, { framesToSend: prompts(1) });
    expect(images(down)).toHaveLength(1);
    expect(count(s, "run")).toBe(3);
  });

  it("never retries a 422", async () => {
    const { server: s, service } = await setup({
      faults: [
        {
          operation: "run",
          status: 422,
          body: { detail: [{ loc: ["body", "prompt"], msg: "bad", type: "value_error" }] },
          times: 1,
        },
      ],
    });
    const { up } = await runTest(service, { framesToSend: prompts(1) });
    expect(errorsOf(up)[0]?.category).toBe("validation");
    expect(count(s, "run")).toBe(1);
  });

  it("never retries a 401 (wrong key)", async () => {
    const { server: s } = await setup();
    const service = new FalImageGenService({
      key: "wrong-key-123456",
      baseUrl: s.url,
      retry: { baseDelayMs: 1 },
    });
    const { up } = await runTest(service, { framesToSend: prompts(1) });
    expect(errorsOf(up)[0]?.category).toBe("authentication");
    expect(s.stats().unauthorized).toBe(1);
  });

  it("gives up after maxRetries with an ErrorFrame", async () => {
    const { server: s, service } = await setup(
      { faults: [{ operation: "run", status: 503 }] },
      { retry: { maxRetries: 2, baseDelayMs: 1 } },
    );
    const { up } = await runTest(service, { framesToSend: prompts(1) });
    expect(errorsOf(up)[0]?.error).toMatch(/503/);
    expect(count(s, "run")).toBe(3);
  });

  it("a hung request becomes a timeout ErrorFrame and the next prompt still works", async () => {
    const { service } = await setup(
      { faults: [{ operation: "run", hang: true, times: 1 }] },
      { timeoutMs: 300, maxConcurrency: 1 },
    );
    const { up, down } = await runTest(service, { framesToSend: prompts(2) });
    expect(errorsOf(up).map((e) => [e.prompt, e.category])).toEqual([["scene 1", "timeout"]]);
    expect(images(down).map((f) => f.prompt)).toEqual(["scene 2"]);
  });

  it("a hung status poll is cut off by the per-attempt timeout and polled again", async () => {
    const { server: s, service } = await setup(
      { inferenceMs: 100, faults: [{ operation: "status", hang: true, times: 1 }] },
      { mode: "queue", queue: { statusMode: "poll", pollIntervalMs: 10 }, httpTimeoutMs: 200 },
    );
    const { up, down } = await runTest(service, { framesToSend: prompts(1) });
    expect(errorsOf(up)).toEqual([]);
    expect(images(down)).toHaveLength(1);
    expect(count(s, "status")).toBeGreaterThanOrEqual(2);
  });

  it("a hung sync run is cut off by the per-attempt timeout and not re-sent", async () => {
    const { server: s, service } = await setup(
      { faults: [{ operation: "run", hang: true, times: 1 }] },
      { httpTimeoutMs: 200, maxConcurrency: 1 },
    );
    const { up, down } = await runTest(service, { framesToSend: prompts(2) });
    expect(errorsOf(up).map((e) => [e.prompt, e.category])).toEqual([["scene 1", "timeout"]]);
    expect(errorsOf(up)[0]?.error).toMatch(/fal run timed out after 200 ms/);
    expect(images(down).map((f) => f.prompt)).toEqual(["scene 2"]);
    expect(count(s, "run")).toBe(2);
  });

  it("a hung download times out too", async () => {
    const { service } = await setup(
      { faults: [{ operation: "file", hang: true, times: 1 }] },
      { download: { timeoutMs: 200 } },
    );
    const { up } = await runTest(service, { framesToSend: prompts(1) });
    expect(errorsOf(up)[0]?.category).toBe("timeout");
  });

  it.each([
    ["brokenJson", { operation: "run", brokenJson: true }],
    ["truncated download", { operation: "file", truncateBody: true }],
    ["non-image download", { operation: "file", notAnImage: true }],
  ] as const)("%s becomes an ErrorFrame", async (_name, fault) => {
    const { service } = await setup(
      { faults: [{ ...fault, times: 1 }] },
      { retry: { maxRetries: 0 } },
    );
    const { up, down } = await runTest(service, { framesToSend: prompts(2) });
    expect(errorsOf(up)).toHaveLength(1);
    expect(images(down)).toHaveLength(1);
  });
});

describe("nothing is silently lost", () => {
  it("every prompt ends in its images or an ErrorFrame", async () => {
    const { service } = await setup(
      {
        faults: [
          { operation: "run", status: 422, times: 1 },
          { operation: "file", notAnImage: true, times: 1 },
        ],
      },
      {
        maxConcurrency: 4,
        retry: { maxRetries: 0 },
        settings: new FalImageGenSettings({ imageSize: "square", numImages: 2 }),
      },
    );
    const { up, down } = await runTest(service, { framesToSend: prompts(6) });
    const outcome = new Map<string, string[]>();
    for (const f of images(down))
      outcome.set(f.prompt ?? "", [...(outcome.get(f.prompt ?? "") ?? []), "image"]);
    for (const e of errorsOf(up))
      outcome.set(e.prompt ?? "", [...(outcome.get(e.prompt ?? "") ?? []), "error"]);
    expect([...outcome.keys()].sort()).toEqual(
      prompts(6)
        .map((p) => p.text)
        .sort(),
    );
    for (const result of outcome.values()) expect(result.join()).toMatch(/^(image,image|error)$/);
    expect(errorsOf(up)).toHaveLength(2);
  });
});

describe("secrets", () => {
  it("the key never appears in frames, errors or the server's recorded requests", async () => {
    const logs: string[] = [];
    const { server: s, service } = await setup(
      { logger: (line) => logs.push(line), faults: [{ operation: "run", status: 500, times: 1 }] },
      { retry: { maxRetries: 0 }, mode: "sync" },
    );
    const { up, down } = await runTest(service, {
      framesToSend: prompts(2),
      taskOptions: { params: { enableMetrics: true } },
      includeMetricsFrames: true,
    });
    const dump = JSON.stringify(
      [...up, ...down].map((f) => ({
        s: String(f),
        meta: f.metadata,
        e: f instanceof ErrorFrame ? [f.error, String(f.cause)] : [],
      })),
    );
    expect(dump).not.toContain(KEY);
    expect(JSON.stringify(s.requests())).not.toContain(KEY);
    expect(logs.join("\n")).not.toContain(KEY);
  });
});

describe("sync mode, cache, deferred decoding, metrics", () => {
  it("syncMode gets data URIs: no download round trip", async () => {
    const { server: s, service } = await setup({}, { syncMode: true });
    const { down } = await runTest(service, { framesToSend: prompts(1) });
    expect(images(down)[0]?.url).toMatch(/^data:image\/png;base64,/);
    expect(images(down)[0]?.image.length).toBe(64 * 48 * 3);
    expect(count(s, "file")).toBe(0);
  });

  it("caches seeded requests: the same seeded prompt costs one fal call", async () => {
    const { server: s, service } = await setup(
      {},
      {
        cache: true,
        maxConcurrency: 1,
        settings: new FalImageGenSettings({ seed: 7, imageSize: "square" }),
      },
    );
    const { down } = await runTest(service, {
      framesToSend: [new TextFrame("same"), new TextFrame("same"), new TextFrame("other")],
    });
    expect(images(down)).toHaveLength(3);
    expect(count(s, "run")).toBe(2);
    expect(images(down)[0]?.encoded).toEqual(images(down)[1]?.encoded);
    expect(service.cache?.hits).toBe(1);
  });

  it("a prompt served from the cache reports completed once, like any other", async () => {
    const { service } = await setup(
      {},
      {
        cache: true,
        maxConcurrency: 1,
        settings: new FalImageGenSettings({ seed: 7, imageSize: "square" }),
      },
    );
    const { down } = await runTest(service, {
      framesToSend: [new TextFrame("same"), new TextFrame("same")],
    });
    expect(service.cache?.hits).toBe(1);
    const stages = (promptId: number): string[] =>
      progress(down)
        .filter((p) => p.promptId === promptId)
        .map((p) => p.stage);
    const [first, second] = down.filter((f): f is TextFrame => f instanceof TextFrame);
    expect(stages(first?.id ?? -1).filter((s) => s === "completed")).toHaveLength(1);
    expect(stages(second?.id ?? -1)).toEqual(["queued", "completed"]);
  });

  it("does not cache unseeded requests", async () => {
    const { server: s, service } = await setup({}, { cache: true, maxConcurrency: 1 });
    await runTest(service, { framesToSend: [new TextFrame("same"), new TextFrame("same")] });
    expect(count(s, "run")).toBe(2);
  });

  it("deferred decoding keeps the encoded file and decodes on demand", async () => {
    const { service } = await setup({}, { decode: "deferred" });
    const { down } = await runTest(service, { framesToSend: prompts(1) });
    const [frame] = images(down);
    expect(frame?.isDecoded).toBe(false);
    expect(frame?.image.length).toBe(0);
    expect(frame?.size).toEqual({ width: 64, height: 48 });
    const pixels = await frame?.pixels();
    expect(pixels?.length).toBe(64 * 48 * 3);
    expect(frame?.isDecoded).toBe(true);
    expect(frame?.format).toBe("RGB");
  });

  it("reports TTFB, processing time and per-request facts when metrics are enabled", async () => {
    const { service } = await setup(
      {},
      {
        mode: "queue",
        settings: new FalImageGenSettings({ seed: 3, numImages: 2, imageSize: "square" }),
      },
    );
    const { down } = await runTest(service, {
      framesToSend: prompts(1),
      taskOptions: { params: { enableMetrics: true } },
      includeMetricsFrames: true,
    });
    const data = down
      .filter((f): f is MetricsFrame => f instanceof MetricsFrame)
      .flatMap((f) => f.data);
    const ttfb = data.find(
      (d) => d.type === "ttfb" && d.processor === service.name && d.value > 0,
    ) as { value: number } | undefined;
    const processing = data.find(
      (d) => d.type === "processing" && d.processor === service.name && d.value > 0,
    );
    const facts = data.find((d) => d.type === "image_gen_request");
    expect(ttfb?.value).toBeGreaterThan(0);
    expect(processing).toBeDefined();
    expect(facts).toMatchObject({
      prompt: "scene 1",
      seed: 3,
      imageCount: 2,
      cached: false,
      model: "fal-ai/fast-sdxl",
    });
    expect(typeof (facts as { requestId?: string }).requestId).toBe("string");
    expect((facts as { bytes: number }).bytes).toBeGreaterThan(0);
    // The same facts ride on each image frame for observers that look at images only.
    expect(images(down)[0]?.metadata.fal).toMatchObject({ seed: 3 });
  });
});
