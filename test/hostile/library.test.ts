// Hostile inputs and faults through the library API (FalImageGenService, settings, frames): each
// test is a row of docs/hostile-inputs.md ("Library API").
import { getEventListeners } from "node:events";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ErrorFrame } from "../../src/frames/error.js";
import { URLImageRawFrame } from "../../src/frames/image.js";
import { ImageGenUpdateSettingsFrame } from "../../src/frames/settings.js";
import { TextFrame } from "../../src/frames/text.js";
import { FalImageGenService } from "../../src/services/fal/image.js";
import { FalImageGenSettings } from "../../src/services/fal/settings.js";
import { LinkedAbort } from "../../src/utils/abort.js";
import { SettingsValidationError } from "../../src/utils/errors.js";
import { redactText } from "../../src/utils/secrets.js";
import { startFakeFal, type FakeFal } from "../helpers/fake-fal.js";
import { runTest } from "../helpers/run-test.js";

const KEY = "library-hostile-key-0123456789";
let fake: FakeFal;

beforeAll(async () => {
  fake = await startFakeFal();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.respond(async (_req, f) => ({ ...(await f.imagesReply(1)), delayMs: 30 }));
});

/** Collects process warnings while `run` runs. */
async function warningsDuring(run: () => Promise<void>): Promise<Error[]> {
  const seen: Error[] = [];
  const onWarning = (warning: Error): void => {
    seen.push(warning);
  };
  process.on("warning", onWarning);
  try {
    await run();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", onWarning);
  }
  return seen;
}

describe("abort listeners stay flat under concurrency", () => {
  it("maxConcurrency 16 with 40 prompts emits no MaxListenersExceededWarning", async () => {
    const service = new FalImageGenService({ key: KEY, baseUrl: fake.url, maxConcurrency: 16 });
    const prompts = Array.from({ length: 40 }, (_, i) => new TextFrame(`prompt ${i}`));
    let down: unknown[] = [];
    const warnings = await warningsDuring(async () => {
      ({ down } = await runTest(service, { framesToSend: prompts }));
    });
    expect(warnings.map((w) => w.name)).not.toContain("MaxListenersExceededWarning");
    expect(down.filter((f) => f instanceof URLImageRawFrame)).toHaveLength(40);
  });

  it("one caller signal shared by 40 concurrent runImageGen calls holds one listener", async () => {
    const service = new FalImageGenService({ key: KEY, baseUrl: fake.url, maxConcurrency: 16 });
    const shared = new AbortController();
    let peak = 0;
    const warnings = await warningsDuring(async () => {
      const runs = Array.from({ length: 40 }, async (_, i) => {
        const frames = [];
        for await (const frame of service.runImageGen(`p${i}`, { signal: shared.signal })) {
          peak = Math.max(peak, getEventListeners(shared.signal, "abort").length);
          frames.push(frame);
        }
        return frames;
      });
      const results = await Promise.all(runs);
      expect(results.flat().filter((f) => f instanceof URLImageRawFrame)).toHaveLength(40);
    });
    expect(warnings.map((w) => w.name)).not.toContain("MaxListenersExceededWarning");
    expect(peak).toBeLessThanOrEqual(1);
    expect(getEventListeners(shared.signal, "abort")).toHaveLength(0);
  });

  it("LinkedAbort: 100 links on one source add one listener; disposing all removes it", () => {
    const source = new AbortController();
    const links = Array.from({ length: 100 }, () => new LinkedAbort([source.signal]));
    expect(getEventListeners(source.signal, "abort")).toHaveLength(1);
    for (const link of links.slice(0, 99)) link.dispose();
    expect(getEventListeners(source.signal, "abort")).toHaveLength(1);
    links[99]?.dispose();
    expect(getEventListeners(source.signal, "abort")).toHaveLength(0);
  });

  it("LinkedAbort: a source abort still reaches every live link, not the disposed ones", () => {
    const source = new AbortController();
    const live = Array.from({ length: 20 }, () => new LinkedAbort([source.signal]));
    const gone = new LinkedAbort([source.signal]);
    gone.dispose();
    source.abort(new Error("stop"));
    expect(
      live.every((l) => l.signal.aborted && (l.signal.reason as Error).message === "stop"),
    ).toBe(true);
    expect(gone.signal.aborted).toBe(false);
  });
});

/** The JSON bodies of the generation requests the fake received, in order. */
const bodies = (): Array<Record<string, unknown>> =>
  fake.requests.filter((r) => r.method === "POST").map((r) => r.body as Record<string, unknown>);
const errorsIn = (frames: unknown[]): ErrorFrame[] =>
  frames.filter((f): f is ErrorFrame => f instanceof ErrorFrame);

/** Sends prompt "a", the update frame, prompt "b"; returns the upstream errors. */
async function updateBetweenPrompts(frame: ImageGenUpdateSettingsFrame): Promise<ErrorFrame[]> {
  const service = new FalImageGenService({ key: KEY, baseUrl: fake.url, maxConcurrency: 1 });
  const { up } = await runTest(service, {
    framesToSend: [new TextFrame("a"), frame, new TextFrame("b")],
  });
  return errorsIn(up);
}

describe("settings updates given as plain objects", () => {
  it("an ImageGenUpdateSettingsFrame with a plain object applies it to the next prompt", async () => {
    // JavaScript users write exactly this; it used to fail with "delta.fieldNames is not a function".
    const frame = new ImageGenUpdateSettingsFrame({ imageSize: "square", num_inference_steps: 4 });
    expect(await updateBetweenPrompts(frame)).toEqual([]);
    const [first, second] = bodies();
    expect(first?.image_size).toBe("square_hd");
    expect(second).toMatchObject({ image_size: "square", num_inference_steps: 4 });
  });

  it("a plain object with a bad value becomes an ErrorFrame naming the field and the value", async () => {
    const errors = await updateBetweenPrompts(
      new ImageGenUpdateSettingsFrame({ imageSize: "huge" }),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]?.category).toBe("validation");
    expect(errors[0]?.error).toMatch(/imageSize.*"huge"/);
    expect(errors[0]?.error).not.toMatch(/fieldNames/);
    // The settings in force did not change: the second prompt still used the default size.
    expect(bodies().map((b) => b.image_size)).toEqual(["square_hd", "square_hd"]);
  });

  it.each([
    ["a string", "square"],
    ["a number", 42],
    ["null", null],
    ["an array", [["imageSize", "square"]]],
    ["a Map", new Map([["imageSize", "square"]])],
    ["a class instance", new URL("http://127.0.0.1/")],
  ])("a delta that is %s is an ErrorFrame saying what to pass, never ignored", async (_, delta) => {
    const frame = new ImageGenUpdateSettingsFrame(delta as never);
    const errors = await updateBetweenPrompts(frame);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.category).toBe("validation");
    expect(errors[0]?.error).toMatch(/FalImageGenService\.Settings\(\{.*plain object/);
  });

  it("service.updateSettings accepts a plain object and validates it, naming the field", async () => {
    const service = new FalImageGenService({ key: KEY, baseUrl: fake.url });
    const changed = await service.updateSettings({ imageSize: "portrait_4_3", seed: 7 });
    expect(Object.keys(changed).sort()).toEqual(["imageSize", "seed"]);
    expect(service.settings.imageSize).toBe("portrait_4_3");
    const bad = service.updateSettings({ numImages: 0 });
    await expect(bad).rejects.toBeInstanceOf(SettingsValidationError);
    await expect(service.updateSettings({ numImages: 0 })).rejects.toMatchObject({
      field: "numImages",
      value: 0,
    });
    expect(service.settings.numImages).toBe(1);
  });

  it("a settings object of another service's class with foreign fields is refused, not ignored", async () => {
    class VoiceSettings extends FalImageGenSettings {
      static override readonly fields = [...FalImageGenSettings.fields, "voice"];
    }
    const service = new FalImageGenService({ key: KEY, baseUrl: fake.url });
    const delta = new VoiceSettings({ voice: "alto" } as never);
    await expect(service.updateSettings(delta)).rejects.toMatchObject({ field: "voice" });
  });
});

describe("settings mappings with prototype-pollution keys", () => {
  it.each([
    ['{"__proto__": {"polluted": true}}', "__proto__"],
    ['{"constructor": {"prototype": {"polluted": true}}}', "constructor"],
    ['{"prototype": {"polluted": true}}', "prototype"],
    ['{"extra": {"__proto__": {"polluted": true}}}', "extra.__proto__"],
    ['{"imageSize": {"__proto__": {"width": 512, "height": 512}}}', "imageSize.__proto__"],
  ])("fromMapping(%s) is refused naming %s; nothing is polluted", (json, field) => {
    const mapping = JSON.parse(json) as Record<string, unknown>;
    let error: unknown;
    try {
      FalImageGenSettings.fromMapping(mapping);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsValidationError);
    expect((error as SettingsValidationError).field).toBe(field);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a plain-object update with __proto__ through a frame is an ErrorFrame; nothing is polluted", async () => {
    const delta = JSON.parse('{"__proto__": {"imageSize": "square"}}') as Record<string, unknown>;
    const errors = await updateBetweenPrompts(new ImageGenUpdateSettingsFrame(delta));
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error).toMatch(/__proto__/);
    expect(bodies().map((b) => b.image_size)).toEqual(["square_hd", "square_hd"]);
    expect(({} as Record<string, unknown>).imageSize).toBeUndefined();
  });
});

describe("backend configuration", () => {
  it("FAL_BASE_URL=garbage is a SettingsValidationError naming the environment variable", () => {
    const saved = process.env.FAL_BASE_URL;
    process.env.FAL_BASE_URL = "garbage";
    try {
      expect(() => new FalImageGenService({ key: KEY })).toThrow(
        expect.objectContaining({ field: "FAL_BASE_URL", value: "garbage" }),
      );
      // An explicit baseUrl wins over the environment, and is named as the option.
      expect(() => new FalImageGenService({ key: KEY, baseUrl: "ftp://x" })).toThrow(
        expect.objectContaining({ field: "baseUrl" }),
      );
      expect(() => new FalImageGenService({ key: KEY, baseUrl: fake.url })).not.toThrow();
    } finally {
      if (saved === undefined) delete process.env.FAL_BASE_URL;
      else process.env.FAL_BASE_URL = saved;
    }
  });
  it("a blank FAL_BASE_URL means fal.ai, and one with spaces around it is trimmed", () => {
    const saved = process.env.FAL_BASE_URL;
    try {
      process.env.FAL_BASE_URL = "   ";
      expect(new FalImageGenService({ key: KEY }).endpoints.runUrl).toBe("https://fal.run");
      process.env.FAL_BASE_URL = ` ${fake.url} `;
      expect(new FalImageGenService({ key: KEY }).endpoints).toEqual({
        runUrl: `${fake.url}/run`,
        queueUrl: `${fake.url}/queue`,
      });
    } finally {
      if (saved === undefined) delete process.env.FAL_BASE_URL;
      else process.env.FAL_BASE_URL = saved;
    }
  });
});

describe("key scrubbing", () => {
  const key = "3f2a9c1e-77b4-4d2e-9a51-0c6e2b8d4f10:8e1f4c2b9a7d6e5f4c3b2a1908f7e6d5";

  it.each([
    ["as is", key],
    ["upper-cased", key.toUpperCase()],
    ["lower-cased", key.toLowerCase()],
    ["URL-encoded", encodeURIComponent(key)],
    ["URL-encoded, lower-case hex", encodeURIComponent(key).toLowerCase()],
    ["base64", Buffer.from(key).toString("base64")],
    ["base64url", Buffer.from(key).toString("base64url")],
  ])("a key written %s is scrubbed", (_, form) => {
    const out = redactText(`request failed: Authorization ${form} (see ${form})`, [key]);
    expect(out).not.toContain(form);
    expect(out).toBe("request failed: Authorization [REDACTED] (see [REDACTED])");
  });

  it("a short key that is an ordinary word is scrubbed only where it stands as a key", () => {
    for (const word of ["test", "image"]) {
      expect(redactText(`a ${word} of the ${word}s`, [word])).toBe(`a ${word} of the ${word}s`);
      expect(redactText(`Authorization: Key ${word}`, [word])).toBe(
        "Authorization: Key [REDACTED]",
      );
      expect(redactText(`FAL_KEY=${word} and ${word}`, [word])).toBe(
        `FAL_KEY=[REDACTED] and ${word}`,
      );
      expect(redactText(`{"key":"${word}","prompt":"${word}"}`, [word])).toBe(
        `{"key":"[REDACTED]","prompt":"${word}"}`,
      );
    }
  });

  it("a long key is scrubbed as a whole token, not inside a longer word", () => {
    expect(redactText("elephants and elephant", ["elephant"])).toBe("elephants and [REDACTED]");
  });
});

describe("hostile option and settings values are typed errors naming the field", () => {
  it.each([
    ["maxConcurrency: NaN", { maxConcurrency: Number.NaN }, "maxConcurrency"],
    ['maxConcurrency: "4"', { maxConcurrency: "4" }, "maxConcurrency"],
    ["maxConcurrency: 0", { maxConcurrency: 0 }, "maxConcurrency"],
    ["maxConcurrency: 1e9", { maxConcurrency: 1e9 }, "maxConcurrency"],
    ["maxConcurrency: 1.5", { maxConcurrency: 1.5 }, "maxConcurrency"],
    ["timeoutMs: Infinity", { timeoutMs: Number.POSITIVE_INFINITY }, "timeoutMs"],
    ["timeoutMs: -1", { timeoutMs: -1 }, "timeoutMs"],
    ["httpTimeoutMs: NaN", { httpTimeoutMs: Number.NaN }, "httpTimeoutMs"],
    ["queue: { pollIntervalMs: 0 }", { queue: { pollIntervalMs: 0 } }, "queue.pollIntervalMs"],
    ['queue: "fast"', { queue: "fast" }, "queue"],
    ['mode: "fast"', { mode: "fast" }, "mode"],
    ['decode: "png"', { decode: "png" }, "decode"],
    ['baseUrl: "javascript:alert(1)"', { baseUrl: "javascript:alert(1)" }, "baseUrl"],
  ])("service option %s → SettingsValidationError naming it", (_, options, field) => {
    expect(() => new FalImageGenService({ key: KEY, ...(options as object) })).toThrow(
      expect.objectContaining({ name: "SettingsValidationError", field }),
    );
  });

  it.each([
    [{ seed: -1 }, "seed"],
    [{ seed: 1.5 }, "seed"],
    [{ seed: "NaN" }, "seed"],
    [{ seed: "7" }, "seed"],
    [{ seed: 2 ** 53 }, "seed"],
    [{ numImages: 0 }, "numImages"],
    [{ numImages: 9 }, "numImages"],
    [{ numInferenceSteps: 51 }, "numInferenceSteps"],
    [{ imageSize: "huge" }, "imageSize"],
    [{ imageSize: [512, 512] }, "imageSize"],
    [{ imageSize: { width: 0, height: 512 } }, "imageSize.width"],
    [{ imageSize: { width: 512, height: 1e9 } }, "imageSize.height"],
    [{ imageSize: { width: 512, height: 512, depth: 3 } }, "imageSize"],
    [{ format: "gif" }, "format"],
    [{ model: "" }, "model"],
    [{ model: 42 }, "model"],
    [{ expandPrompt: "yes" }, "expandPrompt"],
    [{ extra: { big: "10n" } }, "extra.big"],
    [{ extra: { fn: "() => 1" } }, "extra.fn"],
    [{ extra: { nested: { deep: [1, "NaN"] } } }, "extra.nested.deep[1]"],
    [{ extra: { when: "new Date(0)" } }, "extra.when"],
  ])("settings %j → SettingsValidationError(%s), before any request", (shown, field) => {
    // Values JSON cannot show in a test title are written as text in the table, made real here.
    const real: Record<string, unknown> = {
      "10n": 10n,
      "() => 1": () => 1,
      NaN: Number.NaN,
      "new Date(0)": new Date(0),
    };
    const init = JSON.parse(JSON.stringify(shown), (_key, value: unknown) =>
      typeof value === "string" && Object.hasOwn(real, value) && _key !== "model"
        ? real[value]
        : value,
    ) as Record<string, unknown>;
    expect(() => new FalImageGenSettings(init as never)).toThrow(
      expect.objectContaining({ name: "SettingsValidationError", field }),
    );
    expect(() => FalImageGenSettings.fromMapping(init as never)).toThrow(
      expect.objectContaining({ field }),
    );
  });

  it("a caller's signal aborted before or during runImageGen ends in one 'cancelled' ErrorFrame", async () => {
    const service = new FalImageGenService({ key: KEY, baseUrl: fake.url });
    const before = new AbortController();
    before.abort();
    const early = [];
    for await (const frame of service.runImageGen("never sent", { signal: before.signal }))
      early.push(frame);
    expect(early).toHaveLength(1);
    expect(early[0]).toBeInstanceOf(ErrorFrame);
    expect((early[0] as ErrorFrame).category).toBe("cancelled");
    expect(fake.requests).toHaveLength(0);

    fake.respond(async (_req, f) => ({ ...(await f.imagesReply(1)), delayMs: 500 }));
    const during = new AbortController();
    setTimeout(() => during.abort(), 50);
    const late = [];
    for await (const frame of service.runImageGen("aborted in flight", { signal: during.signal }))
      late.push(frame);
    expect(late.map((f) => (f as ErrorFrame).category)).toEqual(["cancelled"]);
  });
});
