import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  FAL_DEFAULTS,
  FAL_INPUT_PARAMS_DEPRECATION_CODE,
  FalImageGenSettings,
  FalInputParams,
  resetFalInputParamsWarning,
} from "../../../src/services/fal/settings.js";
import {
  IMAGE_SIZE_PRESETS,
  IMAGE_SIZE_PRESET_NAMES,
  MAX_IMAGE_DIMENSION,
  isImageSizePreset,
  parseImageSize,
  resolveImageSize,
  validateImageSize,
} from "../../../src/services/image-size.js";
import { NOT_GIVEN, ServiceSettings, type SettingsInit } from "../../../src/services/settings.js";
import { SettingsValidationError } from "../../../src/utils/errors.js";

/** Runs fn, expects a SettingsValidationError, returns it. */
function catchValidation(fn: () => unknown): SettingsValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsValidationError);
    return error as SettingsValidationError;
  }
  throw new Error("expected a SettingsValidationError");
}

const bad = (init: Record<string, unknown>) => () =>
  new FalImageGenSettings(init as unknown as SettingsInit<FalImageGenSettings>);

describe("image sizes", () => {
  it("has the six presets with fal's dimensions", () => {
    expect(IMAGE_SIZE_PRESETS).toEqual({
      square_hd: { width: 1024, height: 1024 },
      square: { width: 512, height: 512 },
      portrait_4_3: { width: 768, height: 1024 },
      portrait_16_9: { width: 576, height: 1024 },
      landscape_4_3: { width: 1024, height: 768 },
      landscape_16_9: { width: 1024, height: 576 },
    });
    expect(IMAGE_SIZE_PRESET_NAMES).toEqual([
      "square_hd",
      "square",
      "portrait_4_3",
      "portrait_16_9",
      "landscape_4_3",
      "landscape_16_9",
    ]);
    expect(Object.isFrozen(IMAGE_SIZE_PRESETS)).toBe(true);
    expect(Object.isFrozen(IMAGE_SIZE_PRESETS.square_hd)).toBe(true);
    expect(MAX_IMAGE_DIMENSION).toBe(14142);
  });

  it("isImageSizePreset", () => {
    expect(isImageSizePreset("square")).toBe(true);
    expect(isImageSizePreset("huge")).toBe(false);
    expect(isImageSizePreset("toString")).toBe(false);
    expect(isImageSizePreset({ width: 1, height: 1 })).toBe(false);
  });

  it("resolveImageSize gives fresh dimensions", () => {
    expect(resolveImageSize("landscape_16_9")).toEqual({ width: 1024, height: 576 });
    expect(resolveImageSize("portrait_4_3")).toEqual({ width: 768, height: 1024 });
    const custom = { width: 640, height: 480 };
    const r = resolveImageSize(custom);
    expect(r).toEqual(custom);
    expect(r).not.toBe(custom);
    const p = resolveImageSize("square");
    p.width = 1;
    expect(IMAGE_SIZE_PRESETS.square.width).toBe(512);
    expect(() => resolveImageSize("giant" as never)).toThrow(SettingsValidationError);
  });

  it("validateImageSize accepts presets and bounds 1 and 14142", () => {
    for (const p of IMAGE_SIZE_PRESET_NAMES)
      expect(() => validateImageSize("size", p)).not.toThrow();
    expect(() => validateImageSize("size", { width: 1, height: 14142 })).not.toThrow();
  });

  it("an unknown preset names the field, the value and lists the presets", () => {
    const e = catchValidation(() => validateImageSize("imageSize", "huge"));
    expect(e.field).toBe("imageSize");
    expect(e.value).toBe("huge");
    expect(e.message).toContain('"imageSize"');
    expect(e.message).toContain('"huge"');
    for (const p of IMAGE_SIZE_PRESET_NAMES) expect(e.message).toContain(`"${p}"`);
    expect(e.category).toBe("validation");
  });

  it.each([
    [{ width: 0, height: 512 }, "imageSize.width", 0],
    [{ width: 512, height: 14143 }, "imageSize.height", 14143],
    [{ width: 512.5, height: 512 }, "imageSize.width", 512.5],
    [{ width: "512", height: 512 }, "imageSize.width", "512"],
    [{ width: 512 }, "imageSize.height", undefined],
    [{ width: -1, height: 5 }, "imageSize.width", -1],
  ])("bad custom size %j → %s", (value, field, dimValue) => {
    const e = catchValidation(() => validateImageSize("imageSize", value));
    expect(e.field).toBe(field);
    expect(e.value).toBe(dimValue);
    expect(e.message).toContain(`"${field}"`);
    expect(e.message).toContain("1..14142");
  });

  it.each([[null], [42], [[512, 512]], [{ width: 1, height: 1, depth: 3 }]])(
    "rejects %j",
    (value) => {
      const e = catchValidation(() => validateImageSize("imageSize", value));
      expect(e.field).toBe("imageSize");
      expect(e.message).toContain("square_hd");
    },
  );

  it("parseImageSize: presets (case-insensitive) and WIDTHxHEIGHT", () => {
    expect(parseImageSize("landscape_16_9")).toBe("landscape_16_9");
    expect(parseImageSize(" Square_HD ")).toBe("square_hd");
    expect(parseImageSize("1024x768")).toEqual({ width: 1024, height: 768 });
    expect(parseImageSize("640X480")).toEqual({ width: 640, height: 480 });
    expect(parseImageSize("300×200")).toEqual({ width: 300, height: 200 });
  });

  it.each(["", "big", "1024", "1024x", "x768", "10.5x20", "-5x10", "1024*768"])(
    "parseImageSize rejects %j",
    (text) => {
      const e = catchValidation(() => parseImageSize(text, "--size"));
      expect(e.field).toBe("--size");
      expect(e.value).toBe(text);
      expect(e.message).toContain("WIDTHxHEIGHT");
      expect(e.message).toContain('"square_hd"');
    },
  );

  it("parseImageSize rejects out-of-range dimensions", () => {
    const e = catchValidation(() => parseImageSize("0x512"));
    expect(e.field).toBe("imageSize.width");
    expect(() => parseImageSize("512x20000")).toThrow(/imageSize\.height/);
  });
});

describe("FalImageGenSettings", () => {
  it("every field defaults to NOT_GIVEN", () => {
    const s = new FalImageGenSettings();
    for (const f of s.fieldNames())
      expect((s as unknown as Record<string, unknown>)[f]).toBe(NOT_GIVEN);
    expect(s.givenFields()).toEqual({});
  });

  it("FAL_DEFAULTS are Pipecat's store defaults", () => {
    expect(FAL_DEFAULTS).toEqual({
      model: "fal-ai/fast-sdxl",
      seed: null,
      numInferenceSteps: 8,
      numImages: 1,
      imageSize: "square_hd",
      expandPrompt: false,
      enableSafetyChecker: true,
      format: "png",
    });
    expect(Object.isFrozen(FAL_DEFAULTS)).toBe(true);
  });

  it("defaults() is a complete, independent store", () => {
    const a = FalImageGenSettings.defaults();
    expect(a).toBeInstanceOf(FalImageGenSettings);
    expect(a.validateComplete()).toEqual([]);
    expect(a.givenFields()).toEqual({ ...FAL_DEFAULTS });
    a.numImages = 3;
    expect(FalImageGenSettings.defaults().numImages).toBe(1);
  });

  it("accepts the documented examples", () => {
    const s = new FalImageGenSettings({
      model: "fal-ai/fast-sdxl",
      imageSize: { width: 1024, height: 768 },
      numInferenceSteps: 12,
      seed: 42,
      enableSafetyChecker: true,
    });
    expect(s.givenFields()).toEqual({
      model: "fal-ai/fast-sdxl",
      imageSize: { width: 1024, height: 768 },
      numInferenceSteps: 12,
      seed: 42,
      enableSafetyChecker: true,
    });
    expect(new FalImageGenSettings({ imageSize: "landscape_16_9" }).imageSize).toBe(
      "landscape_16_9",
    );
    expect(new FalImageGenSettings({ seed: null }).seed).toBeNull();
    expect(new FalImageGenSettings({ seed: 0 }).seed).toBe(0);
  });

  it("fromMapping accepts snake_case, camelCase and unknown keys", () => {
    const d = FalImageGenSettings.fromMapping({
      num_inference_steps: 4,
      numImages: 2,
      image_size: "square",
      expand_prompt: true,
      enable_safety_checker: false,
      format: "jpeg",
      seed: 7,
      model: "fal-ai/fast-lightning-sdxl",
      negative_prompt: "blurry",
      guidance_scale: 5,
    });
    expect(d).toBeInstanceOf(FalImageGenSettings);
    expect(d.numInferenceSteps).toBe(4);
    expect(d.numImages).toBe(2);
    expect(d.imageSize).toBe("square");
    expect(d.expandPrompt).toBe(true);
    expect(d.enableSafetyChecker).toBe(false);
    expect(d.format).toBe("jpeg");
    expect(d.seed).toBe(7);
    expect(d.model).toBe("fal-ai/fast-lightning-sdxl");
    expect(d.extra).toEqual({ negative_prompt: "blurry", guidance_scale: 5 });
  });

  it("fromMapping validates", () => {
    const e = catchValidation(() => FalImageGenSettings.fromMapping({ num_images: 0 }));
    expect(e.field).toBe("numImages");
  });

  describe("validation names field, value and allowed values", () => {
    it.each([
      [{ numImages: 0 }, "numImages", "0", "1..8"],
      [{ numImages: 9 }, "numImages", "9", "1..8"],
      [{ numImages: 1.5 }, "numImages", "1.5", "1..8"],
      [{ numImages: "2" }, "numImages", '"2"', "1..8"],
      [{ numInferenceSteps: 0 }, "numInferenceSteps", "0", "1..50"],
      [{ numInferenceSteps: 51 }, "numInferenceSteps", "51", "1..50"],
      [{ numInferenceSteps: -3 }, "numInferenceSteps", "-3", "1..50"],
      [{ numInferenceSteps: 2.5 }, "numInferenceSteps", "2.5", "1..50"],
      [{ seed: -1 }, "seed", "-1", "or null"],
      [{ seed: 1.5 }, "seed", "1.5", "or null"],
      [{ seed: "42" }, "seed", '"42"', "or null"],
      [{ format: "gif" }, "format", '"gif"', '"png" or "jpeg"'],
      [{ format: "jpg" }, "format", '"jpg"', '"png" or "jpeg"'],
      [{ format: null }, "format", "null", '"png" or "jpeg"'],
      [{ model: "" }, "model", '""', "non-empty"],
      [{ model: "   " }, "model", '"   "', "non-empty"],
      [{ model: null }, "model", "null", "non-empty"],
      [{ model: 5 }, "model", "5", "non-empty"],
      [{ expandPrompt: "yes" }, "expandPrompt", '"yes"', "true or false"],
      [{ enableSafetyChecker: 1 }, "enableSafetyChecker", "1", "true or false"],
      [{ imageSize: "huge" }, "imageSize", '"huge"', "landscape_16_9"],
      [{ imageSize: { width: 0, height: 10 } }, "imageSize.width", "0", "1..14142"],
    ])("%j → %s", (init, field, valueText, allowed) => {
      const e = catchValidation(bad(init));
      expect(e.field).toBe(field);
      expect(e.message).toContain(`"${field}"`);
      expect(e.message).toContain(`: ${valueText}.`);
      expect(e.message).toContain(allowed);
      expect(e.category).toBe("validation");
    });
  });

  it("validation on applyUpdate leaves the store unchanged", () => {
    const store = FalImageGenSettings.defaults();
    const delta = new FalImageGenSettings({ numImages: 4, seed: 1 });
    (delta as unknown as Record<string, unknown>).numImages = 0;
    const e = catchValidation(() => store.applyUpdate(delta));
    expect(e.field).toBe("numImages");
    expect(store.givenFields()).toEqual({ ...FAL_DEFAULTS });
  });

  it("applyUpdate on a fal store returns old values", () => {
    const store = FalImageGenSettings.defaults();
    const changed = store.applyUpdate(
      FalImageGenSettings.fromMapping({
        num_images: 3,
        image_size: { width: 640, height: 480 },
        format: "png",
        foo: 1,
      }),
    );
    expect(changed).toEqual({ numImages: 1, imageSize: "square_hd", foo: NOT_GIVEN });
    expect(store.numImages).toBe(3);
    expect(store.imageSize).toEqual({ width: 640, height: 480 });
    expect(store.extra).toEqual({ foo: 1 });
  });

  it("a base ServiceSettings delta updates only model", () => {
    const store = FalImageGenSettings.defaults();
    expect(store.applyUpdate(new ServiceSettings({ model: "fal-ai/flux/dev" }))).toEqual({
      model: "fal-ai/fast-sdxl",
    });
    expect(store.givenFields()).toEqual({ ...FAL_DEFAULTS, model: "fal-ai/flux/dev" });
  });
});

describe("FalInputParams (deprecated)", () => {
  let spy: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    resetFalInputParamsWarning();
    spy = vi.spyOn(process, "emitWarning").mockImplementation(() => undefined);
  });
  afterEach(() => {
    spy.mockRestore();
  });

  it("has Pipecat's InputParams defaults", () => {
    const p = new FalInputParams();
    expect({ ...p }).toEqual({
      seed: null,
      numInferenceSteps: 8,
      numImages: 1,
      imageSize: "square_hd",
      expandPrompt: false,
      enableSafetyChecker: true,
      format: "png",
    });
  });

  it("warns once per process with a DeprecationWarning naming the replacement", () => {
    new FalInputParams({ numInferenceSteps: 4 });
    new FalInputParams();
    expect(spy).toHaveBeenCalledTimes(1);
    const [message, options] = spy.mock.calls[0] as [string, { type: string; code: string }];
    expect(message).toContain("new FalImageGenService.Settings({...})");
    expect(message).toContain("FalInputParams is deprecated");
    expect(options).toEqual({
      type: "DeprecationWarning",
      code: FAL_INPUT_PARAMS_DEPRECATION_CODE,
    });
    expect(FAL_INPUT_PARAMS_DEPRECATION_CODE).toBe("PIPECAT_FAL_INPUT_PARAMS");
  });

  it("toSettings gives a delta with every field but model", () => {
    const p = new FalInputParams({
      seed: 3,
      numImages: 2,
      imageSize: { width: 64, height: 64 },
      format: "jpeg",
    });
    const s = p.toSettings();
    expect(s).toBeInstanceOf(FalImageGenSettings);
    expect(s.givenFields()).toEqual({
      seed: 3,
      numInferenceSteps: 8,
      numImages: 2,
      imageSize: { width: 64, height: 64 },
      expandPrompt: false,
      enableSafetyChecker: true,
      format: "jpeg",
    });
    expect(s.model).toBe(NOT_GIVEN);
  });

  it("validates its values", () => {
    const e = catchValidation(() => new FalInputParams({ numImages: 0 }));
    expect(e.field).toBe("numImages");
    expect(() => new FalInputParams({ format: "gif" as never })).toThrow(/"format"/);
  });
});
