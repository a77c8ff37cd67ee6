// Port of the generic part of Pipecat's tests/test_settings.py (reference pipecat-core.md §6.1) and
// the idea of test_service_init.py's test_delta_defaults_are_not_given (§6.2).
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  type Given,
  ImageGenSettings,
  MAX_SETTINGS_DEPTH,
  NOT_GIVEN,
  NotGiven,
  ServiceSettings,
  type SettingsInit,
  assertGiven,
  assertNoForbiddenKeys,
  cloneSettingsValue,
  isGiven,
  isNotGiven,
  resolveFieldName,
  settingsValuesEqual,
  toCamelCase,
  toSnakeCase,
} from "../../src/services/settings.js";
import { FalImageGenSettings } from "../../src/services/fal/settings.js";
import { PipecatError, SettingsValidationError } from "../../src/utils/errors.js";

// --- Test-only subclasses mirroring Pipecat's LLM/TTS/STT settings -------------------------------

class LLMSettings extends ServiceSettings {
  static override readonly fields: readonly string[] = [
    ...ServiceSettings.fields,
    "systemInstruction",
    "temperature",
    "maxTokens",
    "topP",
    "topK",
    "frequencyPenalty",
    "presencePenalty",
    "seed",
  ];
  declare systemInstruction: Given<string | null>;
  declare temperature: Given<number | null>;
  declare maxTokens: Given<number | null>;
  declare topP: Given<number | null>;
  declare topK: Given<number | null>;
  declare frequencyPenalty: Given<number | null>;
  declare presencePenalty: Given<number | null>;
  declare seed: Given<number | null>;
  constructor(init: SettingsInit<LLMSettings> = {}) {
    super(init);
  }
}

class TTSSettings extends ServiceSettings {
  static override readonly fields: readonly string[] = [
    ...ServiceSettings.fields,
    "voice",
    "language",
  ];
  static override readonly aliases: Readonly<Record<string, string>> = { voice_id: "voice" };
  declare voice: Given<string | null>;
  declare language: Given<string | null>;
  constructor(init: SettingsInit<TTSSettings> = {}) {
    super(init);
  }
}

class STTSettings extends ServiceSettings {
  static override readonly fields: readonly string[] = [...ServiceSettings.fields, "language"];
  declare language: Given<string | null>;
  constructor(init: SettingsInit<STTSettings> = {}) {
    super(init);
  }
}

// ------------------------------------------------------------------------------------------------

describe("NOT_GIVEN", () => {
  it("is a singleton: new NotGiven() returns it", () => {
    expect(new NotGiven()).toBe(NOT_GIVEN);
    expect(new NotGiven()).toBe(new NotGiven());
    expect(NOT_GIVEN).toBeInstanceOf(NotGiven);
  });

  it("is frozen", () => {
    expect(Object.isFrozen(NOT_GIVEN)).toBe(true);
    expect(() => {
      (NOT_GIVEN as unknown as Record<string, unknown>).x = 1;
    }).toThrow(TypeError);
  });

  it('renders as "NOT_GIVEN" (repr)', () => {
    expect(String(NOT_GIVEN)).toBe("NOT_GIVEN");
    expect(`${NOT_GIVEN}`).toBe("NOT_GIVEN");
    expect(inspect(NOT_GIVEN)).toBe("NOT_GIVEN");
    expect(inspect({ a: NOT_GIVEN })).toBe("{ a: NOT_GIVEN }");
  });

  it("toJSON is undefined: JSON.stringify omits NOT_GIVEN properties", () => {
    expect(NOT_GIVEN.toJSON()).toBeUndefined();
    expect(JSON.stringify({ a: 1, b: NOT_GIVEN })).toBe('{"a":1}');
    expect(JSON.stringify([NOT_GIVEN])).toBe("[null]");
  });

  it("acts falsy only through isGiven/isNotGiven (a JS object is truthy)", () => {
    // Python's test_bool_is_false: the port's equivalent is isGiven() === false. Plain truthiness
    // cannot work in JS, which is why code must never use `if (x)` on settings values.
    expect(isGiven(NOT_GIVEN)).toBe(false);
    expect(isNotGiven(NOT_GIVEN)).toBe(true);
    expect(Boolean(NOT_GIVEN)).toBe(true);
  });

  it("isGiven(NOT_GIVEN) is false", () => {
    expect(isGiven(NOT_GIVEN)).toBe(false);
  });

  it("isGiven(null) is true", () => {
    expect(isGiven(null)).toBe(true);
    expect(isNotGiven(null)).toBe(false);
  });

  it.each([0, "", false, 42, "hello", undefined, Number.NaN, {}])(
    "isGiven(%s) is true",
    (value) => {
      expect(isGiven(value)).toBe(true);
      expect(isNotGiven(value)).toBe(false);
    },
  );

  it("recognises a NOT_GIVEN from another copy of the module by its brand", () => {
    const foreign = Object.freeze(
      Object.defineProperty({}, Symbol.for("pipecat-ts.NotGiven"), { value: true }),
    );
    expect(isNotGiven(foreign)).toBe(true);
  });

  it("assertGiven throws on NOT_GIVEN, naming the value, and passes anything else", () => {
    expect(() => assertGiven(NOT_GIVEN, "model")).toThrow(PipecatError);
    expect(() => assertGiven(NOT_GIVEN, "model")).toThrow(/model is NOT_GIVEN/);
    expect(() => assertGiven(null, "model")).not.toThrow();
    expect(() => assertGiven(0)).not.toThrow();
    const value: Given<number> = 3 as Given<number>;
    assertGiven(value, "n");
    const n: number = value; // type-level: narrowed
    expect(n).toBe(3);
  });
});

describe("ServiceSettings", () => {
  it("default fields are not given (model NOT_GIVEN, extra {})", () => {
    const s = new ServiceSettings();
    expect(s.model).toBe(NOT_GIVEN);
    expect(s.extra).toEqual({});
  });

  it("given_fields is empty by default", () => {
    expect(new ServiceSettings().givenFields()).toEqual({});
    expect(new TTSSettings().givenFields()).toEqual({});
  });

  it("given_fields includes set values, null included", () => {
    const s = new TTSSettings({ model: "m", voice: "alice", language: null });
    expect(s.givenFields()).toEqual({ model: "m", voice: "alice", language: null });
  });

  it("given_fields flattens extra into the top level", () => {
    const s = new TTSSettings({ voice: "alice", extra: { speed: 1.2, stability: 0.5 } });
    expect(s.givenFields()).toEqual({ voice: "alice", speed: 1.2, stability: 0.5 });
    expect(s.givenFields()).not.toHaveProperty("extra");
  });

  it("copy is deep", () => {
    const s = new FalImageGenSettings({
      imageSize: { width: 640, height: 480 },
      extra: { loras: [{ path: "a", scale: 1 }] },
    });
    const c = s.copy();
    expect(c).toBeInstanceOf(FalImageGenSettings);
    expect(c).not.toBe(s);
    expect(c.givenFields()).toEqual(s.givenFields());
    (c.imageSize as { width: number }).width = 800;
    (c.extra.loras as Array<{ scale: number }>)[0]!.scale = 2;
    c.extra.newKey = true;
    expect(s.imageSize).toEqual({ width: 640, height: 480 });
    expect(s.extra).toEqual({ loras: [{ path: "a", scale: 1 }] });
    expect(c.seed).toBe(NOT_GIVEN);
  });

  it("constructor copies its input objects", () => {
    const size = { width: 640, height: 480 };
    const s = new FalImageGenSettings({ imageSize: size });
    size.width = 1;
    expect(s.imageSize).toEqual({ width: 640, height: 480 });
  });

  it("constructor treats undefined as NOT_GIVEN", () => {
    const s = new TTSSettings({ voice: undefined, model: "m" });
    expect(s.voice).toBe(NOT_GIVEN);
    expect(s.givenFields()).toEqual({ model: "m" });
  });

  it("constructor rejects unknown keys and snake_case, naming the key and the declared fields", () => {
    const make = () => new TTSSettings({ voice_id: "x" } as unknown as SettingsInit<TTSSettings>);
    expect(make).toThrow(SettingsValidationError);
    expect(make).toThrow(/"voice_id"/);
    expect(make).toThrow(/model, voice, language/);
    expect(make).toThrow(/fromMapping/);
  });

  it("constructor rejects a non-object extra", () => {
    expect(() => new ServiceSettings({ extra: [] as unknown as Record<string, unknown> })).toThrow(
      /"extra"/,
    );
  });

  it("validateComplete returns the NOT_GIVEN fields", () => {
    expect(new ServiceSettings().validateComplete()).toEqual(["model"]);
    expect(new TTSSettings({ voice: "a" }).validateComplete()).toEqual(["model", "language"]);
    expect(new TTSSettings({ model: null, voice: "a", language: null }).validateComplete()).toEqual(
      [],
    );
  });

  it("toJSON gives the given fields", () => {
    const s = new TTSSettings({ voice: "a", extra: { speed: 2 } });
    expect(JSON.parse(JSON.stringify(s))).toEqual({ voice: "a", speed: 2 });
    expect(inspect(s)).toBe("TTSSettings { voice: 'a', speed: 2 }");
  });

  it("fieldNames lists the declared fields of the instance's class", () => {
    expect(new ServiceSettings().fieldNames()).toEqual(["model"]);
    expect(new TTSSettings().fieldNames()).toEqual(["model", "voice", "language"]);
  });
});

describe("applyUpdate", () => {
  it("basic: returns the old value; other fields untouched", () => {
    const store = new TTSSettings({ model: "m", voice: "bob", language: "en" });
    const changed = store.applyUpdate(new TTSSettings({ voice: "alice" }));
    expect(changed).toEqual({ voice: "bob" });
    expect(store.voice).toBe("alice");
    expect(store.model).toBe("m");
    expect(store.language).toBe("en");
  });

  it("no change: an equal value returns {}", () => {
    const store = new TTSSettings({ model: "m", voice: "bob" });
    expect(store.applyUpdate(new TTSSettings({ voice: "bob" }))).toEqual({});
    expect(store.voice).toBe("bob");
  });

  it("equal objects compare by content, not identity", () => {
    const store = new FalImageGenSettings({ imageSize: { width: 640, height: 480 } });
    expect(
      store.applyUpdate(new FalImageGenSettings({ imageSize: { width: 640, height: 480 } })),
    ).toEqual({});
    expect(
      store.applyUpdate(new FalImageGenSettings({ imageSize: { width: 640, height: 482 } })),
    ).toEqual({
      imageSize: { width: 640, height: 480 },
    });
    expect(store.imageSize).toEqual({ width: 640, height: 482 });
  });

  it("NOT_GIVEN fields of the delta are skipped", () => {
    const store = new TTSSettings({ model: "m", voice: "bob", language: "en" });
    expect(store.applyUpdate(new TTSSettings())).toEqual({});
    expect(store.givenFields()).toEqual({ model: "m", voice: "bob", language: "en" });
  });

  it("multiple fields, a previously NOT_GIVEN one is reported with its old NOT_GIVEN", () => {
    const store = new LLMSettings({ model: "gpt", temperature: 0.5 });
    const changed = store.applyUpdate(new LLMSettings({ temperature: 0.7, topP: 0.9 }));
    expect(changed).toEqual({ temperature: 0.5, topP: NOT_GIVEN });
    expect(changed.topP).toBe(NOT_GIVEN);
    expect(store.temperature).toBe(0.7);
    expect(store.topP).toBe(0.9);
  });

  it("extra is merged key by key: old value reported, other keys kept, new key reports NOT_GIVEN", () => {
    const store = new TTSSettings({ voice: "bob", extra: { speed: 1.0, stability: 0.5 } });
    const changed = store.applyUpdate(new TTSSettings({ extra: { speed: 1.2, pitch: 3 } }));
    expect(changed).toEqual({ speed: 1.0, pitch: NOT_GIVEN });
    expect(changed.pitch).toBe(NOT_GIVEN);
    expect(store.extra).toEqual({ speed: 1.2, stability: 0.5, pitch: 3 });
  });

  it("extra with an unchanged value is not a change", () => {
    const store = new TTSSettings({ extra: { speed: 1.0 } });
    expect(store.applyUpdate(new TTSSettings({ extra: { speed: 1.0 } }))).toEqual({});
  });

  it("model field", () => {
    const store = new TTSSettings({ model: "m1", voice: "v" });
    expect(store.applyUpdate(new TTSSettings({ model: "m2" }))).toEqual({ model: "m1" });
    expect(store.model).toBe("m2");
  });

  it("None (null) is a valid value: NOT_GIVEN → null is a change", () => {
    const store = new TTSSettings();
    const changed = store.applyUpdate(new TTSSettings({ language: null }));
    expect(changed).toEqual({ language: NOT_GIVEN });
    expect(store.language).toBeNull();
  });

  it("null → value reports the old null", () => {
    const store = new TTSSettings({ language: null });
    expect(store.applyUpdate(new TTSSettings({ language: "fr" }))).toEqual({ language: null });
    expect(store.language).toBe("fr");
  });

  it("value → null is a change", () => {
    const store = new LLMSettings({ seed: 4 });
    expect(store.applyUpdate(new LLMSettings({ seed: null }))).toEqual({ seed: 4 });
    expect(store.seed).toBeNull();
  });

  it("a base-class delta on a subclass store updates only model", () => {
    const store = new TTSSettings({ model: "m1", voice: "v", language: "en" });
    const delta = new ServiceSettings({ model: "m2" });
    expect(store.applyUpdate(delta)).toEqual({ model: "m1" });
    expect(store.givenFields()).toEqual({ model: "m2", voice: "v", language: "en" });
  });

  it("a subclass delta on a base store updates only the fields the store declares", () => {
    const store = new ServiceSettings({ model: "m1" });
    expect(store.applyUpdate(new TTSSettings({ model: "m2", voice: "x" }))).toEqual({
      model: "m1",
    });
    expect(store.givenFields()).toEqual({ model: "m2" });
  });

  it("the store does not alias the delta's objects", () => {
    const store = new FalImageGenSettings();
    const delta = new FalImageGenSettings({
      imageSize: { width: 10, height: 10 },
      extra: { loras: [{ path: "p" }] },
    });
    store.applyUpdate(delta);
    (delta.imageSize as { width: number }).width = 20;
    (delta.extra.loras as Array<{ path: string }>)[0]!.path = "q";
    expect(store.imageSize).toEqual({ width: 10, height: 10 });
    expect(store.extra).toEqual({ loras: [{ path: "p" }] });
  });

  it("an invalid merged result is rolled back and the error propagates", () => {
    const store = FalImageGenSettings.defaults();
    const before = store.givenFields();
    const delta = new FalImageGenSettings({ numImages: 2 });
    (delta as unknown as Record<string, unknown>).format = "gif"; // mutated after validation
    expect(() => store.applyUpdate(delta)).toThrow(SettingsValidationError);
    expect(store.givenFields()).toEqual(before);
    expect(store.numImages).toBe(1);
  });

  it("a base-class delta with model null is rejected by a fal store", () => {
    const store = FalImageGenSettings.defaults();
    expect(() => store.applyUpdate(new ServiceSettings({ model: null }))).toThrow(/"model"/);
    expect(store.model).toBe("fal-ai/fast-sdxl");
  });
});

describe("fromMapping", () => {
  it("basic mapping", () => {
    const d = TTSSettings.fromMapping({ voice: "alice", language: "en" });
    expect(d).toBeInstanceOf(TTSSettings);
    expect(d.voice).toBe("alice");
    expect(d.language).toBe("en");
    expect(d.model).toBe(NOT_GIVEN);
    expect(d.extra).toEqual({});
  });

  it("alias resolution (voice_id → voice)", () => {
    expect(TTSSettings.aliases).toEqual({ voice_id: "voice" });
    const d = TTSSettings.fromMapping({ voice_id: "alice" });
    expect(d.voice).toBe("alice");
    expect(d.extra).toEqual({});
  });

  it("unknown keys go to extra under their original spelling", () => {
    const d = TTSSettings.fromMapping({ voice: "alice", speed: 1.2, stability_Level: 0.5 });
    expect(d.voice).toBe("alice");
    expect(d.extra).toEqual({ speed: 1.2, stability_Level: 0.5 });
  });

  it("model field", () => {
    expect(TTSSettings.fromMapping({ model: "eleven" }).model).toBe("eleven");
    expect(ServiceSettings.fromMapping({ model: "m" }).givenFields()).toEqual({ model: "m" });
  });

  it("empty mapping gives an empty delta", () => {
    const d = TTSSettings.fromMapping({});
    expect(d.givenFields()).toEqual({});
    expect(d.validateComplete()).toEqual(["model", "voice", "language"]);
  });

  it("all unknown keys", () => {
    const d = TTSSettings.fromMapping({ a: 1, b: "two" });
    expect(d.voice).toBe(NOT_GIVEN);
    expect(d.extra).toEqual({ a: 1, b: "two" });
  });

  it("LLM settings: snake_case keys map to camelCase fields", () => {
    const d = LLMSettings.fromMapping({
      temperature: 0.7,
      max_tokens: 100,
      top_p: 0.9,
      system_instruction: "be brief",
    });
    expect(d).toBeInstanceOf(LLMSettings);
    expect(d.givenFields()).toEqual({
      temperature: 0.7,
      maxTokens: 100,
      topP: 0.9,
      systemInstruction: "be brief",
    });
    expect(d.extra).toEqual({});
  });

  it("STT settings", () => {
    const d = STTSettings.fromMapping({ language: "de", punctuate: true });
    expect(d.language).toBe("de");
    expect(d.extra).toEqual({ punctuate: true });
  });

  it("an `extra` key holding an object is merged into extra", () => {
    const d = TTSSettings.fromMapping({ extra: { speed: 2 }, pitch: 1 });
    expect(d.extra).toEqual({ speed: 2, pitch: 1 });
  });

  it("undefined values are skipped", () => {
    const d = TTSSettings.fromMapping({ voice: undefined, speed: undefined });
    expect(d.voice).toBe(NOT_GIVEN);
    expect(d.extra).toEqual({});
  });

  it("two spellings of one field: equal values accepted, different values rejected", () => {
    expect(TTSSettings.fromMapping({ voice: "a", voice_id: "a" }).voice).toBe("a");
    expect(() => TTSSettings.fromMapping({ voice: "a", voice_id: "b" })).toThrow(
      SettingsValidationError,
    );
    expect(() => TTSSettings.fromMapping({ voice: "a", voice_id: "b" })).toThrow(/"voice_id"/);
  });

  it("rejects a non-object mapping", () => {
    expect(() => TTSSettings.fromMapping(null as unknown as Record<string, unknown>)).toThrow(
      /"mapping"/,
    );
  });

  it("refuses values nested deeper than MAX_SETTINGS_DEPTH levels", () => {
    const nested = (levels: number): unknown => (levels === 0 ? "leaf" : { a: nested(levels - 1) });
    expect(() => assertNoForbiddenKeys("x", nested(MAX_SETTINGS_DEPTH))).not.toThrow();
    expect(() => assertNoForbiddenKeys("x", nested(MAX_SETTINGS_DEPTH + 1))).toThrow(
      `at most ${MAX_SETTINGS_DEPTH} levels of nesting`,
    );
    expect(() => TTSSettings.fromMapping({ deep: nested(MAX_SETTINGS_DEPTH) })).toThrow(
      SettingsValidationError,
    );
  });
});

describe("round trip", () => {
  it("fromMapping then applyUpdate changes {voice, speed}", () => {
    const store = new TTSSettings({ model: "m", voice: "alice", language: "en" });
    const changed = store.applyUpdate(TTSSettings.fromMapping({ voice_id: "bob", speed: 1.2 }));
    expect(changed).toEqual({ voice: "alice", speed: NOT_GIVEN });
    expect(store.voice).toBe("bob");
    expect(store.extra).toEqual({ speed: 1.2 });
  });

  it("fromMapping preserves model", () => {
    const store = new TTSSettings({ model: "m1", voice: "alice" });
    const changed = store.applyUpdate(TTSSettings.fromMapping({ model: "m2" }));
    expect(changed).toEqual({ model: "m1" });
    expect(store.model).toBe("m2");
    expect(store.voice).toBe("alice");
  });

  it("fromMapping(givenFields()) reproduces the settings", () => {
    const s = new TTSSettings({ model: "m", voice: "v", extra: { speed: 1.5 } });
    expect(TTSSettings.fromMapping(s.givenFields()).givenFields()).toEqual(s.givenFields());
  });
});

describe("every settings class: a no-argument instance has every field NOT_GIVEN", () => {
  const classes: Array<new () => ServiceSettings> = [
    ServiceSettings,
    ImageGenSettings,
    FalImageGenSettings,
    LLMSettings,
    TTSSettings,
    STTSettings,
  ];
  it.each(classes.map((c) => [c.name, c] as const))("%s", (_name, Cls) => {
    const s = new Cls();
    const fields = s.fieldNames();
    expect(fields.length).toBeGreaterThan(0);
    for (const field of fields)
      expect((s as unknown as Record<string, unknown>)[field], field).toBe(NOT_GIVEN);
    expect(s.extra).toEqual({});
    // The runtime field list matches the instance's own data properties exactly.
    expect(Object.keys(s).sort()).toEqual([...fields, "extra"].sort());
    expect(s.validateComplete()).toEqual([...fields]);
  });

  it("FalImageGenSettings declares exactly the documented fields", () => {
    expect(new FalImageGenSettings().fieldNames()).toEqual([
      "model",
      "seed",
      "numInferenceSteps",
      "numImages",
      "imageSize",
      "expandPrompt",
      "enableSafetyChecker",
      "format",
    ]);
    expect(new ImageGenSettings().fieldNames()).toEqual(["model"]);
  });
});

describe("helpers", () => {
  it("toSnakeCase / toCamelCase", () => {
    expect(toSnakeCase("numInferenceSteps")).toBe("num_inference_steps");
    expect(toSnakeCase("model")).toBe("model");
    expect(toCamelCase("enable_safety_checker")).toBe("enableSafetyChecker");
    expect(toCamelCase("voice")).toBe("voice");
  });

  it("resolveFieldName: alias, field, snake_case, unknown", () => {
    expect(resolveFieldName(TTSSettings, "voice_id")).toBe("voice");
    expect(resolveFieldName(TTSSettings, "voice")).toBe("voice");
    expect(resolveFieldName(FalImageGenSettings, "num_images")).toBe("numImages");
    expect(resolveFieldName(FalImageGenSettings, "num_image")).toBeUndefined();
    expect(resolveFieldName(TTSSettings, "toString")).toBeUndefined();
  });

  it("settingsValuesEqual", () => {
    expect(settingsValuesEqual({ width: 1, height: 2 }, { height: 2, width: 1 })).toBe(true);
    expect(settingsValuesEqual({ width: 1, height: 2 }, { width: 1, height: 3 })).toBe(false);
    expect(settingsValuesEqual({ width: 1 }, { width: 1, height: undefined })).toBe(false);
    expect(settingsValuesEqual([1, [2]], [1, [2]])).toBe(true);
    expect(settingsValuesEqual([1], { 0: 1 })).toBe(false);
    expect(settingsValuesEqual(null, NOT_GIVEN)).toBe(false);
    expect(settingsValuesEqual(NOT_GIVEN, NOT_GIVEN)).toBe(true);
    expect(settingsValuesEqual(Number.NaN, Number.NaN)).toBe(true);
    expect(settingsValuesEqual(0, false)).toBe(false);
    expect(settingsValuesEqual("1", 1)).toBe(false);
  });

  it("cloneSettingsValue copies deeply but keeps NOT_GIVEN", () => {
    const v = { a: [{ b: 1 }], n: NOT_GIVEN };
    const c = cloneSettingsValue(v);
    expect(c).toEqual(v);
    expect(c.a).not.toBe(v.a);
    expect(c.a[0]).not.toBe(v.a[0]);
    expect(c.n).toBe(NOT_GIVEN);
  });
});
