// describeFailure: the one line a person reads for a failed prompt. The ErrorFrames here are made by
// the real FalImageGenService (runImageGen) over an injected fetch, so the test pins what users see
// for the frames the service really builds.
import { describe, expect, it } from "vitest";
import { describeFailure } from "../../src/app/describe-failure.js";
import { ErrorFrame } from "../../src/frames/error.js";
import { FalImageGenService } from "../../src/services/fal/image.js";
import { FalImageGenSettings } from "../../src/services/fal/settings.js";

const MODEL = "fal-ai/not-here";
const LONG_PROMPT = `a "quoted" back\\slash prompt that is long enough to be shortened in the frame's text`;

/** The ErrorFrame the service yields when fal answers `status` with `body` (or fetch throws). */
async function failedFrame(
  answer: { status: number; body: unknown } | { throws: unknown },
  prompt = "a red fox",
): Promise<ErrorFrame> {
  const fetchStub = (async () => {
    if ("throws" in answer) throw answer.throws;
    return new Response(JSON.stringify(answer.body), {
      status: answer.status,
      headers: { "content-type": "application/json" },
    });
  }) as typeof fetch;
  const service = new FalImageGenService({
    key: "",
    fetch: fetchStub,
    settings: new FalImageGenSettings({ model: MODEL }),
    retry: { maxRetries: 0 },
  });
  for await (const frame of service.runImageGen(prompt)) {
    if (frame instanceof ErrorFrame) return frame;
  }
  throw new Error("the service produced no ErrorFrame");
}

describe("describeFailure", () => {
  it("names the unknown model on a 404, with fal's detail and where the request went", async () => {
    const frame = await failedFrame({ status: 404, body: { detail: "Application not found" } });
    expect(describeFailure(frame, { model: MODEL, baseUrl: undefined })).toEqual({
      message: `Unknown model "${MODEL}": fal.ai answered 404 (Application not found).`,
      status: 404,
    });
    expect(describeFailure(frame, { model: MODEL, baseUrl: "http://127.0.0.1:9" }).message).toBe(
      `Unknown model "${MODEL}": the server at http://127.0.0.1:9 answered 404 (Application not found).`,
    );
    const bare = await failedFrame({ status: 404, body: {} });
    expect(describeFailure(bare, { model: MODEL, baseUrl: undefined }).message).toBe(
      `Unknown model "${MODEL}": fal.ai answered 404 (not found).`,
    );
  });

  it("explains 401 and 403 in terms of the key", async () => {
    const unauthorized = await failedFrame({ status: 401, body: { detail: "No key" } });
    expect(describeFailure(unauthorized, { model: MODEL, baseUrl: undefined })).toEqual({
      message:
        "fal.ai rejected the request (HTTP 401): the fal key is missing or wrong. Check FAL_KEY.",
      status: 401,
    });
    const forbidden = await failedFrame({ status: 403, body: { detail: "Nope" } });
    expect(describeFailure(forbidden, { model: MODEL, baseUrl: "http://h:1" })).toEqual({
      message: `the server at http://h:1 refused the request (HTTP 403): this key may not use "${MODEL}".`,
      status: 403,
    });
  });

  it("gives the cause's own message for other answers, without the frame's prompt prefix", async () => {
    const frame = await failedFrame(
      { status: 500, body: { detail: "GPU  on\n   fire" } },
      LONG_PROMPT,
    );
    expect(frame.error).toContain("Image generation failed for prompt");
    expect(describeFailure(frame, { model: MODEL, baseUrl: undefined })).toEqual({
      message: "fal run failed with HTTP 500: GPU on fire",
      status: 500,
    });
  });

  it("says which server cannot be reached", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), {
      code: "ECONNREFUSED",
    });
    const frame = await failedFrame({ throws: new TypeError("fetch failed", { cause: refused }) });
    const { message, status } = describeFailure(frame, {
      model: MODEL,
      baseUrl: "http://127.0.0.1:9",
    });
    expect(message).toBe(
      `Cannot reach the server at http://127.0.0.1:9: ${(frame.cause as Error).message}`,
    );
    expect(message).toMatch(/ECONNREFUSED/);
    expect(status).toBeUndefined();
  });

  it("keeps the text of an error that belongs to no prompt", () => {
    const frame = new ErrorFrame('Settings update rejected: Invalid value for "seed": -1.', {
      cause: new Error('Invalid value for "seed": -1.'),
    });
    expect(describeFailure(frame, { model: MODEL, baseUrl: undefined })).toEqual({
      message: 'Settings update rejected: Invalid value for "seed": -1.',
      status: undefined,
    });
  });

  it("removes the key from the message", async () => {
    const key = "describe-failure-key-0123456789";
    const frame = await failedFrame({ status: 500, body: { detail: `echoed ${key}` } });
    expect(describeFailure(frame, { model: MODEL, baseUrl: undefined, key }).message).toBe(
      "fal run failed with HTTP 500: echoed [REDACTED]",
    );
  });
});
