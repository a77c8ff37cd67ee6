// fal's published input schemas for the four text-to-image models we map, as one table shared by
// the client (settings and `extra` are checked against it before a request) and the local fal
// server (its 422s): both sides take their limits from here, so they cannot drift apart.
// Sources, field by field, are cited in docs/local-fal.md ("Schemas"). Where fal publishes no
// limit, the table holds a documented local one (marked `local` below).
import { MAX_IMAGE_DIMENSION, type ImageSizePreset } from "../image-size.js";

/** One input field of a fal model, in fal's (Pydantic) terms. */
export type FalFieldSchema =
  | { kind: "string"; required?: boolean; default?: string }
  | {
      kind: "int";
      default: number | null;
      /** `null` is accepted (Pydantic `Optional[int]`). */
      nullable?: boolean;
      ge?: number;
      le?: number;
    }
  | { kind: "float"; default: number; ge?: number; le?: number }
  | { kind: "bool"; default: boolean }
  | { kind: "literal"; values: readonly string[]; default: string }
  | { kind: "imageSize"; default: ImageSizePreset }
  /** `[{ path, scale = 1, force? }]` (fal's LoraWeight). */
  | { kind: "loras" }
  /** `[{ path, tokens = ["<s0>", "<s1>"] }]` (fal's Embedding). */
  | { kind: "embeddings" };

export interface FalModelSchema {
  id: string;
  title: string;
  /** The field that selects png/jpeg: `format` (SDXL family) or `output_format` (flux). */
  formatField: "format" | "output_format";
  fields: Readonly<Record<string, FalFieldSchema>>;
}

/** Both sides of a custom `image_size`: fal's toolkit `ImageSize` (`gt=0, le=14142`, default 512). */
export const IMAGE_SIDE_RANGE = Object.freeze({ ge: 1, le: MAX_IMAGE_DIMENSION, default: 512 });

/**
 * The seed: fal publishes "integer" and no range. Local limit: 0..2^53−1, the integers a JSON
 * number carries exactly (the client has always refused negative seeds).
 */
const SEED: FalFieldSchema = {
  kind: "int",
  default: null,
  nullable: true,
  ge: 0,
  le: Number.MAX_SAFE_INTEGER,
};

const FORMATS = ["jpeg", "png"] as const;
const SAFETY_CHECKER_VERSIONS = ["v1", "v2"] as const;
const ACCELERATIONS = ["none", "regular", "high"] as const;
/** fast-lightning-sdxl's steps are a string enum in fal's schema (NumInferenceStepsEnum). */
export const LIGHTNING_STEPS: readonly string[] = Object.freeze(["1", "2", "4", "8"]);

const FAST_SDXL: FalModelSchema = {
  id: "fal-ai/fast-sdxl",
  title: "Fast SDXL",
  formatField: "format",
  fields: {
    prompt: { kind: "string", required: true },
    negative_prompt: { kind: "string", default: "" },
    image_size: { kind: "imageSize", default: "square_hd" },
    // local: fal's page for fast-sdxl is not retrievable here; 1..50, 0..20 and 1..8 are the
    // best evidence (docs/local-fal.md, "Schemas").
    num_inference_steps: { kind: "int", default: 25, ge: 1, le: 50 },
    seed: SEED,
    guidance_scale: { kind: "float", default: 7.5, ge: 0, le: 20 },
    num_images: { kind: "int", default: 1, ge: 1, le: 8 },
    loras: { kind: "loras" },
    embeddings: { kind: "embeddings" },
    expand_prompt: { kind: "bool", default: false },
    enable_safety_checker: { kind: "bool", default: true },
    safety_checker_version: { kind: "literal", values: SAFETY_CHECKER_VERSIONS, default: "v1" },
    format: { kind: "literal", values: FORMATS, default: "jpeg" },
    sync_mode: { kind: "bool", default: false },
    request_id: { kind: "string", default: "" },
  },
};

const FAST_LIGHTNING_SDXL: FalModelSchema = {
  id: "fal-ai/fast-lightning-sdxl",
  title: "Fast Lightning SDXL",
  formatField: "format",
  fields: {
    prompt: { kind: "string", required: true },
    image_size: { kind: "imageSize", default: "square_hd" },
    num_inference_steps: { kind: "literal", values: LIGHTNING_STEPS, default: "4" },
    seed: SEED,
    num_images: { kind: "int", default: 1, ge: 1, le: 8 },
    embeddings: { kind: "embeddings" },
    expand_prompt: { kind: "bool", default: false },
    enable_safety_checker: { kind: "bool", default: true },
    safety_checker_version: { kind: "literal", values: SAFETY_CHECKER_VERSIONS, default: "v1" },
    format: { kind: "literal", values: FORMATS, default: "jpeg" },
    sync_mode: { kind: "bool", default: false },
    request_id: { kind: "string", default: "" },
  },
};

function flux(id: string, title: string, steps: { default: number; le: number }): FalModelSchema {
  return {
    id,
    title,
    formatField: "output_format",
    fields: {
      prompt: { kind: "string", required: true },
      image_size: { kind: "imageSize", default: "landscape_4_3" },
      num_inference_steps: { kind: "int", default: steps.default, ge: 1, le: steps.le },
      seed: SEED,
      guidance_scale: { kind: "float", default: 3.5, ge: 1, le: 20 },
      sync_mode: { kind: "bool", default: false },
      num_images: { kind: "int", default: 1, ge: 1, le: 4 },
      enable_safety_checker: { kind: "bool", default: true },
      output_format: { kind: "literal", values: FORMATS, default: "jpeg" },
      acceleration: { kind: "literal", values: ACCELERATIONS, default: "none" },
    },
  };
}

function frozen(schema: FalModelSchema): FalModelSchema {
  const fields: Record<string, FalFieldSchema> = {};
  for (const [name, field] of Object.entries(schema.fields)) fields[name] = Object.freeze(field);
  return Object.freeze({ ...schema, fields: Object.freeze(fields) });
}

/** The published input schemas, by endpoint id. Frozen. */
export const FAL_MODEL_SCHEMAS: Readonly<Record<string, FalModelSchema>> = Object.freeze(
  Object.fromEntries(
    [
      FAST_SDXL,
      FAST_LIGHTNING_SDXL,
      flux("fal-ai/flux/dev", "FLUX.1 [dev]", { default: 28, le: 50 }),
      flux("fal-ai/flux/schnell", "FLUX.1 [schnell]", { default: 4, le: 12 }),
    ].map((schema) => [schema.id, frozen(schema)]),
  ),
);

/** The schema of a model id, or undefined for a model we do not know. */
export function falModelSchema(model: string): FalModelSchema | undefined {
  return Object.hasOwn(FAL_MODEL_SCHEMAS, model) ? FAL_MODEL_SCHEMAS[model] : undefined;
}

/** The upper bound of an integer field, or undefined. */
export function intMax(schema: FalModelSchema, field: string): number | undefined {
  const spec = schema.fields[field];
  return spec?.kind === "int" ? spec.le : undefined;
}

/**
 * What a field allows, in words, for a client-side SettingsValidationError (the server's 422
 * says the same in Pydantic's words).
 */
export function describeAllowed(spec: FalFieldSchema, model: string): string {
  const range = (lo: number | undefined, hi: number | undefined): string =>
    lo !== undefined && hi !== undefined
      ? ` ${lo}..${hi}`
      : lo !== undefined
        ? ` ≥ ${lo}`
        : hi !== undefined
          ? ` ≤ ${hi}`
          : "";
  const forModel = ` for ${model}`;
  switch (spec.kind) {
    case "string":
      return "a string";
    case "int":
      return `an integer${range(spec.ge, spec.le)}${spec.nullable ? " (or null)" : ""}${forModel}`;
    case "float":
      return `a number${range(spec.ge, spec.le)}${forModel}`;
    case "bool":
      return "true or false";
    case "literal":
      return `${quoteList(spec.values)}${forModel}`;
    case "imageSize":
      return `a preset name or {width, height} with integers ${IMAGE_SIDE_RANGE.ge}..${IMAGE_SIDE_RANGE.le}`;
    case "loras":
      return "a list of {path: string, scale?: number, force?: boolean}";
    case "embeddings":
      return "a list of {path: string, tokens?: string[]}";
  }
}

function quoteList(values: readonly string[]): string {
  const quoted = values.map((v) => `"${v}"`);
  return quoted.length <= 1
    ? quoted.join("")
    : `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}`;
}
