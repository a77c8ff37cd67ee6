// The model table of the local fal server and input validation that answers like a fal app
// (FastAPI + Pydantic v2): 422 {"detail":[{loc, msg, type, input, ctx?, url}]}.
// Field names, types, enums, defaults and ranges are fal's published schemas, shared with the
// client (src/services/fal/schemas.ts; sources in docs/local-fal.md, "Schemas").
import {
  FAL_MODEL_SCHEMAS,
  intMax,
  type FalFieldSchema,
  type FalModelSchema,
} from "../../services/fal/schemas.js";
import { IMAGE_SIZE_PRESETS, MAX_IMAGE_DIMENSION } from "../../services/image-size.js";
import type { ImageFormat } from "./renderer.js";

/**
 * One validation error in the local fal server's 422 answer (Pydantic's shape). The client reads
 * such errors as `FalFieldError` (package root).
 */
export interface LocalFalFieldError {
  loc: Array<string | number>;
  msg: string;
  type: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
  url?: string;
}

// fal's presets: one table for the client settings and this server.
export { IMAGE_SIZE_PRESETS };

export const MAX_IMAGE_SIDE = MAX_IMAGE_DIMENSION;

/** One input field (fal's published schema). */
type FieldSpec = FalFieldSchema;

/**
 * A model the local fal server knows: its input schema, for validation. The client's mapping of
 * settings to fal's arguments is `FalModelSpec` (package root).
 */
export interface LocalFalModelSpec {
  id: string;
  title: string;
  /** Name of the field that selects png/jpeg: fast-sdxl family uses `format`, flux `output_format`. */
  formatField: "format" | "output_format";
  maxImages: number;
  fields: Readonly<Record<string, FieldSpec>>;
}

/** The validated input: every known field with defaults applied, plus a few derived values. */
export interface NormalizedInput {
  model: string;
  prompt: string;
  width: number;
  height: number;
  numImages: number;
  /** The seed given by the caller, or undefined (the server picks one). */
  seed: number | undefined;
  format: ImageFormat;
  syncMode: boolean;
  params: Record<string, unknown>;
}

/** The local server's view of a model: its published schema (shared with the client). */
function localSpec(schema: FalModelSchema): LocalFalModelSpec {
  return {
    id: schema.id,
    title: schema.title,
    formatField: schema.formatField,
    maxImages: intMax(schema, "num_images") ?? 1,
    fields: schema.fields,
  };
}

/** The models the local fal server serves, by endpoint id (fal's schemas, src/services/fal/schemas.ts). */
export const LOCAL_FAL_MODELS: ReadonlyMap<string, LocalFalModelSpec> = new Map(
  Object.values(FAL_MODEL_SCHEMAS).map((schema) => [schema.id, localSpec(schema)]),
);

export function getModel(id: string): LocalFalModelSpec | undefined {
  return LOCAL_FAL_MODELS.get(id);
}

/** `[namespace/]owner/alias` of an endpoint id (what fal's status/result/cancel URLs use). */
export function appPrefix(endpointId: string): string {
  const parts = endpointId.split("/");
  const n = parts[0] === "workflows" || parts[0] === "comfy" ? 3 : 2;
  return parts.slice(0, n).join("/");
}

// ---------------------------------------------------------------------------------------------
// Pydantic v2-style validation

const PYDANTIC_URL = "https://errors.pydantic.dev/2.10/v/";

function err(
  loc: Array<string | number>,
  type: string,
  msg: string,
  input: unknown,
  ctx?: Record<string, unknown>,
): LocalFalFieldError {
  const e: LocalFalFieldError = { type, loc: ["body", ...loc], msg, input };
  if (ctx) e.ctx = ctx;
  e.url = `${PYDANTIC_URL}${type}`;
  return e;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function literalList(values: readonly string[]): string {
  const quoted = values.map((v) => `'${v}'`);
  if (quoted.length <= 1) return quoted.join("");
  return `${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]}`;
}

type Check<T> = { ok: true; value: T } | { ok: false; error: LocalFalFieldError };

function checkInt(
  loc: Array<string | number>,
  v: unknown,
  spec: { ge?: number; le?: number; gt?: number },
): Check<number> {
  let n: number;
  if (typeof v === "number") {
    if (!Number.isFinite(v))
      return { ok: false, error: err(loc, "finite_number", "Input should be a finite number", v) };
    if (!Number.isInteger(v)) {
      return {
        ok: false,
        error: err(
          loc,
          "int_from_float",
          "Input should be a valid integer, got a number with a fractional part",
          v,
        ),
      };
    }
    n = v;
  } else if (typeof v === "string") {
    // Pydantic's lax mode parses integer strings.
    if (!/^\s*[-+]?\d+\s*$/.test(v)) {
      return {
        ok: false,
        error: err(
          loc,
          "int_parsing",
          "Input should be a valid integer, unable to parse string as an integer",
          v,
        ),
      };
    }
    n = Number.parseInt(v, 10);
  } else {
    return { ok: false, error: err(loc, "int_type", "Input should be a valid integer", v) };
  }
  return checkRange(loc, n, v, spec);
}

function checkFloat(
  loc: Array<string | number>,
  v: unknown,
  spec: { ge?: number; le?: number },
): Check<number> {
  let n: number;
  if (typeof v === "number") n = v;
  else if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) n = Number(v);
  else if (typeof v === "string") {
    return {
      ok: false,
      error: err(
        loc,
        "float_parsing",
        "Input should be a valid number, unable to parse string as a number",
        v,
      ),
    };
  } else return { ok: false, error: err(loc, "float_type", "Input should be a valid number", v) };
  if (!Number.isFinite(n))
    return { ok: false, error: err(loc, "finite_number", "Input should be a finite number", v) };
  return checkRange(loc, n, v, spec);
}

function checkRange(
  loc: Array<string | number>,
  n: number,
  input: unknown,
  spec: { ge?: number; le?: number; gt?: number },
): Check<number> {
  if (spec.gt !== undefined && !(n > spec.gt)) {
    return {
      ok: false,
      error: err(loc, "greater_than", `Input should be greater than ${spec.gt}`, input, {
        gt: spec.gt,
      }),
    };
  }
  if (spec.ge !== undefined && n < spec.ge) {
    return {
      ok: false,
      error: err(
        loc,
        "greater_than_equal",
        `Input should be greater than or equal to ${spec.ge}`,
        input,
        { ge: spec.ge },
      ),
    };
  }
  if (spec.le !== undefined && n > spec.le) {
    return {
      ok: false,
      error: err(
        loc,
        "less_than_equal",
        `Input should be less than or equal to ${spec.le}`,
        input,
        { le: spec.le },
      ),
    };
  }
  return { ok: true, value: n };
}

function checkBool(loc: Array<string | number>, v: unknown): Check<boolean> {
  if (typeof v === "boolean") return { ok: true, value: v };
  if (v === 0 || v === 1) return { ok: true, value: v === 1 };
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (["true", "1", "yes", "on", "t", "y"].includes(s)) return { ok: true, value: true };
    if (["false", "0", "no", "off", "f", "n"].includes(s)) return { ok: true, value: false };
    return {
      ok: false,
      error: err(
        loc,
        "bool_parsing",
        "Input should be a valid boolean, unable to interpret input",
        v,
      ),
    };
  }
  return { ok: false, error: err(loc, "bool_type", "Input should be a valid boolean", v) };
}

function checkString(loc: Array<string | number>, v: unknown): Check<string> {
  if (typeof v === "string") return { ok: true, value: v };
  return { ok: false, error: err(loc, "string_type", "Input should be a valid string", v) };
}

function checkLiteral(
  loc: Array<string | number>,
  v: unknown,
  values: readonly string[],
): Check<string> {
  if (typeof v === "string" && values.includes(v)) return { ok: true, value: v };
  const expected = literalList(values);
  return {
    ok: false,
    error: err(loc, "literal_error", `Input should be ${expected}`, v, { expected }),
  };
}

function checkModel(
  loc: Array<string | number>,
  v: unknown,
  className: string,
): Check<Record<string, unknown>> {
  if (isPlainObject(v)) return { ok: true, value: v };
  return {
    ok: false,
    error: err(
      loc,
      "model_type",
      `Input should be a valid dictionary or instance of ${className}`,
      v,
      { class_name: className },
    ),
  };
}

function checkImageSize(
  v: unknown,
  errors: LocalFalFieldError[],
): { width: number; height: number } | undefined {
  const loc = ["image_size"];
  if (typeof v === "string") {
    const preset = Object.hasOwn(IMAGE_SIZE_PRESETS, v)
      ? IMAGE_SIZE_PRESETS[v as keyof typeof IMAGE_SIZE_PRESETS]
      : undefined;
    if (preset) return { ...preset };
    const expected = literalList(Object.keys(IMAGE_SIZE_PRESETS));
    errors.push(err(loc, "literal_error", `Input should be ${expected}`, v, { expected }));
    return undefined;
  }
  if (!isPlainObject(v)) {
    errors.push(
      err(
        loc,
        "model_type",
        "Input should be a valid dictionary or instance of ImageSize, or one of the image size presets",
        v,
        {
          class_name: "ImageSize",
        },
      ),
    );
    return undefined;
  }
  const size = { width: 512, height: 512 };
  let ok = true;
  for (const side of ["width", "height"] as const) {
    if (v[side] === undefined || v[side] === null) {
      if (v[side] === null) {
        errors.push(err(["image_size", side], "int_type", "Input should be a valid integer", null));
        ok = false;
      }
      continue;
    }
    const r = checkInt(["image_size", side], v[side], { gt: 0, le: MAX_IMAGE_SIDE });
    if (r.ok) size[side] = r.value;
    else {
      errors.push(r.error);
      ok = false;
    }
  }
  return ok ? size : undefined;
}

/**
 * A list of objects that each need a string `path` (fal's LoraWeight and Embedding): checks the
 * list, each item's shape and its `path`, then lets `rest` check the item's other fields.
 */
function checkPathList(
  field: string,
  itemClass: string,
  v: unknown,
  errors: LocalFalFieldError[],
  defaults: () => Record<string, unknown>,
  rest: (
    item: Record<string, unknown>,
    loc: Array<string | number>,
    out: Record<string, unknown>,
  ) => void,
): unknown[] | undefined {
  if (!Array.isArray(v)) {
    errors.push(err([field], "list_type", "Input should be a valid list", v));
    return undefined;
  }
  const out: unknown[] = [];
  v.forEach((item, i) => {
    const loc = [field, i];
    const m = checkModel(loc, item, itemClass);
    if (!m.ok) {
      errors.push(m.error);
      return;
    }
    const entry = defaults();
    if (m.value.path === undefined)
      errors.push(err([...loc, "path"], "missing", "Field required", m.value));
    else {
      const p = checkString([...loc, "path"], m.value.path);
      if (p.ok) entry.path = p.value;
      else errors.push(p.error);
    }
    rest(m.value, loc, entry);
    out.push(entry);
  });
  return out;
}

function checkLoras(v: unknown, errors: LocalFalFieldError[]): unknown[] | undefined {
  return checkPathList(
    "loras",
    "LoraWeight",
    v,
    errors,
    () => ({ scale: 1 }),
    (item, loc, lora) => {
      if (item.scale !== undefined) {
        const s = checkFloat([...loc, "scale"], item.scale, {});
        if (s.ok) lora.scale = s.value;
        else errors.push(s.error);
      }
      if (item.force !== undefined) {
        const f = checkBool([...loc, "force"], item.force);
        if (f.ok) lora.force = f.value;
        else errors.push(f.error);
      }
    },
  );
}

function checkEmbeddings(v: unknown, errors: LocalFalFieldError[]): unknown[] | undefined {
  return checkPathList(
    "embeddings",
    "Embedding",
    v,
    errors,
    () => ({ tokens: ["<s0>", "<s1>"] }),
    (item, loc, emb) => {
      if (item.tokens === undefined) return;
      if (!Array.isArray(item.tokens))
        return void errors.push(
          err([...loc, "tokens"], "list_type", "Input should be a valid list", item.tokens),
        );
      const tokens: string[] = [];
      item.tokens.forEach((t, j) => {
        const s = checkString([...loc, "tokens", j], t);
        if (s.ok) tokens.push(s.value);
        else errors.push(s.error);
      });
      emb.tokens = tokens;
    },
  );
}

export type ValidationResult =
  | { ok: true; input: NormalizedInput }
  | { ok: false; errors: LocalFalFieldError[] };

/**
 * Validates a request body against the model's schema. Unknown fields are ignored (like fal).
 * `body` is the parsed JSON (undefined when the request had no body).
 */
export function validateInput(model: LocalFalModelSpec, body: unknown): ValidationResult {
  if (body === undefined)
    return {
      ok: false,
      errors: [
        {
          type: "missing",
          loc: ["body"],
          msg: "Field required",
          input: null,
          url: `${PYDANTIC_URL}missing`,
        },
      ],
    };
  if (!isPlainObject(body)) {
    return {
      ok: false,
      errors: [
        {
          type: "model_attributes_type",
          loc: ["body"],
          msg: "Input should be a valid dictionary or object to extract fields from",
          input: body,
          url: `${PYDANTIC_URL}model_attributes_type`,
        },
      ],
    };
  }
  const errors: LocalFalFieldError[] = [];
  const params: Record<string, unknown> = {};
  let size: { width: number; height: number } | undefined;

  for (const [name, spec] of Object.entries(model.fields)) {
    const raw = body[name];
    const loc = [name];
    if (raw === undefined) {
      if (spec.kind === "string" && spec.required) {
        errors.push(err(loc, "missing", "Field required", body));
        continue;
      }
      switch (spec.kind) {
        case "imageSize":
          params[name] = spec.default;
          size = {
            ...(IMAGE_SIZE_PRESETS[spec.default as keyof typeof IMAGE_SIZE_PRESETS] as {
              width: number;
              height: number;
            }),
          };
          break;
        case "loras":
        case "embeddings":
          params[name] = [];
          break;
        default:
          params[name] = spec.default ?? null;
      }
      continue;
    }
    // Optional fields accept an explicit null (Pydantic `Optional[...] = default`) only for
    // nullable ints.
    if (raw === null && spec.kind === "int" && spec.nullable) {
      params[name] = null;
      continue;
    }
    let r: Check<unknown> | undefined;
    switch (spec.kind) {
      case "string":
        r = checkString(loc, raw);
        break;
      case "int":
        r = checkInt(loc, raw, spec);
        break;
      case "float":
        r = checkFloat(loc, raw, spec);
        break;
      case "bool":
        r = checkBool(loc, raw);
        break;
      case "literal":
        r = checkLiteral(loc, raw, spec.values);
        break;
      case "imageSize": {
        const s = checkImageSize(raw, errors);
        if (s) {
          size = s;
          params[name] = typeof raw === "string" ? raw : s;
        }
        break;
      }
      case "loras": {
        const l = checkLoras(raw, errors);
        if (l) params[name] = l;
        break;
      }
      case "embeddings": {
        const e = checkEmbeddings(raw, errors);
        if (e) params[name] = e;
        break;
      }
    }
    if (r) {
      if (r.ok) params[name] = r.value;
      else errors.push(r.error);
    }
  }

  if (errors.length > 0 || !size) return { ok: false, errors };
  const seed = params.seed;
  return {
    ok: true,
    input: {
      model: model.id,
      prompt: params.prompt as string,
      width: size.width,
      height: size.height,
      numImages: params.num_images as number,
      seed: typeof seed === "number" ? seed : undefined,
      format: params[model.formatField] as ImageFormat,
      syncMode: params.sync_mode as boolean,
      params,
    },
  };
}

/** FastAPI's answer to a body that is not valid JSON. */
export function jsonDecodeError(message: string): LocalFalFieldError[] {
  return [
    {
      type: "json_invalid",
      loc: ["body", 0],
      msg: "JSON decode error",
      input: {},
      ctx: { error: message },
    },
  ];
}

/** @deprecated Use `LocalFalFieldError` (the client's is `FalFieldError`). */
export type FieldError = LocalFalFieldError;
/** @deprecated Use `LocalFalModelSpec` (the client's is `FalModelSpec`). */
export type ModelSpec = LocalFalModelSpec;
/** @deprecated Use `LOCAL_FAL_MODELS` (the client's table is `FAL_MODELS`). */
export const MODELS = LOCAL_FAL_MODELS;
