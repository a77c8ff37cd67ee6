import { describe, expect, it } from "vitest";
import {
  FAL_MODELS,
  buildFalArguments,
  cacheKeyFor,
  falModelSpec,
  parseModelId,
  stableStringify,
  validateSettingsForModel,
} from "../../../src/services/fal/models.js";
import { FAL_DEFAULTS, FalImageGenSettings } from "../../../src/services/fal/settings.js";
import { NOT_GIVEN, type SettingsInit } from "../../../src/services/settings.js";
import { SettingsValidationError } from "../../../src/utils/errors.js";

function store(overrides: SettingsInit<FalImageGenSettings> = {}): FalImageGenSettings {
  const s = FalImageGenSettings.defaults();
  s.applyUpdate(new FalImageGenSettings(overrides));
  return s;
}

function catchValidation(fn: () => unknown): SettingsValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsValidationError);
    return error as SettingsValidationError;
  }
  throw new Error("expected a SettingsValidationError");
}

describe("FAL_MODELS", () => {
  it("covers the four models with their format field and limits", () => {
    expect(Object.keys(FAL_MODELS).sort()).toEqual([
      "fal-ai/fast-lightning-sdxl",
      "fal-ai/fast-sdxl",
      "fal-ai/flux/dev",
      "fal-ai/flux/schnell",
    ]);
    const summary = Object.fromEntries(
      Object.values(FAL_MODELS).map((m) => [
        m.id,
        [m.formatField, m.maxSteps, m.maxImages, m.stepsAsString, m.supports.expandPrompt],
      ]),
    );
    expect(summary).toEqual({
      "fal-ai/fast-sdxl": ["format", 50, 8, undefined, true],
      "fal-ai/fast-lightning-sdxl": ["format", 8, 8, ["1", "2", "4", "8"], true],
      "fal-ai/flux/dev": ["output_format", 50, 4, undefined, false],
      "fal-ai/flux/schnell": ["output_format", 12, 4, undefined, false],
    });
    for (const [id, spec] of Object.entries(FAL_MODELS)) expect(spec.id).toBe(id);
    expect(Object.isFrozen(FAL_MODELS)).toBe(true);
    expect(Object.isFrozen(FAL_MODELS["fal-ai/flux/dev"])).toBe(true);
  });

  it("falModelSpec ignores prototype keys", () => {
    expect(falModelSpec("fal-ai/flux/dev")?.id).toBe("fal-ai/flux/dev");
    expect(falModelSpec("constructor")).toBeUndefined();
    expect(falModelSpec("fal-ai/other")).toBeUndefined();
  });

  it("the default step count 8 is valid for all four models", () => {
    for (const id of Object.keys(FAL_MODELS)) {
      expect(() => buildFalArguments(id, store({ model: id }), "x")).not.toThrow();
    }
  });
});

describe("buildFalArguments", () => {
  it("fal-ai/fast-sdxl with defaults: all six fields, no seed", () => {
    expect(buildFalArguments("fal-ai/fast-sdxl", store(), "a cat")).toEqual({
      prompt: "a cat",
      num_inference_steps: 8,
      num_images: 1,
      image_size: "square_hd",
      expand_prompt: false,
      enable_safety_checker: true,
      format: "png",
    });
  });

  it("fal-ai/fast-sdxl with a seed and custom size", () => {
    const body = buildFalArguments(
      "fal-ai/fast-sdxl",
      store({
        seed: 42,
        imageSize: { width: 640, height: 480 },
        numImages: 2,
        format: "jpeg",
        expandPrompt: true,
      }),
      "a dog",
    );
    expect(body).toEqual({
      prompt: "a dog",
      num_inference_steps: 8,
      num_images: 2,
      image_size: { width: 640, height: 480 },
      expand_prompt: true,
      enable_safety_checker: true,
      format: "jpeg",
      seed: 42,
    });
  });

  it("seed 0 is sent (0 is a real seed)", () => {
    expect(buildFalArguments("fal-ai/fast-sdxl", store({ seed: 0 }), "p").seed).toBe(0);
  });

  it("the body does not alias the store's objects", () => {
    const s = store({ imageSize: { width: 64, height: 64 } });
    const body = buildFalArguments("fal-ai/fast-sdxl", s, "p");
    (body.image_size as { width: number }).width = 1;
    expect(s.imageSize).toEqual({ width: 64, height: 64 });
  });

  it("fal-ai/fast-lightning-sdxl: steps as a string", () => {
    expect(
      buildFalArguments(
        "fal-ai/fast-lightning-sdxl",
        store({ model: "fal-ai/fast-lightning-sdxl" }),
        "p",
      ),
    ).toEqual({
      prompt: "p",
      num_inference_steps: "8",
      num_images: 1,
      image_size: "square_hd",
      expand_prompt: false,
      enable_safety_checker: true,
      format: "png",
    });
    for (const n of [1, 2, 4]) {
      expect(
        buildFalArguments("fal-ai/fast-lightning-sdxl", store({ numInferenceSteps: n }), "p")
          .num_inference_steps,
      ).toBe(String(n));
    }
  });

  it.each([3, 5, 12])(
    "fal-ai/fast-lightning-sdxl rejects %d steps, naming the field and listing allowed",
    (n) => {
      const e = catchValidation(() =>
        buildFalArguments("fal-ai/fast-lightning-sdxl", store({ numInferenceSteps: n }), "p"),
      );
      expect(e.field).toBe("numInferenceSteps");
      expect(e.value).toBe(n);
      expect(e.message).toContain(`"numInferenceSteps": ${n}.`);
      expect(e.message).toContain("1, 2, 4, 8");
      expect(e.message).toContain("fal-ai/fast-lightning-sdxl");
    },
  );

  it("fal-ai/flux/dev: output_format, no expand_prompt", () => {
    expect(
      buildFalArguments("fal-ai/flux/dev", store({ model: "fal-ai/flux/dev", seed: 9 }), "p"),
    ).toEqual({
      prompt: "p",
      num_inference_steps: 8,
      num_images: 1,
      image_size: "square_hd",
      enable_safety_checker: true,
      output_format: "png",
      seed: 9,
    });
  });

  it("fal-ai/flux/schnell: output_format, no expand_prompt, steps up to 12", () => {
    expect(
      buildFalArguments(
        "fal-ai/flux/schnell",
        store({ numInferenceSteps: 12, format: "jpeg", numImages: 4 }),
        "p",
      ),
    ).toEqual({
      prompt: "p",
      num_inference_steps: 12,
      num_images: 4,
      image_size: "square_hd",
      enable_safety_checker: true,
      output_format: "jpeg",
    });
  });

  it("flux/schnell rejects 13 steps; flux/dev accepts 50", () => {
    const e = catchValidation(() =>
      buildFalArguments("fal-ai/flux/schnell", store({ numInferenceSteps: 13 }), "p"),
    );
    expect(e.field).toBe("numInferenceSteps");
    expect(e.message).toContain("1..12");
    expect(e.message).toContain("fal-ai/flux/schnell");
    expect(
      buildFalArguments("fal-ai/flux/dev", store({ numInferenceSteps: 50 }), "p")
        .num_inference_steps,
    ).toBe(50);
  });

  it.each(["fal-ai/flux/dev", "fal-ai/flux/schnell"])(
    "%s rejects 5 images and expandPrompt true",
    (model) => {
      const e = catchValidation(() => buildFalArguments(model, store({ numImages: 5 }), "p"));
      expect(e.field).toBe("numImages");
      expect(e.value).toBe(5);
      expect(e.message).toContain("1..4");
      const e2 = catchValidation(() =>
        buildFalArguments(model, store({ expandPrompt: true }), "p"),
      );
      expect(e2.field).toBe("expandPrompt");
      expect(e2.message).toContain(model);
    },
  );

  it("fast-sdxl accepts 8 images", () => {
    expect(buildFalArguments("fal-ai/fast-sdxl", store({ numImages: 8 }), "p").num_images).toBe(8);
  });

  it("NOT_GIVEN fields are left out for known models", () => {
    const partial = new FalImageGenSettings({ numImages: 2 });
    expect(buildFalArguments("fal-ai/flux/dev", partial, "p")).toEqual({
      prompt: "p",
      num_images: 2,
    });
  });

  it("generic model: given settings in snake_case, format as `format`, no model, no null seed", () => {
    expect(buildFalArguments("acme/my-model", store({ model: "acme/my-model" }), "p")).toEqual({
      prompt: "p",
      num_inference_steps: 8,
      num_images: 1,
      image_size: "square_hd",
      expand_prompt: false,
      enable_safety_checker: true,
      format: "png",
    });
    expect(
      buildFalArguments(
        "acme/my-model",
        new FalImageGenSettings({ seed: 5, imageSize: "square" }),
        "p",
      ),
    ).toEqual({
      prompt: "p",
      seed: 5,
      image_size: "square",
    });
  });

  it("generic model: no per-model limits (20 steps, 8 images)", () => {
    const body = buildFalArguments(
      "acme/x",
      store({ numInferenceSteps: 20, numImages: 8, expandPrompt: true }),
      "p",
    );
    expect(body.num_inference_steps).toBe(20);
    expect(body.num_images).toBe(8);
    expect(body.expand_prompt).toBe(true);
  });

  it("extra is forwarded and merged last (extra wins)", () => {
    const s = store();
    s.applyUpdate(
      FalImageGenSettings.fromMapping({
        negative_prompt: "blurry",
        guidance_scale: 5,
        format: "jpeg",
      }),
    );
    s.extra.num_images = 3; // escape hatch overrides the mapped field
    expect(buildFalArguments("fal-ai/fast-sdxl", s, "p")).toEqual({
      prompt: "p",
      num_inference_steps: 8,
      num_images: 3,
      image_size: "square_hd",
      expand_prompt: false,
      enable_safety_checker: true,
      format: "jpeg",
      negative_prompt: "blurry",
      guidance_scale: 5,
    });
    expect(
      buildFalArguments(
        "acme/x",
        new FalImageGenSettings({ extra: { acceleration: "high", skip: NOT_GIVEN } }),
        "p",
      ),
    ).toEqual({
      prompt: "p",
      acceleration: "high",
    });
  });

  it("extra cannot replace the prompt", () => {
    const e = catchValidation(() =>
      buildFalArguments(
        "fal-ai/fast-sdxl",
        new FalImageGenSettings({ extra: { prompt: "x" } }),
        "p",
      ),
    );
    expect(e.field).toBe("extra.prompt");
  });

  it("revalidates the settings (a store mutated into an invalid state)", () => {
    const s = store();
    (s as unknown as Record<string, unknown>).format = "gif";
    const e = catchValidation(() => buildFalArguments("fal-ai/fast-sdxl", s, "p"));
    expect(e.field).toBe("format");
  });
});

describe("validateSettingsForModel", () => {
  it("passes the defaults", () => {
    expect(() => validateSettingsForModel(FalImageGenSettings.defaults())).not.toThrow();
    expect(() => validateSettingsForModel(new FalImageGenSettings())).not.toThrow();
  });

  it("checks against settings.model", () => {
    const s = store({ model: "fal-ai/flux/schnell", numInferenceSteps: 20 });
    const e = catchValidation(() => validateSettingsForModel(s));
    expect(e.field).toBe("numInferenceSteps");
    expect(e.message).toContain("1..12");
    expect(() => validateSettingsForModel(store({ numInferenceSteps: 20 }))).not.toThrow();
  });

  it("uses the default model when model is NOT_GIVEN", () => {
    // fast-sdxl takes expandPrompt; flux would not.
    expect(() =>
      validateSettingsForModel(new FalImageGenSettings({ expandPrompt: true })),
    ).not.toThrow();
  });

  it("rejects an unparseable model id", () => {
    const e = catchValidation(() => validateSettingsForModel(store({ model: "just-an-id" })));
    expect(e.field).toBe("model");
    expect(e.value).toBe("just-an-id");
  });

  it("rejects an extra prompt", () => {
    expect(() =>
      validateSettingsForModel(new FalImageGenSettings({ extra: { prompt: "x" } })),
    ).toThrow(/extra\.prompt/);
  });
});

describe("cacheKeyFor", () => {
  it("is independent of key order, at every level", () => {
    const a = cacheKeyFor("fal-ai/fast-sdxl", {
      prompt: "p",
      image_size: { width: 1, height: 2 },
      num_images: 1,
    });
    const b = cacheKeyFor("fal-ai/fast-sdxl", {
      num_images: 1,
      image_size: { height: 2, width: 1 },
      prompt: "p",
    });
    expect(a).toBe(b);
  });

  it("differs by model and by value", () => {
    const body = { prompt: "p" };
    expect(cacheKeyFor("a/b", body)).not.toBe(cacheKeyFor("a/c", body));
    expect(cacheKeyFor("a/b", { prompt: "p" })).not.toBe(cacheKeyFor("a/b", { prompt: "q" }));
    expect(cacheKeyFor("a/b", { n: 1 })).not.toBe(cacheKeyFor("a/b", { n: "1" }));
  });

  it("is JSON with sorted keys", () => {
    expect(cacheKeyFor("a/b", { z: 1, a: [{ d: 1, c: 2 }] })).toBe(
      '{"body":{"a":[{"c":2,"d":1}],"z":1},"model":"a/b"}',
    );
    expect(stableStringify({ b: 1, a: NOT_GIVEN, c: undefined })).toBe('{"b":1}');
  });

  it("matches the body built from the same settings", () => {
    const s1 = store({ seed: 1 });
    const s2 = FalImageGenSettings.fromMapping({ ...FAL_DEFAULTS, seed: 1 });
    expect(cacheKeyFor("fal-ai/fast-sdxl", buildFalArguments("fal-ai/fast-sdxl", s1, "p"))).toBe(
      cacheKeyFor("fal-ai/fast-sdxl", buildFalArguments("fal-ai/fast-sdxl", s2, "p")),
    );
  });
});

describe("parseModelId", () => {
  it.each([
    [
      "fal-ai/fast-sdxl",
      "fal-ai",
      "fast-sdxl",
      undefined,
      undefined,
      "fal-ai/fast-sdxl",
      "fal-ai/fast-sdxl",
    ],
    [
      "fal-ai/fast-lightning-sdxl",
      "fal-ai",
      "fast-lightning-sdxl",
      undefined,
      undefined,
      "fal-ai/fast-lightning-sdxl",
      "fal-ai/fast-lightning-sdxl",
    ],
    ["fal-ai/flux/dev", "fal-ai", "flux", "dev", undefined, "fal-ai/flux/dev", "fal-ai/flux"],
    [
      "fal-ai/flux/schnell",
      "fal-ai",
      "flux",
      "schnell",
      undefined,
      "fal-ai/flux/schnell",
      "fal-ai/flux",
    ],
    [
      "workflows/acme/wf/x",
      "acme",
      "wf",
      "x",
      "workflows",
      "workflows/acme/wf/x",
      "workflows/acme/wf",
    ],
    [
      "comfy/acme/graph",
      "acme",
      "graph",
      undefined,
      "comfy",
      "comfy/acme/graph",
      "comfy/acme/graph",
    ],
    [
      "fal-ai/fast-sdxl/image-to-image/v2",
      "fal-ai",
      "fast-sdxl",
      "image-to-image/v2",
      undefined,
      "fal-ai/fast-sdxl/image-to-image/v2",
      "fal-ai/fast-sdxl",
    ],
    ["12345-my-app", "12345", "my-app", undefined, undefined, "12345/my-app", "12345/my-app"],
  ])("%s", (id, owner, alias, path, namespace, submitPath, requestsPrefix) => {
    expect(parseModelId(id)).toEqual({ owner, alias, path, namespace, submitPath, requestsPrefix });
  });

  it.each([
    "",
    "just-an-id",
    "fast-sdxl",
    "12345-",
    "fal-ai/",
    "/fal-ai/fast-sdxl",
    "fal-ai//fast-sdxl",
    "fal-ai/fast-sdxl/",
    "workflows/acme",
    "comfy/acme/",
    "fal ai/fast-sdxl",
    "fal-ai/fast-sdxl?x=1",
    "fal-ai/fast-sdxl#a",
    "fal-ai/../secret",
    "fal-ai/%2e%2e",
  ])("rejects %j with a SettingsValidationError on model", (id) => {
    const e = catchValidation(() => parseModelId(id));
    expect(e.field).toBe("model");
    expect(e.value).toBe(id);
    expect(e.message).toContain("owner/alias");
  });

  it("rejects non-strings", () => {
    expect(() => parseModelId(undefined as unknown as string)).toThrow(SettingsValidationError);
  });
});
