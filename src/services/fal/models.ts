// Per-model request bodies for fal text-to-image endpoints (reference fal-protocol.md §1.2, §5).
//
// Decisions:
// - The service's store is complete, so for the four known models every given setting is sent
//   (in fal's snake_case, with the model's spelling of the format field). NOT_GIVEN fields are
//   left out (the model's own default applies), and `seed: null` (random) is never sent.
// - A setting a known model cannot honour is a SettingsValidationError naming the field, the value
//   and what that model allows: lightning steps outside "1"/"2"/"4"/"8", more steps or images than
//   the model's maximum, `expandPrompt: true` on flux. `expandPrompt: false` on flux is simply
//   omitted (flux never expands). The default `numInferenceSteps: 8` is valid for all four.
// - Any other model id takes the generic path: every given setting in snake_case (format as
//   `format`), no per-model checks.
// - `extra` is merged into the body LAST and wins over the mapped settings: it is the escape
//   hatch for fields we don't model (negative_prompt, guidance_scale, loras, acceleration, ...).
//   The one exception is `prompt`, which always comes from the text frame: an extra `prompt`
//   key is rejected.
import { SettingsValidationError } from "../../utils/errors.js";
import { validateImageSize } from "../image-size.js";
import {
  cloneSettingsValue,
  isGiven,
  isNotGiven,
  isPlainObject,
  toSnakeCase,
} from "../settings.js";
import {
  describeAllowed,
  FAL_MODEL_SCHEMAS,
  falModelSchema,
  intMax,
  type FalFieldSchema,
  type FalModelSchema,
} from "./schemas.js";
import {
  FAL_DEFAULTS,
  FAL_MAX_INFERENCE_STEPS,
  FAL_MAX_NUM_IMAGES,
  type FalImageGenSettings,
} from "./settings.js";

export interface FalModelSpec {
  id: string;
  /** Name of the output-format field in the request body. */
  formatField: "format" | "output_format";
  /** If set, `num_inference_steps` is sent as a string and must be one of these. */
  stepsAsString?: readonly string[];
  /** Largest accepted `numInferenceSteps` (the minimum is always 1). */
  maxSteps: number;
  /** Largest accepted `numImages`. */
  maxImages: number;
  /** The model's own defaults (documentation; we always send our store's values). */
  modelDefaults: { numInferenceSteps: number | string; imageSize: string; format: "jpeg" | "png" };
  supports: {
    /** `expand_prompt` exists in the model's schema. */
    expandPrompt: boolean;
    /** `enable_safety_checker` exists in the model's schema. */
    enableSafetyChecker: boolean;
    /** `guidance_scale` exists (only reachable through `extra`). */
    guidanceScale: boolean;
    /** `negative_prompt` exists (only reachable through `extra`). */
    negativePrompt: boolean;
  };
}

/** The client's view of a model, derived from its published schema (schemas.ts). */
function specFrom(schema: FalModelSchema): FalModelSpec {
  const { fields } = schema;
  const steps = fields.num_inference_steps;
  const size = fields.image_size;
  const format = fields[schema.formatField];
  const spec: FalModelSpec = {
    id: schema.id,
    formatField: schema.formatField,
    maxSteps:
      steps?.kind === "literal"
        ? Math.max(...steps.values.map(Number))
        : (intMax(schema, "num_inference_steps") ?? FAL_MAX_INFERENCE_STEPS),
    maxImages: intMax(schema, "num_images") ?? FAL_MAX_NUM_IMAGES,
    modelDefaults: Object.freeze({
      numInferenceSteps:
        steps?.kind === "literal" || steps?.kind === "int" ? (steps.default ?? 0) : 0,
      imageSize: size?.kind === "imageSize" ? size.default : "square_hd",
      format: (format?.kind === "literal" ? format.default : "jpeg") as "jpeg" | "png",
    }),
    supports: Object.freeze({
      expandPrompt: "expand_prompt" in fields,
      enableSafetyChecker: "enable_safety_checker" in fields,
      guidanceScale: "guidance_scale" in fields,
      negativePrompt: "negative_prompt" in fields,
    }),
  };
  if (steps?.kind === "literal") spec.stepsAsString = Object.freeze([...steps.values]);
  return Object.freeze(spec);
}

/** The models with a dedicated argument mapping, derived from fal's published schemas. Frozen. */
export const FAL_MODELS: Readonly<Record<string, FalModelSpec>> = Object.freeze(
  Object.fromEntries(
    Object.values(FAL_MODEL_SCHEMAS).map((schema) => [schema.id, specFrom(schema)]),
  ),
);

/** The dedicated spec for a model id, or undefined (generic path). */
export function falModelSpec(model: string): FalModelSpec | undefined {
  return Object.hasOwn(FAL_MODELS, model) ? FAL_MODELS[model] : undefined;
}

function mapSteps(modelSpec: FalModelSpec, steps: number): number | string {
  if (modelSpec.stepsAsString !== undefined) {
    const asString = String(steps);
    if (!modelSpec.stepsAsString.includes(asString)) {
      throw new SettingsValidationError(
        "numInferenceSteps",
        steps,
        `one of ${modelSpec.stepsAsString.join(", ")} for ${modelSpec.id}`,
      );
    }
    return asString;
  }
  if (steps > modelSpec.maxSteps) {
    throw new SettingsValidationError(
      "numInferenceSteps",
      steps,
      `an integer 1..${modelSpec.maxSteps} for ${modelSpec.id}`,
    );
  }
  return steps;
}

/**
 * The fal request body for `model`: `{ prompt, ...mapped settings, ...extra }`.
 *
 * Known models (FAL_MODELS) get their dedicated mapping (see the module comment); any other id
 * gets every given setting in snake_case except `model`. `seed: null` is never sent. Throws a
 * SettingsValidationError for an invalid setting, a setting the model cannot take, or an extra
 * `prompt` key.
 */
export function buildFalArguments(
  model: string,
  settings: FalImageGenSettings,
  prompt: string,
): Record<string, unknown> {
  if (typeof prompt !== "string") throw new SettingsValidationError("prompt", prompt, "a string");
  settings.validate();
  const body: Record<string, unknown> = { prompt };
  const modelSpec = falModelSpec(model);

  if (modelSpec === undefined) {
    for (const field of settings.fieldNames()) {
      if (field === "model") continue;
      const value = (settings as unknown as Record<string, unknown>)[field];
      if (isNotGiven(value) || value === undefined) continue;
      if (field === "seed" && value === null) continue;
      body[toSnakeCase(field)] = cloneSettingsValue(value);
    }
  } else {
    if (isGiven(settings.numInferenceSteps)) {
      body.num_inference_steps = mapSteps(modelSpec, settings.numInferenceSteps);
    }
    if (isGiven(settings.numImages)) {
      if (settings.numImages > modelSpec.maxImages) {
        throw new SettingsValidationError(
          "numImages",
          settings.numImages,
          `an integer 1..${modelSpec.maxImages} for ${modelSpec.id}`,
        );
      }
      body.num_images = settings.numImages;
    }
    if (isGiven(settings.imageSize)) body.image_size = cloneSettingsValue(settings.imageSize);
    if (isGiven(settings.expandPrompt)) {
      if (modelSpec.supports.expandPrompt) body.expand_prompt = settings.expandPrompt;
      else if (settings.expandPrompt) {
        throw new SettingsValidationError(
          "expandPrompt",
          true,
          `false (${modelSpec.id} has no prompt expansion)`,
        );
      }
    }
    if (isGiven(settings.enableSafetyChecker) && modelSpec.supports.enableSafetyChecker) {
      body.enable_safety_checker = settings.enableSafetyChecker;
    }
    if (isGiven(settings.format)) body[modelSpec.formatField] = settings.format;
    if (isGiven(settings.seed) && settings.seed !== null) body.seed = settings.seed;
  }

  const schema = falModelSchema(model);
  for (const [key, value] of Object.entries(settings.extra)) {
    if (isNotGiven(value) || value === undefined) continue;
    if (key === "prompt") {
      throw new SettingsValidationError(
        "extra.prompt",
        value,
        "no `prompt` key in extra (the prompt comes from the text frame)",
      );
    }
    // A field the model's schema knows is held to it, as fal would; others pass (fal ignores
    // fields it does not know).
    const field = schema && Object.hasOwn(schema.fields, key) ? schema.fields[key] : undefined;
    if (field) checkExtraField(`extra.${key}`, field, value, model);
    body[key] = cloneSettingsValue(value);
  }
  return body;
}

/**
 * Checks a value given through `extra` against its field in the model's published schema. The
 * client asks for JSON's own types (a number for a number); fal's server, being Pydantic, would
 * also take numeric strings.
 */
export function checkExtraField(
  path: string,
  spec: FalFieldSchema,
  value: unknown,
  model: string,
): void {
  const fail = (at = path, got: unknown = value, allowed = describeAllowed(spec, model)): never => {
    throw new SettingsValidationError(at, got, allowed);
  };
  const inRange = (n: number, ge?: number, le?: number): boolean =>
    (ge === undefined || n >= ge) && (le === undefined || n <= le);
  switch (spec.kind) {
    case "string":
      if (typeof value !== "string") fail();
      return;
    case "int":
      if (value === null && spec.nullable) return;
      if (typeof value !== "number" || !Number.isSafeInteger(value)) fail();
      if (!inRange(value as number, spec.ge, spec.le)) fail();
      return;
    case "float":
      if (typeof value !== "number" || !Number.isFinite(value)) fail();
      if (!inRange(value as number, spec.ge, spec.le)) fail();
      return;
    case "bool":
      if (typeof value !== "boolean") fail();
      return;
    case "literal":
      if (typeof value !== "string" || !spec.values.includes(value)) fail();
      return;
    case "imageSize":
      validateImageSize(path, value);
      return;
    case "loras":
    case "embeddings": {
      if (!Array.isArray(value)) fail();
      (value as unknown[]).forEach((item, i) => {
        const at = `${path}[${i}]`;
        if (!isPlainObject(item)) fail(at, item);
        const entry = item as Record<string, unknown>;
        if (typeof entry.path !== "string") fail(`${at}.path`, entry.path, "a string");
        if (spec.kind === "loras") {
          if (
            entry.scale !== undefined &&
            (typeof entry.scale !== "number" || !Number.isFinite(entry.scale))
          )
            fail(`${at}.scale`, entry.scale, "a number");
          if (entry.force !== undefined && typeof entry.force !== "boolean")
            fail(`${at}.force`, entry.force, "true or false");
        } else if (
          entry.tokens !== undefined &&
          (!Array.isArray(entry.tokens) || entry.tokens.some((t) => typeof t !== "string"))
        ) {
          fail(`${at}.tokens`, entry.tokens, "a list of strings");
        }
      });
      return;
    }
  }
}

/**
 * Checks, before any request, that the settings suit their model: the model id parses, the
 * values are valid, and the model can take them (same rules as buildFalArguments). Uses
 * FAL_DEFAULTS.model when `model` is NOT_GIVEN. The service calls it at construction and after
 * each settings update.
 */
export function validateSettingsForModel(settings: FalImageGenSettings): void {
  const model = isGiven(settings.model) ? settings.model : FAL_DEFAULTS.model;
  parseModelId(model);
  buildFalArguments(model, settings, "");
}

/** JSON with object keys sorted at every level (NOT_GIVEN/undefined properties left out). */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (!isPlainObject(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = v[k];
    return sorted;
  });
}

/** A stable cache key for a request: the same model and body (in any key order) give the same key. */
export function cacheKeyFor(model: string, body: Record<string, unknown>): string {
  return stableStringify({ model, body });
}

// ---------------------------------------------------------------------------------------------
// Endpoint ids
// ---------------------------------------------------------------------------------------------

export type FalNamespace = "workflows" | "comfy";
export const FAL_NAMESPACES: readonly FalNamespace[] = Object.freeze(["workflows", "comfy"]);

export interface FalModelId {
  owner: string;
  alias: string;
  /** Sub-path after owner/alias (e.g. "dev" for fal-ai/flux/dev), or undefined. */
  path: string | undefined;
  namespace: FalNamespace | undefined;
  /** Full normalised id, no leading slash: submit/run URL path (`fal-ai/flux/dev`, `12345/app`). */
  submitPath: string;
  /** `[namespace/]owner/alias`, no leading slash: prefix of `.../requests/{id}` URLs (`fal-ai/flux`). */
  requestsPrefix: string;
}

const MODEL_ID_ALLOWED =
  '"owner/alias[/path]", "workflows/owner/alias[/path]", "comfy/owner/alias[/path]" or a legacy "12345-app" id, with non-empty segments and no spaces, "?", "#" or ".."';

/**
 * Splits a fal endpoint id like `@fal-ai/client`'s parseEndpointId (reference fal-protocol.md
 * §1.2), but strictly: empty segments, whitespace, `?`, `#`, `%` and `.`/`..` segments are
 * rejected with a SettingsValidationError on field `model`.
 */
export function parseModelId(id: string): FalModelId {
  const invalid = (): SettingsValidationError =>
    new SettingsValidationError("model", id, MODEL_ID_ALLOWED);
  if (typeof id !== "string" || id === "" || /[\s?#%\\]/.test(id)) throw invalid();
  let parts = id.split("/");
  if (parts.length === 1) {
    const legacy = /^([0-9]+)-([a-zA-Z0-9-]+)$/.exec(id);
    if (legacy === null) throw invalid();
    parts = [legacy[1] as string, legacy[2] as string];
  }
  if (parts.some((p) => p === "" || p === "." || p === "..")) throw invalid();
  const first = parts[0] as string;
  const namespace = (FAL_NAMESPACES as readonly string[]).includes(first)
    ? (first as FalNamespace)
    : undefined;
  const rest = namespace === undefined ? parts : parts.slice(1);
  if (rest.length < 2) throw invalid();
  const [owner, alias, ...pathParts] = rest as [string, string, ...string[]];
  const prefix = namespace === undefined ? "" : `${namespace}/`;
  return {
    owner,
    alias,
    path: pathParts.length > 0 ? pathParts.join("/") : undefined,
    namespace,
    submitPath: parts.join("/"),
    requestsPrefix: `${prefix}${owner}/${alias}`,
  };
}
