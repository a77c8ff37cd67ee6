import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/server/app.js";
import type { Handler } from "../../../src/server/compose.js";
import { bodyLimit } from "../../../src/server/middleware/body-limit.js";
import { failingBody } from "../../../src/server/middleware/faults.js";
import {
  RequestRecorder,
  recordRequests,
  recordedHeaders,
} from "../../../src/server/middleware/record.js";
import { createRedactor } from "../../../src/server/middleware/redact.js";

interface Entry {
  path: string;
  body?: string;
  bytes: number;
  headers: Record<string, string>;
  status?: number;
}

function recordingApp(max = 10, handler: Handler = () => new Response("ok")) {
  const recorder = new RequestRecorder<Entry>(max);
  const redactor = createRedactor(["sk-secret"], { replacement: "[redacted]" });
  const app = createApp({
    middleware: [
      bodyLimit({ maxBytes: 16 }),
      recordRequests<Entry>({
        recorder,
        describe: (request, context, body) => ({
          path: context.target,
          ...(body ? { body: new TextDecoder().decode(body) } : {}),
          bytes: body?.byteLength ?? 0,
          headers: recordedHeaders(request.headers),
        }),
        redact: (entry) => redactor.value(entry),
      }),
    ],
    handler,
  });
  return { app, recorder };
}

describe("recordRequests", () => {
  it("records the body, the headers without credentials, and the answered status", async () => {
    const { app, recorder } = recordingApp();
    await (
      await app.request("/a", {
        method: "POST",
        body: "hello",
        headers: { authorization: "Bearer x", "x-api-key": "y", "x-trace": "1" },
      })
    ).text();
    expect(recorder.list()).toEqual([
      { path: "/a", body: "hello", bytes: 5, headers: expect.any(Object), status: 200 },
    ]);
    const [entry] = recorder.list();
    expect(entry?.headers["x-trace"]).toBe("1");
    expect(entry?.headers.authorization).toBeUndefined();
    expect(entry?.headers["x-api-key"]).toBeUndefined();
  });

  it("redacts secrets (also URL-encoded) before storing", async () => {
    const { app, recorder } = recordingApp();
    await app.request("/files/sk-secret?k=sk-secret", {
      method: "POST",
      body: "sk-secret",
      headers: { "x-note": "key sk-secret" },
    });
    const stored = JSON.stringify(recorder.list());
    expect(stored).not.toContain("sk-secret");
    expect(recorder.list()[0]).toMatchObject({
      path: "/files/[redacted]?k=[redacted]",
      body: "[redacted]",
      headers: { "x-note": "key [redacted]" },
    });
  });

  it("records an oversized body as absent, with the 413 it got", async () => {
    const { app, recorder } = recordingApp();
    const response = await app.request("/big", { method: "POST", body: "x".repeat(100) });
    expect(response.status).toBe(413);
    await response.text();
    expect(recorder.list()).toEqual([
      { path: "/big", bytes: 0, headers: expect.any(Object), status: 413 },
    ]);
  });

  it("leaves the status unset while pending and for answers that never complete", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = recordingApp(10, async () => {
      await gate;
      return new Response("late");
    });
    const pending = slow.app.request("/slow", { method: "POST", body: "x" });
    await new Promise((r) => setTimeout(r, 10));
    expect(slow.recorder.list()).toEqual([
      { path: "/slow", body: "x", bytes: 1, headers: expect.any(Object) },
    ]);
    release();
    const response = await pending;
    await response.text();
    expect(slow.recorder.list()[0]?.status).toBe(200);

    const { app, recorder } = recordingApp(10, () => new Response(failingBody(new Uint8Array(1))));
    const broken = await app.request("/broken");
    await expect(broken.text()).rejects.toThrow();
    expect(recorder.list()[0]?.status).toBeUndefined();
  });

  it("keeps the newest entries and hands out copies", async () => {
    const { app, recorder } = recordingApp(2);
    for (const path of ["/1", "/2", "/3"]) await (await app.request(path)).text();
    expect(recorder.list().map((e) => e.path)).toEqual(["/2", "/3"]);
    const copy = recorder.list();
    (copy[0] as Entry).path = "/changed";
    expect(recorder.list()[0]?.path).toBe("/2");
    recorder.clear();
    expect(recorder.list()).toEqual([]);
    // The ring keeps its order however often it wraps around, and after a clear().
    for (const path of ["/4", "/5", "/6", "/7", "/8"]) await (await app.request(path)).text();
    expect(recorder.list().map((e) => e.path)).toEqual(["/7", "/8"]);
  });

  it("records nothing with max 0, and still answers an oversized body with 413", async () => {
    const { app, recorder } = recordingApp(0);
    expect(recorder.recording).toBe(false);
    expect((await app.request("/a", { method: "POST", body: "small" })).status).toBe(200);
    const big = await app.request("/b", { method: "POST", body: "x".repeat(17) });
    expect(big.status).toBe(413);
    expect(recorder.list()).toEqual([]);
  });
});
