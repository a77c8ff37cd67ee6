// Conformance with the official @fal-ai/client, redirected to the local server in the two ways a
// Node program can use: proxyUrl (x-fal-target-url) and a custom fetch.
import { ApiError, createFalClient, ValidationError, type FalClient } from "@fal-ai/client";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { localFalFetch, type LocalFalServer } from "../../../src/local/fal/index.js";
import { InferenceGate, start, startWebhookReceiver, waitFor } from "./helpers.js";

type Mode = "proxyUrl" | "fetch";

function client(server: LocalFalServer, mode: Mode, credentials = "test-key"): FalClient {
  return mode === "proxyUrl"
    ? createFalClient({
        credentials,
        proxyUrl: { url: `${server.url}/api/fal/proxy`, when: "always" },
      })
    : createFalClient({ credentials, fetch: localFalFetch(server.url) });
}

/** With a gate, nothing finishes until the test releases it (see InferenceGate). */
async function serverFor(gate?: InferenceGate): Promise<LocalFalServer> {
  return start({
    requiredKey: "test-key",
    workers: 1,
    inferenceMs: 120,
    ...(gate ? { inferenceWait: gate.wait } : {}),
  });
}

describe.each<Mode>(["proxyUrl", "fetch"])(
  "@fal-ai/client against the local server (%s)",
  (mode) => {
    it("fal.run returns data and requestId", async () => {
      const s = await serverFor();
      const fal = client(s, mode);
      const r = await fal.run("fal-ai/flux/dev", {
        input: { prompt: "client run", image_size: "square", seed: 11, output_format: "png" },
      });
      expect(r.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.data.seed).toBe(11);
      expect(r.data.images[0]).toMatchObject({
        width: 512,
        height: 512,
        content_type: "image/png",
      });
      const bytes = Buffer.from(await (await fetch(r.data.images[0]!.url)).arrayBuffer());
      expect((await sharp(bytes).metadata()).format).toBe("png");
      const recorded = s.requests().find((x) => x.operation === "run");
      expect(recorded?.proxied).toBe(mode === "proxyUrl");
      expect(recorded?.headers["user-agent"]).toMatch(/^@fal-ai\/client\//);
      expect(JSON.stringify(s.requests())).not.toContain("test-key");
    });

    it("fal.subscribe with polling sees IN_QUEUE and IN_PROGRESS", async () => {
      // Each state lasts until the client has seen it, however slow the machine: the blocker
      // finishes once "polled" was seen queued, "polled" once it was seen in progress.
      const gate = new InferenceGate();
      const s = await serverFor(gate);
      const fal = client(s, mode);
      await fal.queue.submit("fal-ai/flux/schnell", {
        input: { prompt: "blocker", image_size: "square" },
      });
      const seen: string[] = [];
      let enqueued = "";
      const r = await fal.subscribe("fal-ai/flux/schnell", {
        input: { prompt: "polled", image_size: "square" },
        mode: "polling",
        pollInterval: 30,
        logs: true,
        onEnqueue: (id) => {
          enqueued = id;
        },
        onQueueUpdate: (u) => {
          if (u.status !== seen[seen.length - 1] && u.status !== "COMPLETED") gate.release();
          seen.push(u.status);
        },
      });
      expect(r.requestId).toBe(enqueued);
      expect(seen).toContain("IN_QUEUE");
      expect(seen).toContain("IN_PROGRESS");
      expect(seen[seen.length - 1]).toBe("COMPLETED");
      expect(r.data.prompt).toBe("polled");
    });

    it("fal.subscribe with streaming sees IN_QUEUE and IN_PROGRESS (with logs)", async () => {
      const gate = new InferenceGate(); // as in the polling test; "streamed" waits once per image
      const s = await serverFor(gate);
      const fal = client(s, mode);
      await fal.queue.submit("fal-ai/fast-sdxl", {
        input: { prompt: "blocker", image_size: "square" },
      });
      const seen: string[] = [];
      const logs: string[] = [];
      const r = await fal.subscribe("fal-ai/fast-sdxl", {
        input: { prompt: "streamed", image_size: "square", num_images: 2, format: "png" },
        mode: "streaming",
        logs: true,
        onQueueUpdate: (u) => {
          if (u.status === "IN_QUEUE" && !seen.includes("IN_QUEUE")) gate.release();
          if (u.status === "IN_PROGRESS" && !seen.includes("IN_PROGRESS")) gate.release(2);
          seen.push(u.status);
          if ("logs" in u) logs.splice(0, logs.length, ...u.logs.map((l) => l.message));
        },
      });
      expect(seen[0]).toBe("IN_QUEUE");
      expect(seen).toContain("IN_PROGRESS");
      expect(seen[seen.length - 1]).toBe("COMPLETED");
      expect(logs).toContain("Rendering image 2/2");
      expect(logs.filter((m) => m === "Loading preview renderer")).toHaveLength(1);
      expect(r.data.images).toHaveLength(2);
      expect(r.data.images[1]?.content_type).toBe("image/png");
      expect(s.requests().some((x) => x.operation === "stream")).toBe(true);
    });

    it("queue.submit / status / result / cancel", async () => {
      const gate = new InferenceGate(); // "q1" stays in progress until released below
      const s = await serverFor(gate);
      const fal = client(s, mode);
      const first = await fal.queue.submit("fal-ai/flux/dev", {
        input: { prompt: "q1", image_size: "square" },
      });
      const second = await fal.queue.submit("fal-ai/flux/dev", {
        input: { prompt: "q2", image_size: "square" },
      });
      expect(first.status).toBe("IN_QUEUE");
      expect(second.queue_position).toBe(0);
      const st = await fal.queue.status("fal-ai/flux/dev", {
        requestId: second.request_id,
        logs: true,
      });
      expect(st.status).toBe("IN_QUEUE");
      if (st.status === "IN_QUEUE") expect(st.queue_position).toBe(0);
      await expect(
        fal.queue.result("fal-ai/flux/dev", { requestId: first.request_id }),
      ).rejects.toMatchObject({
        status: 400,
        body: { detail: "Request is still in progress" },
      });
      // Cancel the queued one.
      await fal.queue.cancel("fal-ai/flux/dev", { requestId: second.request_id });
      await expect(
        fal.queue.result("fal-ai/flux/dev", { requestId: second.request_id }),
      ).rejects.toMatchObject({ status: 499 });
      // Let the first finish, wait for it and fetch its result.
      gate.release();
      await waitFor(async () => {
        const x = await fal.queue.status("fal-ai/flux/dev", { requestId: first.request_id });
        return x.status === "COMPLETED" ? x : undefined;
      });
      const res = await fal.queue.result("fal-ai/flux/dev", { requestId: first.request_id });
      expect(res.requestId).toBe(first.request_id);
      expect(res.data.prompt).toBe("q1");
      // Cancelling a completed request fails with ALREADY_COMPLETED.
      const err = await fal.queue
        .cancel("fal-ai/flux/dev", { requestId: first.request_id })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError<unknown>).status).toBe(400);
      expect((err as ApiError<unknown>).body).toEqual({ status: "ALREADY_COMPLETED" });
    });

    it("storage.upload, then GET the file_url; Blobs in the input are uploaded automatically", async () => {
      const s = await serverFor();
      const fal = client(s, mode);
      const bytes = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
      const url = await fal.storage.upload(new Blob([bytes], { type: "image/png" }));
      expect(url.startsWith(`${s.url}/files/`)).toBe(true);
      const got = await fetch(url);
      expect(got.headers.get("content-type")).toBe("image/png");
      expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
      const put = s.requests().find((x) => x.operation === "upload");
      expect(put?.headers.authorization).toBeUndefined();
      expect(put?.bodyBytes).toBe(bytes.length);

      await fal.run("fal-ai/flux/dev", {
        input: {
          prompt: "with a file",
          image_size: "square",
          reference: new Blob(["ref"], { type: "text/plain" }),
        } as never,
      });
      const run = s.requests().find((x) => x.operation === "run");
      const reference = (run!.body as { reference: string }).reference;
      expect(reference.startsWith(`${s.url}/files/`)).toBe(true);
      expect(await (await fetch(reference)).text()).toBe("ref");
    });

    it("ValidationError.fieldErrors names the bad field (run and subscribe)", async () => {
      const s = await serverFor();
      const fal = client(s, mode);
      const err = await fal
        .run("fal-ai/flux/dev", { input: { prompt: "x", num_images: 5 } })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      const v = err as ValidationError;
      expect(v.status).toBe(422);
      expect(v.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(v.fieldErrors.map((f) => f.loc)).toEqual([["body", "num_images"]]);
      expect(v.getFieldErrors("num_images")[0]?.msg).toBe(
        "Input should be less than or equal to 4",
      );

      const viaQueue = await fal
        .subscribe("fal-ai/fast-lightning-sdxl", {
          input: { prompt: "x", num_inference_steps: 4 } as never,
          pollInterval: 30,
        })
        .catch((e: unknown) => e);
      expect(viaQueue).toBeInstanceOf(ValidationError);
      expect((viaQueue as ValidationError).getFieldErrors("num_inference_steps")[0]?.type).toBe(
        "literal_error",
      );

      const missing = await fal
        .run("fal-ai/fast-sdxl", { input: {} as never })
        .catch((e: unknown) => e);
      expect((missing as ValidationError).getFieldErrors("prompt")[0]?.type).toBe("missing");
    });

    it("wrong credentials → ApiError 401; unknown model → ApiError 404", async () => {
      const s = await serverFor();
      const wrong = await client(s, mode, "not-the-key")
        .run("fal-ai/flux/dev", { input: { prompt: "x" } })
        .catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(ApiError);
      expect((wrong as ApiError<unknown>).status).toBe(401);
      expect((wrong as ApiError<unknown>).body).toEqual({ detail: "Unauthorized" });
      const unknown = await client(s, mode)
        .run("fal-ai/does-not-exist", { input: { prompt: "x" } })
        .catch((e: unknown) => e);
      expect((unknown as ApiError<unknown>).status).toBe(404);
      expect((unknown as ApiError<{ detail: string }>).body.detail).toBe(
        "Application 'fal-ai/does-not-exist' not found",
      );
    });

    it("webhookUrl on queue.submit is delivered", async () => {
      const receiver = await startWebhookReceiver();
      const s = await serverFor();
      const fal = client(s, mode);
      const sub = await fal.queue.submit("fal-ai/flux/schnell", {
        input: { prompt: "hook", image_size: "square" },
        webhookUrl: receiver.url,
      });
      const [delivery] = await waitFor(() =>
        receiver.received.length > 0 ? receiver.received : undefined,
      );
      expect(delivery!.body).toMatchObject({ request_id: sub.request_id, status: "OK" });
    });
  },
);
