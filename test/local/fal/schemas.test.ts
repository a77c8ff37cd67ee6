// fal's published schemas at their boundaries: for each model, the same input goes to the local
// server (its 422: loc and type, and the bound in ctx) and through the client's settings (its
// SettingsValidationError: field, value and the bound in `allowed`), and both must agree.
import { afterAll, describe, expect, it } from "vitest";
import { createLocalFalApp } from "../../../src/local/fal/index.js";
import { FAL_MODELS, validateSettingsForModel } from "../../../src/services/fal/models.js";
import { FAL_MODEL_SCHEMAS } from "../../../src/services/fal/schemas.js";
import {
  FAL_MAX_INFERENCE_STEPS,
  FAL_MAX_NUM_IMAGES,
  FalImageGenSettings,
} from "../../../src/services/fal/settings.js";
import type { SettingsInit } from "../../../src/services/settings.js";
import { SettingsValidationError } from "../../../src/utils/errors.js";

const app = createLocalFalApp({ publicUrl: "http://fal.test" });
afterAll(() => app.close());

/** How the client sends a fal field: through a settings field, or through `extra`. */
const SETTING_OF: Record<string, keyof SettingsInit<FalImageGenSettings>> = {
  num_inference_steps: "numInferenceSteps",
  num_images: "numImages",
  image_size: "imageSize",
  expand_prompt: "expandPrompt",
  enable_safety_checker: "enableSafetyChecker",
  format: "format",
  output_format: "format",
  seed: "seed",
};

interface Row {
  /** The fal field (as the server sees it). */
  field: string;
  /** The value the server gets. */
  value: unknown;
  /** The value the client's settings get, when it differs (lightning steps are numbers there). */
  clientValue?: unknown;
  /** undefined = valid on both sides. */
  invalid?: {
    loc: Array<string | number>;
    type: string;
    /** The client's field (default: the setting, or `extra.<field>`). */
    clientField?: string;
    /** The bound both sides must name (ctx on the server, `allowed` on the client). */
    bound?: number;
    /** Text the client's `allowed` must contain, when there is no numeric bound. */
    allowed?: string;
  };
}

const MAX_SIDE = 14142;
const SAFE = Number.MAX_SAFE_INTEGER;

const range = (field: string, lo: number, hi: number, type = "int"): Row[] => {
  const below = type === "int" ? lo - 1 : lo - 0.5;
  const above = type === "int" ? hi + 1 : hi + 0.5;
  return [
    { field, value: below, invalid: { loc: [field], type: "greater_than_equal", bound: lo } },
    { field, value: lo },
    { field, value: hi },
    { field, value: above, invalid: { loc: [field], type: "less_than_equal", bound: hi } },
  ];
};

const imageSides: Row[] = [
  {
    field: "image_size",
    value: { width: 0, height: 64 },
    invalid: {
      loc: ["image_size", "width"],
      type: "greater_than",
      clientField: "imageSize.width",
      allowed: `1..${MAX_SIDE}`,
    },
  },
  { field: "image_size", value: { width: 1, height: 64 } },
  { field: "image_size", value: { width: MAX_SIDE, height: 1 } },
  {
    field: "image_size",
    value: { width: 64, height: MAX_SIDE + 1 },
    invalid: {
      loc: ["image_size", "height"],
      type: "less_than_equal",
      clientField: "imageSize.height",
      bound: MAX_SIDE,
    },
  },
  {
    field: "image_size",
    value: "huge",
    invalid: { loc: ["image_size"], type: "literal_error", allowed: '"square_hd"' },
  },
];

const seeds: Row[] = [
  { field: "seed", value: -1, invalid: { loc: ["seed"], type: "greater_than_equal", bound: 0 } },
  { field: "seed", value: 0 },
  { field: "seed", value: SAFE },
  {
    field: "seed",
    value: SAFE + 1,
    invalid: { loc: ["seed"], type: "less_than_equal", allowed: String(SAFE) },
  },
];

const enumRow = (field: string, value: string, allowed: string): Row => ({
  field,
  value,
  invalid: { loc: [field], type: "literal_error", allowed },
});

const TABLE: Record<string, Row[]> = {
  "fal-ai/fast-sdxl": [
    ...range("num_inference_steps", 1, 50),
    ...range("num_images", 1, 8),
    ...range("guidance_scale", 0, 20, "float"),
    ...imageSides,
    ...seeds,
    { field: "format", value: "png" },
    enumRow("format", "gif", '"png" or "jpeg"'),
    { field: "safety_checker_version", value: "v2" },
    enumRow("safety_checker_version", "v3", '"v1" or "v2"'),
    { field: "expand_prompt", value: 2, invalid: { loc: ["expand_prompt"], type: "bool_type" } },
    { field: "loras", value: [{ path: "https://x/lora.safetensors", scale: 0.5 }] },
    {
      field: "loras",
      value: [{ path: 7 }],
      invalid: {
        loc: ["loras", 0, "path"],
        type: "string_type",
        clientField: "extra.loras[0].path",
      },
    },
    {
      field: "sync_mode",
      value: "soon",
      invalid: { loc: ["sync_mode"], type: "bool_parsing", allowed: "true or false" },
    },
  ],
  "fal-ai/fast-lightning-sdxl": [
    { field: "num_inference_steps", value: "1", clientValue: 1 },
    { field: "num_inference_steps", value: "8", clientValue: 8 },
    {
      field: "num_inference_steps",
      value: "3",
      clientValue: 3,
      invalid: { loc: ["num_inference_steps"], type: "literal_error", allowed: "1, 2, 4, 8" },
    },
    ...range("num_images", 1, 8),
    ...imageSides,
    ...seeds,
    enumRow("format", "webp", '"png" or "jpeg"'),
    enumRow("safety_checker_version", "v0", '"v1" or "v2"'),
    // Not in lightning's schema: fal ignores it, and so do both sides.
    { field: "guidance_scale", value: 99 },
  ],
  "fal-ai/flux/dev": [
    ...range("num_inference_steps", 1, 50),
    ...range("num_images", 1, 4),
    ...range("guidance_scale", 1, 20, "float"),
    ...imageSides,
    ...seeds,
    { field: "output_format", value: "png" },
    enumRow("output_format", "webp", '"png" or "jpeg"'),
    { field: "acceleration", value: "high" },
    enumRow("acceleration", "fast", '"none", "regular" or "high"'),
  ],
  "fal-ai/flux/schnell": [
    ...range("num_inference_steps", 1, 12),
    ...range("num_images", 1, 4),
    ...range("guidance_scale", 1, 20, "float"),
    ...imageSides,
    ...seeds,
    enumRow("output_format", "gif", '"png" or "jpeg"'),
    enumRow("acceleration", "max", '"none", "regular" or "high"'),
  ],
};

function clientSettings(model: string, row: Row): FalImageGenSettings {
  const store = FalImageGenSettings.defaults();
  const setting = SETTING_OF[row.field];
  const value = row.clientValue ?? row.value;
  const init: SettingsInit<FalImageGenSettings> = setting
    ? { model, [setting]: value }
    : { model, extra: { [row.field]: value } };
  store.applyUpdate(new FalImageGenSettings(init));
  return store;
}

/** The client's verdict: undefined when it accepts, else its SettingsValidationError. */
function clientVerdict(model: string, row: Row): SettingsValidationError | undefined {
  try {
    validateSettingsForModel(clientSettings(model, row));
    return undefined;
  } catch (error) {
    if (error instanceof SettingsValidationError) return error;
    throw error;
  }
}

async function serverVerdict(model: string, row: Row): Promise<{ status: number; body: any }> {
  const body = { prompt: "a boundary", image_size: { width: 64, height: 64 }, num_images: 1 };
  const response = await app.request(`/run/${model}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, [row.field]: row.value }),
  });
  return { status: response.status, body: await response.json() };
}

describe("fal's published schemas: the local server and the client agree at the boundaries", () => {
  for (const [model, rows] of Object.entries(TABLE)) {
    describe(model, () => {
      it.each(rows.map((row) => [`${row.field}=${JSON.stringify(row.value)}`, row] as const))(
        "%s",
        async (_name, row) => {
          const server = await serverVerdict(model, row);
          const client = clientVerdict(model, row);
          if (!row.invalid) {
            expect(server.status, JSON.stringify(server.body)).toBe(200);
            expect(client).toBeUndefined();
            return;
          }
          expect(server.status).toBe(422);
          expect(server.body.detail).toHaveLength(1);
          const [error] = server.body.detail;
          expect(error.loc).toEqual(["body", ...row.invalid.loc]);
          expect(error.type).toBe(row.invalid.type);
          expect(client, "the client accepted what the server refuses").toBeInstanceOf(
            SettingsValidationError,
          );
          const setting = SETTING_OF[row.field];
          expect(client?.field).toBe(
            row.invalid.clientField ?? (setting ? setting : `extra.${row.field}`),
          );
          const sent = row.clientValue ?? row.value;
          if (client?.field.includes(".") && !client.field.startsWith("extra.")) {
            // a size error names one side: the value is that side's
            expect(client.value).toEqual(
              (sent as Record<string, unknown>)[client.field.split(".")[1] as string],
            );
          } else if (!client?.field.includes("[")) {
            expect(client?.value).toEqual(sent);
          }
          if (row.invalid.bound !== undefined) {
            expect(Object.values(error.ctx ?? {})).toContain(row.invalid.bound);
            expect(client?.allowed).toMatch(new RegExp(`\\b${row.invalid.bound}\\b`));
          }
          if (row.invalid.allowed !== undefined)
            expect(client?.allowed).toContain(row.invalid.allowed);
        },
      );
    });
  }

  it("a custom size within fal's bound but beyond the local renderer is the one documented difference", async () => {
    const row: Row = { field: "image_size", value: { width: MAX_SIDE, height: MAX_SIDE } };
    expect(clientVerdict("fal-ai/flux/dev", row)).toBeUndefined();
    const server = await serverVerdict("fal-ai/flux/dev", row);
    expect(server.status).toBe(422);
    expect(server.body.detail[0]).toMatchObject({
      loc: ["body", "image_size"],
      type: "image_too_large",
    });
  });

  it("the client's limits are derived from the same schemas", () => {
    for (const [id, schema] of Object.entries(FAL_MODEL_SCHEMAS)) {
      const spec = FAL_MODELS[id];
      const steps = schema.fields.num_inference_steps;
      const images = schema.fields.num_images;
      expect(spec?.formatField).toBe(schema.formatField);
      if (images?.kind === "int") expect(spec?.maxImages).toBe(images.le);
      if (steps?.kind === "int") expect(spec?.maxSteps).toBe(steps.le);
      if (steps?.kind === "literal") expect(spec?.stepsAsString).toEqual(steps.values);
    }
    const maxOf = (field: string) =>
      Math.max(
        ...Object.values(FAL_MODEL_SCHEMAS).map((s) => {
          const f = s.fields[field];
          return f?.kind === "int" ? (f.le ?? 0) : 0;
        }),
      );
    expect(FAL_MAX_NUM_IMAGES).toBe(maxOf("num_images"));
    expect(FAL_MAX_INFERENCE_STEPS).toBe(maxOf("num_inference_steps"));
  });
});
