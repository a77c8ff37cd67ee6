import { describe, expect, it } from "vitest";
import { call, start, startWebhookReceiver, submit, waitFor } from "./helpers.js";

const hook = (url: string): string => `?fal_webhook=${encodeURIComponent(url)}`;

describe("local fal server: webhooks", () => {
  it("POSTs status OK with the output payload on completion", async () => {
    const receiver = await startWebhookReceiver();
    const s = await start();
    const sub = await submit(
      s.url,
      "fal-ai/flux/dev",
      { prompt: "hooked", image_size: "square", seed: 9 },
      hook(receiver.url),
    );
    expect(sub.gateway_request_id).toBe(sub.request_id);
    const [delivery] = await waitFor(() =>
      receiver.received.length > 0 ? receiver.received : undefined,
    );
    expect(delivery!.headers["content-type"]).toBe("application/json");
    expect(delivery!.headers["x-fal-webhook-request-id"]).toBe(sub.request_id);
    expect(delivery!.body).toMatchObject({
      request_id: sub.request_id,
      gateway_request_id: sub.request_id,
      status: "OK",
    });
    expect(delivery!.body.payload.seed).toBe(9);
    expect(delivery!.body.payload.images[0]).toMatchObject({
      width: 512,
      height: 512,
      content_type: "image/jpeg",
    });
    expect(delivery!.body.error).toBeUndefined();
    const recorded = s.requests().find((r) => r.operation === "submit");
    expect(recorded?.query.fal_webhook).toBe(receiver.url);
    await waitFor(() => (s.stats().webhooksDelivered === 1 ? true : undefined));
  });

  it("POSTs status ERROR with the error payload for invalid input and for cancelled requests", async () => {
    const receiver = await startWebhookReceiver();
    const s = await start({ workers: 1, inferenceMs: 300 });
    const bad = await submit(
      s.url,
      "fal-ai/flux/dev",
      { prompt: "x", num_images: 5 },
      hook(receiver.url),
    );
    const blocker = await submit(s.url, "fal-ai/flux/dev", {
      prompt: "blocker",
      image_size: "square",
    });
    const doomed = await submit(
      s.url,
      "fal-ai/flux/dev",
      { prompt: "doomed", image_size: "square" },
      hook(receiver.url),
    );
    expect((await call(s.url, "PUT", new URL(doomed.cancel_url).pathname)).status).toBe(202);
    await waitFor(() => (receiver.received.length >= 2 ? true : undefined));
    const byId = new Map(receiver.received.map((d) => [d.body.request_id, d.body]));
    expect(byId.get(bad.request_id)).toMatchObject({
      status: "ERROR",
      error: "Invalid status code: 422",
    });
    expect(byId.get(bad.request_id).payload.detail[0]).toMatchObject({
      loc: ["body", "num_images"],
    });
    expect(byId.get(doomed.request_id)).toMatchObject({
      status: "ERROR",
      error: "Request was cancelled",
      payload: { detail: "Request was cancelled", error_type: "client_cancelled" },
    });
    expect(byId.has(blocker.request_id)).toBe(false);
  });

  it("delivery failures are counted and do not affect the request", async () => {
    const receiver = await startWebhookReceiver(500);
    const s = await start({ webhookTimeoutMs: 500 });
    const sub = await submit(
      s.url,
      "fal-ai/flux/schnell",
      { prompt: "x", image_size: "square" },
      hook(receiver.url),
    );
    // Unreachable receiver (nothing listens on port 9 of 127.0.0.1 in the test machine; the
    // connection is refused).
    await submit(
      s.url,
      "fal-ai/flux/schnell",
      { prompt: "y", image_size: "square" },
      hook("http://127.0.0.1:9/nowhere"),
    );
    await waitFor(() => (s.stats().webhooksFailed === 2 ? true : undefined));
    expect((await call(s.url, "GET", new URL(sub.response_url).pathname)).status).toBe(200);
  });

  it("only http(s) webhook URLs are accepted", async () => {
    const s = await start();
    for (const url of ["file:///etc/passwd", "ftp://127.0.0.1/x", "not a url"]) {
      const r = await call(s.url, "POST", `/queue/fal-ai/flux/dev${hook(url)}`, {
        body: { prompt: "x" },
      });
      expect(r.status, url).toBe(400);
      expect(r.json.detail).toContain("fal_webhook");
    }
  });
});
