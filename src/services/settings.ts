// Service settings: the NOT_GIVEN sentinel and the ServiceSettings store/delta classes.
//
// Port of Pipecat's `services/settings.py` + `utils/types.py` (reference pipecat-core.md §4.1–4.2).
// One class serves two roles:
//   - a *store* (a service's current settings) holds a real value in every declared field;
//   - a *delta* (an update) sets only the fields to change; the rest stay NOT_GIVEN.
import { inspect } from "node:util";
import { PipecatError, SettingsValidationError } from "../utils/errors.js";
import type { SettingsDelta, SettingsMapping } from "../frames/settings.js";

// ---------------------------------------------------------------------------------------------
// NOT_GIVEN
// ---------------------------------------------------------------------------------------------

const NOT_GIVEN_BRAND: unique symbol = Symbol.for("pipecat-ts.NotGiven");
let notGivenInstance: NotGiven | undefined;

/**
 * The type of the `NOT_GIVEN` sentinel: "this field was not provided", as opposed to `null`, which
 * is a real value (e.g. `seed: null` means "random seed").
 *
 * `new NotGiven()` always returns the frozen singleton `NOT_GIVEN`.
 *
 * **Falsiness.** In Python `NOT_GIVEN` is falsy. A JavaScript object cannot be falsy, so
 * `if (x)`, `x || fallback` and `!x` do NOT work with it (`Boolean(NOT_GIVEN) === true`).
 * Always test with {@link isGiven} / {@link isNotGiven} (or {@link assertGiven}). `x ?? fallback`
 * does not work either: `NOT_GIVEN` is not nullish.
 *
 * **Serialisation.** `String(NOT_GIVEN) === "NOT_GIVEN"` and `util.inspect` prints `NOT_GIVEN`.
 * `toJSON()` returns `undefined`, so `JSON.stringify` *omits* an object property whose value is
 * `NOT_GIVEN` (the same thing the service does with NOT_GIVEN settings: they are not sent). Inside
 * an array it becomes `null`, like `undefined` does.
 */
export class NotGiven {
  /** Nominal brand (also recognises a NOT_GIVEN from another copy of this module). */
  declare readonly [NOT_GIVEN_BRAND]: true;

  constructor() {
    // biome-ignore lint/correctness/noConstructorReturn: NOT_GIVEN is a singleton, as in Pipecat.
    if (notGivenInstance !== undefined) return notGivenInstance;
    Object.defineProperty(this, NOT_GIVEN_BRAND, { value: true, enumerable: false });
    Object.freeze(this);
    notGivenInstance = this;
  }

  toString(): string {
    return "NOT_GIVEN";
  }

  /** `undefined`: JSON.stringify leaves NOT_GIVEN properties out. */
  toJSON(): undefined {
    return undefined;
  }

  [Symbol.toPrimitive](hint: string): string | number {
    return hint === "number" ? Number.NaN : "NOT_GIVEN";
  }

  [inspect.custom](): string {
    return "NOT_GIVEN";
  }
}
Object.freeze(NotGiven.prototype);

/** The singleton "not provided" marker. Test it with {@link isGiven}/{@link isNotGiven}, never `if (x)`. */
export const NOT_GIVEN: NotGiven = new NotGiven();

/** A settings field value: either a `T` or NOT_GIVEN. */
export type Given<T> = T | NotGiven;

/** True for NOT_GIVEN only. `null`, `undefined`, `0`, `""`, `false` are not NOT_GIVEN. */
export function isNotGiven(value: unknown): value is NotGiven {
  return (
    value instanceof NotGiven ||
    (typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[NOT_GIVEN_BRAND] === true)
  );
}

/** Pipecat's `is_given`: everything except NOT_GIVEN counts as given — `null`, `0`, `""`, `false` included. */
export function isGiven<T>(value: T | NotGiven): value is Exclude<T, NotGiven> {
  return !isNotGiven(value);
}

/** Pipecat's `assert_given`: throws (a PipecatError) if `value` is NOT_GIVEN. */
export function assertGiven<T>(
  value: T | NotGiven,
  name = "value",
): asserts value is Exclude<T, NotGiven> {
  if (isNotGiven(value)) throw new PipecatError(`${name} is NOT_GIVEN; a value is required here`);
}

// ---------------------------------------------------------------------------------------------
// Helpers (deep equality / deep copy of settings values, name conversion)
// ---------------------------------------------------------------------------------------------

/** True for `{}`-style objects (prototype Object.prototype or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Structural equality for settings values: primitives by value (NaN equals NaN), arrays and plain
 * objects element by element, anything else by identity. Used as Pipecat's `!=` test.
 */
export function settingsValuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === "number" && typeof b === "number") return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => settingsValuesEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && settingsValuesEqual(a[k], b[k]));
  }
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return false;
}

/** Deep copy of arrays, plain objects and Dates; NOT_GIVEN and other objects are kept by reference. */
export function cloneSettingsValue<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => cloneSettingsValue(item)) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (isPlainObject(value) && !isNotGiven(value)) {
    const out: Record<string, unknown> = {};
    // defineProperty, not `out[k] =`: a key "__proto__" (JSON.parse makes one) stays a plain
    // property instead of replacing the copy's prototype.
    for (const [k, v] of Object.entries(value))
      Object.defineProperty(out, k, {
        value: cloneSettingsValue(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out as T;
  }
  return value;
}

/** How deep settings values may nest (objects and arrays), in levels: deeper is refused. */
export const MAX_SETTINGS_DEPTH = 32;

/** Keys that reach an object's prototype when assigned: never accepted in settings. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Throws a SettingsValidationError naming the path of the first `__proto__`, `constructor` or
 * `prototype` key in `value` (plain objects and arrays, at any depth). Settings often come from
 * JSON a page or a file sent, and such keys are how prototype pollution starts.
 */
export function assertNoForbiddenKeys(path: string, value: unknown, depth = 0): void {
  if (depth > MAX_SETTINGS_DEPTH)
    throw new SettingsValidationError(path, "…", `at most ${MAX_SETTINGS_DEPTH} levels of nesting`);
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries())
      assertNoForbiddenKeys(`${path}[${i}]`, item, depth + 1);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, item] of Object.entries(value)) {
    const at = path === "" ? key : `${path}.${key}`;
    if (FORBIDDEN_KEYS.has(key))
      throw new SettingsValidationError(at, item, "a settings field; this key is never accepted");
    assertNoForbiddenKeys(at, item, depth + 1);
  }
}

/** `numInferenceSteps` → `num_inference_steps`. */
export function toSnakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `num_inference_steps` → `numInferenceSteps`. */
export function toCamelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

// ---------------------------------------------------------------------------------------------
// ServiceSettings
// ---------------------------------------------------------------------------------------------

/** Names of a settings class's declared (data) fields, `extra` excluded. */
export type SettingsFieldName<T> = Exclude<
  { [K in keyof T]-?: T[K] extends (...args: never[]) => unknown ? never : K }[keyof T],
  "extra"
> &
  string;

/** The constructor argument of a settings class: any subset of its fields, plus `extra`. */
export type SettingsInit<T extends ServiceSettings> = {
  [K in SettingsFieldName<T>]?: T[K] | undefined;
} & {
  extra?: Record<string, unknown> | undefined;
};

/** What the static helpers need from a settings class. */
export interface SettingsClass<T extends ServiceSettings = ServiceSettings> {
  new (init?: SettingsInit<T>): T;
  readonly name: string;
  /** Every declared field, camelCase, `extra` excluded (inherited ones included). */
  readonly fields: readonly string[];
  /** Alternative key → field name, used by `fromMapping` (e.g. `voice_id` → `voice`). */
  readonly aliases: Readonly<Record<string, string>>;
  /** A delta of this class from a plain mapping (see ServiceSettings.fromMapping). */
  fromMapping(mapping: SettingsMapping): T;
}

function classOf(settings: ServiceSettings): SettingsClass {
  return settings.constructor as SettingsClass;
}

type FieldBag = Record<string, unknown>;

/**
 * Base settings class (Pipecat's `ServiceSettings` dataclass).
 *
 * **Declaring a subclass** (the field list is the runtime source of truth; the `declare`d
 * properties give the types and emit nothing, so they cannot overwrite what the base constructor
 * set):
 *
 * ```ts
 * class TTSSettings extends ServiceSettings {
 *   static override readonly fields = [...ServiceSettings.fields, "voice", "language"];
 *   static override readonly aliases = { voice_id: "voice" };
 *   declare voice: Given<string | null>;
 *   declare language: Given<string | null>;
 *   constructor(init: SettingsInit<TTSSettings> = {}) { super(init); }
 * }
 * ```
 *
 * Every declared field defaults to NOT_GIVEN; `extra` defaults to `{}`. The constructor takes
 * camelCase field names only (a typo or a snake_case key throws a SettingsValidationError);
 * `fromMapping` is the lenient path that also accepts snake_case, aliases and unknown keys.
 * Constructor values are deep-copied. An `undefined` value means NOT_GIVEN.
 */
export class ServiceSettings implements SettingsDelta {
  static readonly fields: readonly string[] = ["model"];
  static readonly aliases: Readonly<Record<string, string>> = {};

  /** Model identifier; `null` means "not applicable / unsupported" in a store. */
  declare model: Given<string | null>;
  /** Keys without a declared field (from `fromMapping`, or set directly). Flattened by `givenFields()`. */
  declare extra: Record<string, unknown>;

  constructor(init: SettingsInit<ServiceSettings> = {}) {
    const cls = new.target as unknown as SettingsClass;
    const self = this as unknown as FieldBag;
    for (const field of cls.fields) self[field] = NOT_GIVEN;
    this.extra = {};
    assertNoForbiddenKeys("", init);
    for (const [key, value] of Object.entries(init as FieldBag)) {
      if (key === "extra") {
        if (value === undefined) continue;
        if (!isPlainObject(value))
          throw new SettingsValidationError("extra", value, "a plain object");
        this.extra = cloneSettingsValue(value);
        continue;
      }
      if (!cls.fields.includes(key)) {
        throw new SettingsValidationError(
          key,
          value,
          `a field of ${cls.name} (${cls.fields.join(", ")}); use ${cls.name}.fromMapping() for snake_case or unknown keys, or put them in extra`,
        );
      }
      if (value === undefined) continue;
      self[key] = cloneSettingsValue(value);
    }
  }

  /** Declared fields of this instance's class (camelCase, `extra` excluded). */
  fieldNames(): readonly string[] {
    return classOf(this).fields;
  }

  /**
   * Checks the given values. The base class accepts anything; subclasses override it and throw a
   * SettingsValidationError. Called by `applyUpdate` after merging (the update is rolled back if it
   * throws) and by subclasses' constructors.
   */
  validate(): void {
    if (!isPlainObject(this.extra))
      throw new SettingsValidationError("extra", this.extra, "a plain object");
  }

  /** Given declared fields (not `extra`), then `extra`'s keys merged in at the top level. Values are copies. */
  givenFields(): Record<string, unknown> {
    const self = this as unknown as FieldBag;
    const out: Record<string, unknown> = {};
    for (const field of this.fieldNames()) {
      const value = self[field];
      if (isGiven(value) && value !== undefined) out[field] = cloneSettingsValue(value);
    }
    for (const [key, value] of Object.entries(this.extra)) {
      if (isGiven(value) && value !== undefined) out[key] = cloneSettingsValue(value);
    }
    return out;
  }

  /**
   * Merges `delta` into this store in place and returns `{ field: oldValue }` for every field that
   * changed (`{}` if nothing did).
   *
   * - Only fields declared on *both* classes are considered; a NOT_GIVEN (or undefined) delta field
   *   is skipped. A base-class delta on a subclass store therefore updates only `model`.
   * - A value equal to the current one (deep equality, so `{width, height}` objects compare by
   *   content) is not a change. `null` is a real value.
   * - `delta.extra` is merged key by key with the same test; a new key reports `NOT_GIVEN` as its
   *   old value. Extra keys and field names share the result object.
   * - New values are deep-copied. After merging, `validate()` runs; if it throws, the store is
   *   restored to its previous state and the error propagates.
   */
  applyUpdate(delta: ServiceSettings): Record<string, unknown> {
    const self = this as unknown as FieldBag;
    const other = delta as unknown as FieldBag;
    const deltaFields = delta.fieldNames();
    const before = this.snapshot();
    const changed: Record<string, unknown> = {};

    for (const field of this.fieldNames()) {
      if (!deltaFields.includes(field)) continue;
      const value = other[field];
      if (isNotGiven(value) || value === undefined) continue;
      if (!settingsValuesEqual(self[field], value)) {
        changed[field] = self[field];
        self[field] = cloneSettingsValue(value);
      }
    }
    for (const [key, value] of Object.entries(delta.extra)) {
      if (isNotGiven(value) || value === undefined) continue;
      const old = Object.hasOwn(this.extra, key) ? this.extra[key] : NOT_GIVEN;
      if (!settingsValuesEqual(old, value)) {
        changed[key] = old;
        this.extra[key] = cloneSettingsValue(value);
      }
    }

    if (Object.keys(changed).length > 0) {
      try {
        this.validate();
      } catch (error) {
        this.restore(before);
        throw error;
      }
    }
    return changed;
  }

  /**
   * Builds a *delta* of the class it is called on from a plain mapping. Each key is resolved as:
   * an alias (`static aliases`), else a declared camelCase field, else the camelCase form of a
   * snake_case key (`num_images` → `numImages`); anything else goes to `extra` under its original
   * spelling. A key `extra` holding a plain object is merged into `extra`. `undefined` values are
   * skipped. Two spellings of the same field with different values are rejected, and so are the
   * keys `__proto__`, `constructor` and `prototype` at any depth (named by their path).
   */
  static fromMapping<T extends ServiceSettings>(
    this: SettingsClass<T>,
    mapping: SettingsMapping,
  ): T {
    if (!isPlainObject(mapping))
      throw new SettingsValidationError("mapping", mapping, "a plain object");
    assertNoForbiddenKeys("", mapping);
    const init: FieldBag = {};
    const extra: Record<string, unknown> = {};
    const seenAs: Record<string, string> = {};
    for (const [key, value] of Object.entries(mapping)) {
      if (value === undefined) continue;
      // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass whose fields apply.
      const field = resolveFieldName(this, key);
      if (field === undefined) {
        if (key === "extra" && isPlainObject(value)) Object.assign(extra, value);
        else extra[key] = value;
        continue;
      }
      const previous = seenAs[field];
      if (previous !== undefined && !settingsValuesEqual(init[field], value)) {
        throw new SettingsValidationError(
          key,
          value,
          `one value per field: "${previous}" already set ${field} to a different value`,
        );
      }
      seenAs[field] = key;
      init[field] = value;
    }
    if (Object.keys(extra).length > 0) init.extra = extra;
    return new this(init as SettingsInit<T>);
  }

  /** Names of declared fields still NOT_GIVEN (empty for a complete store). The caller decides how to report it. */
  validateComplete(): string[] {
    const self = this as unknown as FieldBag;
    return this.fieldNames().filter(
      (field) => isNotGiven(self[field]) || self[field] === undefined,
    );
  }

  /** Deep copy (same class; nested objects and `extra` are copied). */
  copy(): this {
    const Ctor = this.constructor as new () => this;
    const out = new Ctor();
    out.restore(this.snapshot());
    return out;
  }

  /** The given fields (same as `givenFields()`), for logs and JSON. */
  toJSON(): Record<string, unknown> {
    return this.givenFields();
  }

  [inspect.custom](): string {
    return `${classOf(this).name} ${inspect(this.givenFields(), { breakLength: Infinity })}`;
  }

  private snapshot(): FieldBag {
    const self = this as unknown as FieldBag;
    const snap: FieldBag = {};
    for (const field of this.fieldNames()) snap[field] = cloneSettingsValue(self[field]);
    snap.extra = cloneSettingsValue(this.extra);
    return snap;
  }

  private restore(snap: FieldBag): void {
    const self = this as unknown as FieldBag;
    for (const field of this.fieldNames()) self[field] = cloneSettingsValue(snap[field]);
    this.extra = cloneSettingsValue(snap.extra) as Record<string, unknown>;
  }
}

/** True for a settings object (of any class, from any copy of this module). */
export function isSettingsObject(value: unknown): value is ServiceSettings {
  if (value instanceof ServiceSettings) return true;
  const candidate = value as Partial<ServiceSettings> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.fieldNames === "function" &&
    typeof candidate.givenFields === "function" &&
    isPlainObject(candidate.extra)
  );
}

/**
 * Turns what a caller passed as a settings update into a delta of `settingsClass`: a settings
 * object as it is (refused if it sets fields `settingsClass` does not have), a plain object through
 * `fromMapping`; anything else is a SettingsValidationError saying what to pass. `shownAs` names
 * the class the way users write it (e.g. "FalImageGenService.Settings").
 */
export function toSettingsDelta(
  settingsClass: SettingsClass,
  delta: unknown,
  shownAs: string = settingsClass.name,
): ServiceSettings {
  if (isSettingsObject(delta)) {
    const given = delta as unknown as FieldBag;
    for (const field of delta.fieldNames()) {
      if (settingsClass.fields.includes(field) || isNotGiven(given[field])) continue;
      if (given[field] === undefined) continue;
      throw new SettingsValidationError(
        field,
        given[field],
        `a field of ${shownAs} (${settingsClass.fields.join(", ")})`,
      );
    }
    return delta;
  }
  if (isPlainObject(delta)) return settingsClass.fromMapping(delta);
  throw new SettingsValidationError(
    "delta",
    delta instanceof Map ? `Map(${delta.size})` : delta,
    `a settings object, new ${shownAs}({...}), or a plain object of its fields (${settingsClass.fields.join(", ")})`,
  );
}

/** Resolves a mapping key to a declared field name, or undefined if it is not one. */
export function resolveFieldName(
  cls: { readonly fields: readonly string[]; readonly aliases: Readonly<Record<string, string>> },
  key: string,
): string | undefined {
  const alias = Object.hasOwn(cls.aliases, key) ? cls.aliases[key] : undefined;
  if (alias !== undefined && cls.fields.includes(alias)) return alias;
  if (cls.fields.includes(key)) return key;
  const camel = toCamelCase(key);
  if (camel !== key && cls.fields.includes(camel)) return camel;
  return undefined;
}

/** Base settings of image generation services (Pipecat's `ImageGenSettings`): no fields beyond `model`. */
export class ImageGenSettings extends ServiceSettings {
  constructor(init: SettingsInit<ImageGenSettings> = {}) {
    super(init);
  }
}

/**
 * Base settings of text-to-speech services (Pipecat's `TTSSettings`): `model`, `voice` and
 * `language`. In a store, `null` means "not applicable" (e.g. a service that has no language
 * setting); `voice_id` is accepted by `fromMapping` as an alias of `voice`, as in Pipecat.
 */
export class TTSSettings extends ServiceSettings {
  static override readonly fields: readonly string[] = [
    ...ServiceSettings.fields,
    "voice",
    "language",
  ];
  static override readonly aliases: Readonly<Record<string, string>> = { voice_id: "voice" };

  /** Voice identifier or name. */
  declare voice: Given<string | null>;
  /** Language of the text, as the service names it (e.g. "en"); `null` = not sent. */
  declare language: Given<string | null>;

  constructor(init: SettingsInit<TTSSettings> = {}) {
    super(init);
  }
}
