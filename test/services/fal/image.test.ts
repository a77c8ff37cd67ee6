// FalImageGenService against a fake fal (sync API) on 127.0.0.1: requests, frames, settings,
// failures.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { Frame } from "../../../src/frames/base.js";
import { ErrorFrame } from "../../../src/frames/error.js";
import { ImageGenProgressFrame } from "../../../src/frames/progress.js";
import { URLImageRawFrame } from "../../../src/frames/image.js";
import { ImageGenUpdateSettingsFrame } from "../../../src/frames/settings.js";
import { LLMFullResponseEndFrame, LLMFullResponseStartFrame } from "../../../src/frames/llm.js";
import { InterimTranscriptionFrame, TextFrame } from "../../../src/frames/text.js";
import { FalImageGenService } from "../../../src/services/fal/image.js";
import { FalImageGenSettings, FalInputParams } from "../../../src/services/fal/settings.js";
import { resetDeprecationWarnings } from "../../../src/utils/deprecation.js";
import { SettingsValidationError } from "../../../src/utils/errors.js";
import {
  startFakeFal,
  type FakeFal,
  type FakeReply,
  type RecordedRequest,
} from "../../helpers/fake-fal.js";
import { runTest } from "../../helpers/run-test.js";

const KEY = "test-key-0123456789";
let fake: FakeFal;
const savedKey = process.env.FAL_KEY;

beforeAll(async () => {
  fake = await startFakeFal();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.respond((_req, f) => f.imagesReply(1));
});
afterEach(() => {
  if (savedKey === undefined) delete process.env.FAL_KEY;
  else process.env.FAL_KEY = savedKey;
});

function service(
  options: ConstructorParameters<typeof FalImageGenService>[0] = {},
): FalImageGenService {
  return new FalImageGenService({ key: KEY, baseUrl: fake.url, ...options });
}

const posts = (): typeof fake.requests => fake.requests.filter((r) => r.method === "POST");
const images = (frames: unknown[]): URLImageRawFrame[] =>
  frames.filter((f): f is URLImageRawFrame => f instanceof URLImageRawFrame);
const withoutProgress = (frames: Frame[]): Frame[] =>
  frames.filter((f) => !(f instanceof ImageGenProgressFrame));
const errors = (frames: unknown[]): ErrorFrame[] =>
  frames.filter((f): f is ErrorFrame => f instanceof ErrorFrame);

describe("requests", () => {
  it("sends Pipecat's default request when no settings are given", async () => {
    await runTest(service(), { framesToSend: [new TextFrame("a red fox")] });
    const [request] = posts();
    expect(request?.path).toBe("/run/fal-ai/fast-sdxl");
    expect(request?.headers.authorization).toBe(`Key ${KEY}`);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.body).toEqual({
      prompt: "a red fox",
      num_inference_steps: 8,
      num_images: 1,
      image_size: "square_hd",
      expand_prompt: false,
      enable_safety_checker: true,
      format: "png",
    });
  });

  it("sends the seed and custom size only when set, and forwards extra keys", async () => {
    const settings = FalImageGenSettings.fromMapping({
      image_size: { width: 1024, height: 768 },
      num_inference_steps: 12,
      seed: 42,
      guidance_scale: 6,
    });
    await runTest(service({ settings }), { framesToSend: [new TextFrame("x")] });
    expect(posts()[0]?.body).toMatchObject({
      seed: 42,
      image_size: { width: 1024, height: 768 },
      num_inference_steps: 12,
      guidance_scale: 6,
    });
  });

  it("uses the injected fetch for the fal call and the download", async () => {
    const calls: string[] = [];
    const fetchSpy: typeof fetch = (input, init) => {
      calls.push(String(input));
      return fetch(input, init);
    };
    await runTest(service({ fetch: fetchSpy }), { framesToSend: [new TextFrame("x")] });
    expect(calls).toHaveLength(2);
    expect(calls[0]).toBe(`${fake.url}/run/fal-ai/fast-sdxl`);
    expect(calls[1]).toMatch(/\/files\/img-\d+\.png$/);
  });

  it("FAL_BASE_URL redirects every call without other code changes", async () => {
    const saved = process.env.FAL_BASE_URL;
    process.env.FAL_BASE_URL = fake.url;
    try {
      const s = new FalImageGenService({ key: KEY });
      expect(s.endpoints).toEqual({ runUrl: `${fake.url}/run`, queueUrl: `${fake.url}/queue` });
      const { down } = await runTest(s, { framesToSend: [new TextFrame("x")] });
      expect(images(down)).toHaveLength(1);
      expect(posts()[0]?.path).toBe("/run/fal-ai/fast-sdxl");
    } finally {
      if (saved === undefined) delete process.env.FAL_BASE_URL;
      else process.env.FAL_BASE_URL = saved;
    }
  });

  it("talks to fal.ai's hosts by default", () => {
    const saved = process.env.FAL_BASE_URL;
    delete process.env.FAL_BASE_URL;
    try {
      expect(new FalImageGenService().endpoints).toEqual({
        runUrl: "https://fal.run",
        queueUrl: "https://queue.fal.run",
      });
    } finally {
      if (saved !== undefined) process.env.FAL_BASE_URL = saved;
    }
  });

  it("rejects a baseUrl that is not http(s)", () => {
    expect(() => new FalImageGenService({ baseUrl: "ftp://x" })).toThrow(
      /baseUrl.*ftp:\/\/x.*http/,
    );
  });

  it.each([
    ["queue.pollIntervalMs", { queue: { pollIntervalMs: 0 } }, "a positive number"],
    ["queue.startTimeoutSeconds", { queue: { startTimeoutSeconds: 1 } }, "greater than 1"],
    ["queue.statusMode", { queue: { statusMode: "sse" } }, '"stream" or "poll"'],
    ["queue", { queue: "poll" }, "an object"],
  ])("rejects a bad %s, naming the grouped path", (field, options, allowed) => {
    let error: unknown;
    try {
      new FalImageGenService(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsValidationError);
    expect((error as SettingsValidationError).field).toBe(field);
    expect((error as SettingsValidationError).message).toContain(allowed);
  });

  it("names a bad deprecated flat queue option as given; a grouped value wins over it", () => {
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    try {
      expect(() => new FalImageGenService({ pollIntervalMs: -1 })).toThrow(
        expect.objectContaining({ field: "pollIntervalMs", value: -1 }),
      );
      expect(
        () => new FalImageGenService({ pollIntervalMs: -1, queue: { pollIntervalMs: 5 } }),
      ).not.toThrow();
    } finally {
      warn.mockRestore();
    }
  });

  it("sets FAL_KEY when a key is given, and uses FAL_KEY when none is", async () => {
    delete process.env.FAL_KEY;
    service({ key: "from-option-key" });
    expect(process.env.FAL_KEY).toBe("from-option-key");
    process.env.FAL_KEY = "from-env-key";
    await runTest(new FalImageGenService({ baseUrl: fake.url }), {
      framesToSend: [new TextFrame("x")],
    });
    expect(posts()[0]?.headers.authorization).toBe("Key from-env-key");
  });
});

describe("frames", () => {
  it("emits every image, in order, after its TextFrame, with pixels and the encoded original", async () => {
    fake.respond((_req, f) => f.imagesReply(3, { width: 40, height: 30 }));
    const { down } = await runTest(
      service({ settings: new FalImageGenSettings({ numImages: 3 }) }),
      {
        framesToSend: [
          new LLMFullResponseStartFrame(),
          new TextFrame("three cats"),
          new LLMFullResponseEndFrame(),
        ],
      },
    );
    expect(withoutProgress(down).map((f) => f.constructor.name)).toEqual([
      "LLMFullResponseStartFrame",
      "TextFrame",
      "URLImageRawFrame",
      "URLImageRawFrame",
      "URLImageRawFrame",
      "LLMFullResponseEndFrame",
    ]);
    const frames = images(down);
    expect(frames.map((f) => f.size)).toEqual([
      { width: 40, height: 30 },
      { width: 41, height: 30 },
      { width: 42, height: 30 },
    ]);
    for (const [i, frame] of frames.entries()) {
      expect(frame.format).toBe("RGB");
      expect(frame.image.length).toBe(frame.size.width * frame.size.height * 3);
      expect(frame.mimeType).toBe("image/png");
      expect(frame.encoded?.subarray(1, 4)).toEqual(new Uint8Array([0x50, 0x4e, 0x47]));
      expect(frame.url).toMatch(/\/files\/img-\d+\.png$/);
      expect(frame.imageIndex).toBe(i);
      expect(frame.prompt).toBe("three cats");
    }
    // 1 POST and 3 downloads: every image is fetched (Pipecat fetches only the first).
    expect(fake.requests.filter((r) => r.method === "GET")).toHaveLength(3);
  });

  it("decodes JPEG too", async () => {
    fake.respond((_req, f) => f.imagesReply(1, { format: "jpeg" }));
    const { down } = await runTest(service(), { framesToSend: [new TextFrame("x")] });
    expect(images(down)[0]?.mimeType).toBe("image/jpeg");
    expect(images(down)[0]?.format).toBe("RGB");
  });

  it("generates from upstream TextFrames too, passing the text on upstream first", async () => {
    const { down, up } = await runTest(service(), {
      framesToSend: [],
      framesToSendUpstream: [new TextFrame("from below")],
    });
    expect(up.some((f) => f instanceof TextFrame && f.text === "from below")).toBe(true);
    expect(images(down)).toHaveLength(1);
  });

  it("does not generate from interim transcriptions or blank text, but forwards them", async () => {
    const { down } = await runTest(service(), {
      framesToSend: [new InterimTranscriptionFrame("a cat"), new TextFrame("   ")],
    });
    expect(withoutProgress(down).map((f) => f.constructor.name)).toEqual([
      "InterimTranscriptionFrame",
      "TextFrame",
    ]);
    expect(posts()).toHaveLength(0);
  });

  it("runImageGen works without a pipeline", async () => {
    fake.respond((_req, f) => f.imagesReply(2));
    const out = [];
    for await (const frame of service({
      settings: new FalImageGenSettings({ numImages: 2 }),
    }).runImageGen("standalone"))
      out.push(frame);
    expect(out.map((f) => f.constructor.name)).toEqual(["URLImageRawFrame", "URLImageRawFrame"]);
  });

  it("a generation that ends early (a failed image, a consumer that stops) aborts its other downloads", async () => {
    // Downloads under /hang/ never answer until their signal aborts.
    const hung: AbortSignal[] = [];
    const fetchFn: typeof fetch = (input, init) => {
      const signal = init?.signal;
      if (!String(input).includes("/hang/") || !signal) return globalThis.fetch(input, init);
      hung.push(signal);
      return new Promise((_resolve, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true }),
      );
    };
    const hangs = [`${fake.url}/hang/1.png`, `${fake.url}/hang/2.png`];

    // Image 0 fails (404) while images 1 and 2 are still downloading.
    fake.respond(() => ({
      body: {
        images: [{ url: `${fake.url}/files/missing.png` }, ...hangs.map((url) => ({ url }))],
      },
    }));
    const out = [];
    for await (const frame of service({
      fetch: fetchFn,
      settings: new FalImageGenSettings({ numImages: 3 }),
    }).runImageGen("x"))
      out.push(frame);
    expect(out.map((f) => f.constructor.name)).toEqual(["ErrorFrame"]);
    expect(hung).toHaveLength(2);
    expect(hung.every((signal) => signal.aborted)).toBe(true);

    // The consumer stops after image 0 while images 1 and 2 are still downloading.
    hung.length = 0;
    fake.respond(async (_req, f) => {
      const reply = await f.imagesReply(1);
      const body = reply.body as { images: { url: string }[] };
      return { body: { ...body, images: [...body.images, ...hangs.map((url) => ({ url }))] } };
    });
    for await (const frame of service({
      fetch: fetchFn,
      settings: new FalImageGenSettings({ numImages: 3 }),
    }).runImageGen("y")) {
      expect(frame).toBeInstanceOf(URLImageRawFrame);
      break;
    }
    expect(hung).toHaveLength(2);
    expect(hung.every((signal) => signal.aborted)).toBe(true);
  });

  it("runImageGen yields an ErrorFrame on failure", async () => {
    fake.respond(() => ({ status: 500, body: { detail: "boom" } }));
    const out = [];
    for await (const frame of service({ retry: { maxRetries: 0 } }).runImageGen("x"))
      out.push(frame);
    expect(out).toHaveLength(1);
    expect(out[0]).toBeInstanceOf(ErrorFrame);
    expect((out[0] as ErrorFrame).error).toContain("boom");
  });
});

describe("settings", () => {
  it("honours the deprecated model and params options with a one-time DeprecationWarning", async () => {
    resetDeprecationWarnings();
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    const s1 = service({
      model: "fal-ai/fast-lightning-sdxl",
      params: new FalInputParams({ numImages: 2, numInferenceSteps: 4 }),
    });
    service({ model: "fal-ai/fast-sdxl" });
    const messages = warn.mock.calls.map((c) => String(c[0]));
    warn.mockRestore();
    expect(s1.settings.model).toBe("fal-ai/fast-lightning-sdxl");
    expect(s1.settings.numImages).toBe(2);
    expect(s1.settings.numInferenceSteps).toBe(4);
    expect(messages.filter((m) => m.includes("`model`"))).toHaveLength(1);
    expect(
      messages.some((m) => m.includes("`params`") && m.includes("FalImageGenService.Settings")),
    ).toBe(true);
  });

  it("ignores params entirely when settings are also given, and settings beat model", () => {
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    const s = service({
      model: "m1/a",
      params: new FalInputParams({ numInferenceSteps: 4 }),
      settings: new FalImageGenSettings({ numImages: 3, model: "fal-ai/fast-sdxl" }),
    });
    warn.mockRestore();
    expect(s.settings.numImages).toBe(3);
    expect(s.settings.numInferenceSteps).toBe(8);
    expect(s.settings.model).toBe("fal-ai/fast-sdxl");
  });

  it.each([
    ["imageSize", { imageSize: "huge" }],
    ["numImages", { numImages: 0 }],
    ["numInferenceSteps", { numInferenceSteps: 2.5 }],
    ["format", { format: "gif" }],
  ])(
    "rejects a bad %s at construction, naming the field, the value and what is allowed",
    (field, bad) => {
      let error: unknown;
      try {
        service({ settings: new FalImageGenSettings(bad as never) });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SettingsValidationError);
      const e = error as SettingsValidationError;
      expect(e.field).toBe(field);
      expect(e.message).toContain(field);
      expect(e.message).toContain(String(Object.values(bad)[0]));
      expect(e.message).toContain("Allowed");
    },
  );

  it("rejects a bad update and keeps the old settings", async () => {
    const s = service();
    await expect(s.updateSettings(new FalImageGenSettings({ numImages: 2 }))).resolves.toEqual({
      numImages: 1,
    });
    expect(() => FalImageGenSettings.fromMapping({ image_size: "giant" })).toThrow(/imageSize/);
    await expect(
      s.updateSettings(new FalImageGenSettings({ model: "fal-ai/flux/dev", numImages: 6 })),
    ).rejects.toThrow(/numImages/);
    expect(s.settings.model).toBe("fal-ai/fast-sdxl");
    expect(s.settings.numImages).toBe(2);
  });

  it("applies ImageGenUpdateSettingsFrame to the prompts after it, in frame order", async () => {
    fake.respond((req, f) =>
      f.imagesReply(Number((req.body as { num_images: number }).num_images)),
    );
    const s = service({ maxConcurrency: 4 });
    const { down } = await runTest(s, {
      framesToSend: [
        new TextFrame("one"),
        new ImageGenUpdateSettingsFrame(new FalImageGenSettings({ numImages: 2 })),
        new TextFrame("two"),
      ],
    });
    expect(posts().map((r) => (r.body as { num_images: number }).num_images)).toEqual([1, 2]);
    expect(images(down).map((f) => f.prompt)).toEqual(["one", "two", "two"]);
    // The update frame is consumed by the service it targets.
    expect(down.some((f) => f instanceof ImageGenUpdateSettingsFrame)).toBe(false);
  });

  it("forwards an update aimed at another service untouched", async () => {
    const other = service({ name: "other" });
    const frame = new ImageGenUpdateSettingsFrame(new FalImageGenSettings({ numImages: 2 }), {
      service: other,
    });
    const { down } = await runTest(service(), { framesToSend: [frame, new TextFrame("x")] });
    expect(down[0]).toBe(frame);
    expect((posts()[0]!.body as { num_images: number }).num_images).toBe(1);
  });

  it("turns an update the model cannot take into an ErrorFrame, keeps the old settings and keeps going", async () => {
    // flux takes at most 4 images: switching a 6-image service to flux is refused as a whole.
    fake.respond((req, f) =>
      f.imagesReply(Number((req.body as { num_images: number }).num_images)),
    );
    const s = service({ settings: new FalImageGenSettings({ numImages: 6 }) });
    const { up, down } = await runTest(s, {
      framesToSend: [
        new ImageGenUpdateSettingsFrame(new FalImageGenSettings({ model: "fal-ai/flux/dev" })),
        new TextFrame("x"),
      ],
    });
    expect(errors(up)[0]?.error).toMatch(/numImages/);
    expect(errors(up)[0]?.category).toBe("validation");
    expect(s.settings.model).toBe("fal-ai/fast-sdxl");
    expect(images(down)).toHaveLength(6);
  });

  it("remaps the arguments when the model changes at runtime", async () => {
    const s = service({ settings: new FalImageGenSettings({ format: "jpeg" }) });
    fake.respond((_req, f) => f.imagesReply(1, { format: "jpeg" }));
    await runTest(s, {
      framesToSend: [
        new TextFrame("sdxl"),
        new ImageGenUpdateSettingsFrame(
          new FalImageGenSettings({ model: "fal-ai/flux/schnell", numInferenceSteps: 4 }),
        ),
        new TextFrame("flux"),
      ],
    });
    const [sdxl, flux] = posts();
    expect(sdxl?.path).toBe("/run/fal-ai/fast-sdxl");
    expect(sdxl?.body).toMatchObject({ format: "jpeg", expand_prompt: false });
    expect(flux?.path).toBe("/run/fal-ai/flux/schnell");
    expect(flux?.body).toMatchObject({ output_format: "jpeg", num_inference_steps: 4 });
    expect(flux?.body).not.toHaveProperty("format");
    expect(flux?.body).not.toHaveProperty("expand_prompt");
  });
});

describe("failures become upstream ErrorFrames and the pipeline keeps running", () => {
  type Failing = (req: RecordedRequest, f: FakeFal) => FakeReply | Promise<FakeReply>;
  const cases: [string, Failing, RegExp, string][] = [
    [
      "a 422 with field errors",
      () => ({
        status: 422,
        body: {
          detail: [
            {
              loc: ["body", "num_images"],
              msg: "Input should be less than or equal to 8",
              type: "less_than_equal",
            },
          ],
        },
      }),
      /422.*num_images/,
      "validation",
    ],
    [
      "a 401",
      () => ({ status: 401, body: { detail: "Unauthorized" } }),
      /401.*Unauthorized/,
      "authentication",
    ],
    ["a 500", () => ({ status: 500, body: { detail: "Internal Server Error" } }), /500/, "server"],
    ["missing images", () => ({ body: { seed: 1 } }), /no "images"/, "server"],
    ["an empty images list", () => ({ body: { images: [] } }), /no images/, "server"],
    ["invalid JSON", () => ({ body: "{not json" }), /not JSON/, "server"],
    [
      "a download that 404s",
      (_r, f) => ({ body: { images: [{ url: `${f.url}/files/missing.png` }] } }),
      /HTTP 404/,
      "validation",
    ],
    [
      "a download that is not an image",
      (_r, f) => ({
        body: {
          images: [
            { url: f.addFile("page.html", new TextEncoder().encode("<html>"), "text/html") },
          ],
        },
      }),
      /not an image/,
      "server",
    ],
    [
      "a download labelled as an image that is not one",
      (_r, f) => ({
        body: {
          images: [{ url: f.addFile("fake.png", new TextEncoder().encode("hello"), "image/png") }],
        },
      }),
      /not an image/,
      "server",
    ],
  ];

  it.each(cases)("%s", async (_name, failing, message, category) => {
    let postCount = 0;
    // The first prompt fails; the second must still get its image.
    fake.respond((req, f) => (++postCount === 1 ? failing(req, f) : f.imagesReply(1)));
    const { up, down } = await runTest(service({ retry: { maxRetries: 0 }, maxConcurrency: 1 }), {
      framesToSend: [new TextFrame("bad"), new TextFrame("good")],
    });
    const [error] = errors(up);
    expect(errors(up)).toHaveLength(1);
    expect(error?.error).toMatch(message);
    expect(error?.category).toBe(category);
    expect(error?.prompt).toBe("bad");
    expect(down.filter((f) => f instanceof TextFrame).map((f) => (f as TextFrame).text)).toEqual([
      "bad",
      "good",
    ]);
    expect(images(down).map((f) => f.prompt)).toEqual(["good"]);
  });

  it("an ErrorFrame names the TextFrame it answers, so identical prompts are told apart", async () => {
    let postCount = 0;
    fake.respond(async (_req, f) =>
      ++postCount === 1
        ? { ...(await f.imagesReply(1)), delayMs: 100 }
        : { status: 500, body: { detail: "second one failed" } },
    );
    const first = new TextFrame("same");
    const second = new TextFrame("same");
    const { up, down } = await runTest(service({ retry: { maxRetries: 0 }, maxConcurrency: 2 }), {
      framesToSend: [first, second],
    });
    expect(images(down)).toHaveLength(1);
    expect(errors(up).map((e) => [e.prompt, e.promptId])).toEqual([["same", second.id]]);
  });

  it("a network error (nothing listening) becomes a network ErrorFrame", async () => {
    const s = new FalImageGenService({
      key: KEY,
      baseUrl: "http://127.0.0.1:9",
      retry: { maxRetries: 0 },
    });
    const { up } = await runTest(s, { framesToSend: [new TextFrame("x")] });
    expect(errors(up)[0]?.category).toBe("network");
  });

  it("marks the service unusable on 401 and usable again after a settings change", async () => {
    fake.respond(() => ({ status: 401, body: { detail: "Unauthorized" } }));
    const s = service();
    await runTest(s, { framesToSend: [new TextFrame("x")] });
    expect(s.isUsable).toBe(false);
    await s.updateSettings(new FalImageGenSettings({ numImages: 2 }));
    expect(s.isUsable).toBe(true);
  });

  it("never lets the key reach an ErrorFrame, even when the server echoes it", async () => {
    fake.respond((req) => ({
      status: 400,
      body: { detail: `bad auth header: ${String(req.headers.authorization)}` },
    }));
    const { up } = await runTest(service(), { framesToSend: [new TextFrame("x")] });
    const [error] = errors(up);
    expect(error?.error).toContain("[REDACTED]");
    expect(
      JSON.stringify({
        e: error?.error,
        c: String(error?.cause),
        d: (error?.cause as { detail?: unknown })?.detail,
      }),
    ).not.toContain(KEY);
  });

  it("never lets the key reach an ErrorFrame when the server echoes it as a JSON object key", async () => {
    fake.respond((req) => ({
      status: 400,
      body: { detail: { [String(req.headers.authorization)]: "not accepted" } },
    }));
    const { up } = await runTest(service(), { framesToSend: [new TextFrame("x")] });
    const [error] = errors(up);
    expect(error?.error).toContain("[REDACTED]");
    expect(
      JSON.stringify({ e: error?.error, d: (error?.cause as { detail?: unknown })?.detail }),
    ).not.toContain(KEY);
  });
});
