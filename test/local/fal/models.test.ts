import { describe, expect, it } from "vitest";
import {
  LOCAL_FAL_MODELS,
  validateInput,
  type LocalFalFieldError,
} from "../../../src/local/fal/index.js";
import { call, start, submit, waitCompleted } from "./helpers.js";

function errorsFor(model: string, body: unknown): LocalFalFieldError[] {
  const spec = LOCAL_FAL_MODELS.get(model);
  if (!spec) throw new Error(model);
  const r = validateInput(spec, body);
  return r.ok ? [] : r.errors;
}

function locs(model: string, body: unknown): string[] {
  return errorsFor(model, body).map((e) => `${e.loc.join(".")}:${e.type}`);
}

describe("local fal models: validation (unit)", () => {
  it("rejects inherited object keys as image size presets", () => {
    for (const name of ["constructor", "toString", "__proto__"]) {
      expect(locs("fal-ai/fast-sdxl", { prompt: "x", image_size: name })).toEqual([
        "body.image_size:literal_error",
      ]);
    }
  });

  it("applies each model's defaults", () => {
    const flux = validateInput(LOCAL_FAL_MODELS.get("fal-ai/flux/dev")!, { prompt: "x" });
    expect(flux.ok && flux.input).toMatchObject({
      width: 1024,
      height: 768,
      numImages: 1,
      format: "jpeg",
      syncMode: false,
      seed: undefined,
    });
    expect(flux.ok && flux.input.params).toMatchObject({
      num_inference_steps: 28,
      guidance_scale: 3.5,
      acceleration: "none",
      enable_safety_checker: true,
    });
    const schnell = validateInput(LOCAL_FAL_MODELS.get("fal-ai/flux/schnell")!, { prompt: "x" });
    expect(schnell.ok && schnell.input.params.num_inference_steps).toBe(4);
    const sdxl = validateInput(LOCAL_FAL_MODELS.get("fal-ai/fast-sdxl")!, { prompt: "x" });
    expect(sdxl.ok && sdxl.input).toMatchObject({ width: 1024, height: 1024, format: "jpeg" });
    expect(sdxl.ok && sdxl.input.params).toMatchObject({
      num_inference_steps: 25,
      guidance_scale: 7.5,
      negative_prompt: "",
      loras: [],
      embeddings: [],
      safety_checker_version: "v1",
      request_id: "",
    });
    const lightning = validateInput(LOCAL_FAL_MODELS.get("fal-ai/fast-lightning-sdxl")!, {
      prompt: "x",
    });
    expect(lightning.ok && lightning.input.params.num_inference_steps).toBe("4");
    expect(lightning.ok && "guidance_scale" in lightning.input.params).toBe(false);
  });

  it("missing prompt and wrong prompt type", () => {
    for (const model of LOCAL_FAL_MODELS.keys()) {
      const [e] = errorsFor(model, { image_size: "square" });
      expect(e).toMatchObject({ loc: ["body", "prompt"], type: "missing", msg: "Field required" });
      expect(locs(model, { prompt: 42 })).toEqual(["body.prompt:string_type"]);
    }
  });

  it("flux: `format` is ignored, bad `output_format` rejected; num_images ≤ 4; steps and guidance ranges", () => {
    const ignored = validateInput(LOCAL_FAL_MODELS.get("fal-ai/flux/dev")!, {
      prompt: "x",
      format: "png",
      unknown_field: 1,
    });
    expect(ignored.ok && ignored.input.format).toBe("jpeg");
    const png = validateInput(LOCAL_FAL_MODELS.get("fal-ai/flux/dev")!, {
      prompt: "x",
      output_format: "png",
    });
    expect(png.ok && png.input.format).toBe("png");
    const [bad] = errorsFor("fal-ai/flux/dev", { prompt: "x", output_format: "webp" });
    expect(bad).toMatchObject({
      loc: ["body", "output_format"],
      type: "literal_error",
      msg: "Input should be 'jpeg' or 'png'",
      input: "webp",
    });
    const [five] = errorsFor("fal-ai/flux/dev", { prompt: "x", num_images: 5 });
    expect(five).toMatchObject({
      loc: ["body", "num_images"],
      type: "less_than_equal",
      msg: "Input should be less than or equal to 4",
      input: 5,
      ctx: { le: 4 },
    });
    expect(locs("fal-ai/flux/dev", { prompt: "x", num_inference_steps: 50 })).toEqual([]);
    expect(locs("fal-ai/flux/dev", { prompt: "x", num_inference_steps: 51 })).toEqual([
      "body.num_inference_steps:less_than_equal",
    ]);
    expect(locs("fal-ai/flux/schnell", { prompt: "x", num_inference_steps: 12 })).toEqual([]);
    expect(locs("fal-ai/flux/schnell", { prompt: "x", num_inference_steps: 13 })).toEqual([
      "body.num_inference_steps:less_than_equal",
    ]);
    expect(locs("fal-ai/flux/dev", { prompt: "x", num_inference_steps: 0 })).toEqual([
      "body.num_inference_steps:greater_than_equal",
    ]);
    expect(locs("fal-ai/flux/dev", { prompt: "x", guidance_scale: 0.5 })).toEqual([
      "body.guidance_scale:greater_than_equal",
    ]);
    expect(locs("fal-ai/flux/dev", { prompt: "x", guidance_scale: 20.5 })).toEqual([
      "body.guidance_scale:less_than_equal",
    ]);
    expect(locs("fal-ai/flux/dev", { prompt: "x", acceleration: "turbo" })).toEqual([
      "body.acceleration:literal_error",
    ]);
    expect(errorsFor("fal-ai/flux/dev", { prompt: "x", acceleration: "turbo" })[0]?.msg).toBe(
      "Input should be 'none', 'regular' or 'high'",
    );
    // flux has no negative_prompt / loras: they are ignored like any unknown field.
    expect(locs("fal-ai/flux/dev", { prompt: "x", negative_prompt: 7, loras: "nope" })).toEqual([]);
  });

  it("fast-lightning-sdxl: steps are the strings 1/2/4/8; numbers are rejected; num_images ≤ 8", () => {
    for (const steps of ["1", "2", "4", "8"])
      expect(
        locs("fal-ai/fast-lightning-sdxl", { prompt: "x", num_inference_steps: steps }),
      ).toEqual([]);
    const [numeric] = errorsFor("fal-ai/fast-lightning-sdxl", {
      prompt: "x",
      num_inference_steps: 4,
    });
    expect(numeric).toMatchObject({
      loc: ["body", "num_inference_steps"],
      type: "literal_error",
      msg: "Input should be '1', '2', '4' or '8'",
      input: 4,
    });
    expect(locs("fal-ai/fast-lightning-sdxl", { prompt: "x", num_inference_steps: "3" })).toEqual([
      "body.num_inference_steps:literal_error",
    ]);
    expect(locs("fal-ai/fast-lightning-sdxl", { prompt: "x", num_images: 8 })).toEqual([]);
    expect(locs("fal-ai/fast-lightning-sdxl", { prompt: "x", num_images: 9 })).toEqual([
      "body.num_images:less_than_equal",
    ]);
    expect(locs("fal-ai/fast-lightning-sdxl", { prompt: "x", format: "gif" })).toEqual([
      "body.format:literal_error",
    ]);
    // No guidance_scale on lightning: ignored.
    expect(locs("fal-ai/fast-lightning-sdxl", { prompt: "x", guidance_scale: "very" })).toEqual([]);
  });

  it("normalises loras and embeddings with fal's defaults (scale 1, tokens <s0> <s1>)", () => {
    const r = validateInput(LOCAL_FAL_MODELS.get("fal-ai/fast-sdxl")!, {
      prompt: "x",
      loras: [{ path: "a", force: true }],
      embeddings: [{ path: "e" }, { path: "f", tokens: ["<t>"] }],
    });
    expect(r.ok && r.input.params).toMatchObject({
      loras: [{ path: "a", scale: 1, force: true }],
      embeddings: [
        { path: "e", tokens: ["<s0>", "<s1>"] },
        { path: "f", tokens: ["<t>"] },
      ],
    });
  });

  it("fast-sdxl: format, guidance, steps, loras, embeddings, safety checker version", () => {
    const png = validateInput(LOCAL_FAL_MODELS.get("fal-ai/fast-sdxl")!, {
      prompt: "x",
      format: "png",
      output_format: "jpeg",
    });
    expect(png.ok && png.input.format).toBe("png");
    expect(locs("fal-ai/fast-sdxl", { prompt: "x", format: "webp" })).toEqual([
      "body.format:literal_error",
    ]);
    expect(locs("fal-ai/fast-sdxl", { prompt: "x", guidance_scale: 21 })).toEqual([
      "body.guidance_scale:less_than_equal",
    ]);
    expect(locs("fal-ai/fast-sdxl", { prompt: "x", num_inference_steps: 51 })).toEqual([
      "body.num_inference_steps:less_than_equal",
    ]);
    expect(locs("fal-ai/fast-sdxl", { prompt: "x", num_images: 9 })).toEqual([
      "body.num_images:less_than_equal",
    ]);
    expect(locs("fal-ai/fast-sdxl", { prompt: "x", safety_checker_version: "v3" })).toEqual([
      "body.safety_checker_version:literal_error",
    ]);
    expect(
      locs("fal-ai/fast-sdxl", { prompt: "x", loras: [{ path: "a.safetensors", scale: 0.7 }] }),
    ).toEqual([]);
    expect(locs("fal-ai/fast-sdxl", { prompt: "x", loras: [{ scale: 1 }, "x"] })).toEqual([
      "body.loras.0.path:missing",
      "body.loras.1:model_type",
    ]);
    expect(locs("fal-ai/fast-sdxl", { prompt: "x", loras: {} })).toEqual(["body.loras:list_type"]);
    expect(
      locs("fal-ai/fast-sdxl", { prompt: "x", embeddings: [{ path: "e", tokens: ["<a>", 3] }] }),
    ).toEqual(["body.embeddings.0.tokens.1:string_type"]);
    expect(locs("fal-ai/fast-sdxl", { prompt: "x", negative_prompt: 3 })).toEqual([
      "body.negative_prompt:string_type",
    ]);
  });

  it("image_size: presets or {width,height} in 1..14142", () => {
    const sizes: Array<[unknown, number, number]> = [
      ["square_hd", 1024, 1024],
      ["square", 512, 512],
      ["portrait_4_3", 768, 1024],
      ["portrait_16_9", 576, 1024],
      ["landscape_4_3", 1024, 768],
      ["landscape_16_9", 1024, 576],
      [{ width: 640, height: 480 }, 640, 480],
      [{ width: 300 }, 300, 512],
      [{ width: 14142, height: 1 }, 14142, 1],
    ];
    for (const [image_size, w, h] of sizes) {
      const r = validateInput(LOCAL_FAL_MODELS.get("fal-ai/fast-sdxl")!, {
        prompt: "x",
        image_size,
      });
      expect(r.ok && [r.input.width, r.input.height]).toEqual([w, h]);
    }
    expect(locs("fal-ai/fast-sdxl", { prompt: "x", image_size: "huge" })).toEqual([
      "body.image_size:literal_error",
    ]);
    expect(locs("fal-ai/fast-sdxl", { prompt: "x", image_size: { width: 0, height: 5 } })).toEqual([
      "body.image_size.width:greater_than",
    ]);
    expect(
      locs("fal-ai/fast-sdxl", { prompt: "x", image_size: { width: 10, height: 14143 } }),
    ).toEqual(["body.image_size.height:less_than_equal"]);
    expect(
      locs("fal-ai/fast-sdxl", { prompt: "x", image_size: { width: 10.5, height: 10 } }),
    ).toEqual(["body.image_size.width:int_from_float"]);
    expect(locs("fal-ai/fast-sdxl", { prompt: "x", image_size: 512 })).toEqual([
      "body.image_size:model_type",
    ]);
  });

  it("Pydantic-like lax coercion and type errors", () => {
    const lax = validateInput(LOCAL_FAL_MODELS.get("fal-ai/flux/dev")!, {
      prompt: "x",
      num_images: "2",
      seed: "17",
      sync_mode: "true",
      guidance_scale: "4.5",
    });
    expect(lax.ok && lax.input).toMatchObject({ numImages: 2, seed: 17, syncMode: true });
    expect(lax.ok && lax.input.params.guidance_scale).toBe(4.5);
    expect(locs("fal-ai/flux/dev", { prompt: "x", seed: 1.5 })).toEqual([
      "body.seed:int_from_float",
    ]);
    expect(locs("fal-ai/flux/dev", { prompt: "x", seed: "abc" })).toEqual([
      "body.seed:int_parsing",
    ]);
    expect(locs("fal-ai/flux/dev", { prompt: "x", seed: null })).toEqual([]);
    expect(locs("fal-ai/flux/dev", { prompt: "x", seed: true })).toEqual(["body.seed:int_type"]);
    expect(locs("fal-ai/flux/dev", { prompt: "x", sync_mode: "maybe" })).toEqual([
      "body.sync_mode:bool_parsing",
    ]);
    expect(locs("fal-ai/flux/dev", { prompt: "x", enable_safety_checker: [] })).toEqual([
      "body.enable_safety_checker:bool_type",
    ]);
    expect(locs("fal-ai/flux/dev", [1, 2])).toEqual(["body:model_attributes_type"]);
    expect(locs("fal-ai/flux/dev", undefined)).toEqual(["body:missing"]);
    // All errors are reported at once.
    expect(locs("fal-ai/flux/dev", { num_images: 0, output_format: "bmp" })).toEqual([
      "body.prompt:missing",
      "body.num_images:greater_than_equal",
      "body.output_format:literal_error",
    ]);
  });
});

describe("local fal models: 422 over HTTP", () => {
  it("sync run answers 422 in FastAPI shape with x-fal-billable-units: 0", async () => {
    const s = await start();
    const r = await call(s.url, "POST", "/run/fal-ai/flux/dev", {
      body: { prompt: "x", num_images: 5 },
    });
    expect(r.status).toBe(422);
    expect(r.headers.get("content-type")).toBe("application/json");
    expect(r.headers.get("x-fal-billable-units")).toBe("0");
    expect(r.json.detail).toEqual([
      expect.objectContaining({
        loc: ["body", "num_images"],
        type: "less_than_equal",
        msg: "Input should be less than or equal to 4",
        input: 5,
      }),
    ]);
    const missing = await call(s.url, "POST", "/run/fal-ai/fast-lightning-sdxl", { body: {} });
    expect(missing.status).toBe(422);
    expect(missing.json.detail[0]).toMatchObject({ loc: ["body", "prompt"], type: "missing" });
    const empty = await call(s.url, "POST", "/run/fal-ai/fast-sdxl", { raw: "" });
    expect(empty.status).toBe(422);
    expect(empty.json.detail[0]).toMatchObject({ loc: ["body"], type: "missing" });
  });

  it("queue submit accepts invalid input; the 422 is replayed by the result endpoint", async () => {
    const s = await start();
    const sub = await submit(s.url, "fal-ai/fast-lightning-sdxl", {
      prompt: "x",
      num_inference_steps: 4,
    });
    const done = await waitCompleted(sub.status_url);
    expect(done.error).toBe("Invalid status code: 422");
    const r = await call(s.url, "GET", new URL(sub.response_url).pathname);
    expect(r.status).toBe(422);
    expect(r.json.detail[0]).toMatchObject({
      loc: ["body", "num_inference_steps"],
      type: "literal_error",
    });
  });

  it("images larger than maxImagePixels are refused with image_too_large", async () => {
    const s = await start({ maxImagePixels: 512 * 512 });
    const r = await call(s.url, "POST", "/run/fal-ai/fast-sdxl", {
      body: { prompt: "big", image_size: { width: 1000, height: 1000 } },
    });
    expect(r.status).toBe(422);
    expect(r.json.detail[0]).toMatchObject({
      loc: ["body", "image_size"],
      type: "image_too_large",
    });
  });
});
