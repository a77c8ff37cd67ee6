// Backend resolution: a key means fal.ai, a base URL means that server, otherwise the embedded
// local fal server is started (and said so). The embedded servers here bind 127.0.0.1.
import { afterEach, describe, expect, it } from "vitest";
import {
  BackendConfigError,
  localServerNotice,
  resolveBackend,
  type Backend,
} from "../../src/app/backend.js";
import { PipecatError } from "../../src/utils/errors.js";

const KEY = "backend-test-key-0123456789";
const EMBEDDED = { inferenceMs: 0 };
let opened: Backend | undefined;

afterEach(async () => {
  await opened?.close();
  opened = undefined;
});

describe("resolveBackend", () => {
  it("auto: FAL_BASE_URL wins and is announced; the key is passed along", async () => {
    const backend = await resolveBackend({
      env: { FAL_KEY: KEY, FAL_BASE_URL: "http://127.0.0.1:9" },
    });
    expect(backend).toMatchObject({
      kind: "server",
      baseUrl: "http://127.0.0.1:9",
      key: KEY,
      notice: "Using the fal-compatible server at http://127.0.0.1:9",
    });
    expect(await resolveBackend({ baseUrl: "http://h:2", env: {} })).toMatchObject({
      kind: "server",
      baseUrl: "http://h:2",
      key: undefined,
    });
  });

  it("auto: a key alone means fal.ai, with nothing to announce", async () => {
    expect(await resolveBackend({ env: { FAL_KEY: KEY, FAL_BASE_URL: "  " } })).toMatchObject({
      kind: "fal",
      baseUrl: undefined,
      key: KEY,
      notice: undefined,
    });
  });

  it("auto without key or URL starts the embedded server and says so", async () => {
    opened = await resolveBackend({ env: { FAL_KEY: " " }, local: EMBEDDED });
    expect(opened.kind).toBe("local");
    expect(opened.key).toBe("");
    expect(opened.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(opened.notice).toBe(localServerNotice(opened.baseUrl as string));
    expect(opened.notice).toBe(
      `No FAL_KEY set: using the embedded local fal server at ${opened.baseUrl} (preview renderer, not a model)`,
    );
    const answer = await fetch(`${opened.baseUrl}/run/fal-ai/fast-sdxl`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "a kite", image_size: "square" }),
    });
    expect(answer.status).toBe(200);
    await answer.arrayBuffer();
    await opened.close();
    await expect(fetch(`${opened.baseUrl}/run/fal-ai/fast-sdxl`)).rejects.toThrow();
    opened = undefined;
  });

  it("local with a key set still uses the embedded server, worded for that case", async () => {
    opened = await resolveBackend({ choice: "local", env: { FAL_KEY: KEY }, local: EMBEDDED });
    expect(opened.kind).toBe("local");
    expect(opened.notice).toBe(
      `Using the embedded local fal server at ${opened.baseUrl} (preview renderer, not a model)`,
    );
  });

  it("fal: needs a key; with a base URL it goes to that server without a notice", async () => {
    await expect(resolveBackend({ choice: "fal", env: {} })).rejects.toThrow(
      /needs a fal API key: set the FAL_KEY environment variable\.$/,
    );
    const error = await resolveBackend({ choice: "fal", env: { FAL_KEY: "  " } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BackendConfigError);
    expect(error).toBeInstanceOf(PipecatError);
    expect(error).toMatchObject({
      field: "backend",
      value: "fal",
      allowed: ["auto", "local"],
      reason: "needs a fal API key: set the FAL_KEY environment variable.",
      category: "validation",
      message: 'Backend "fal" needs a fal API key: set the FAL_KEY environment variable.',
    });
    expect(
      await resolveBackend({ choice: "fal", env: { FAL_KEY: KEY, FAL_BASE_URL: "http://h:3" } }),
    ).toMatchObject({ kind: "server", baseUrl: "http://h:3", key: KEY, notice: undefined });
  });
});
