// Where the LLM, the speech and the images go (src/app/service-backends.ts): a base URL → that
// server (with the key), a key → the real service, else the embedded twins on one port. One notice
// per service, never holding a key; bad base URLs name their environment variable.
import { afterEach, describe, expect, it } from "vitest";
import { createCalendarServices } from "../../src/app/calendar.js";
import { type ServiceBackends, resolveServiceBackends } from "../../src/app/service-backends.js";
import { SettingsValidationError } from "../../src/utils/errors.js";

const KEYS = {
  OPENAI_API_KEY: "sk-openai-test-0123456789",
  CARTESIA_API_KEY: "sk_car_test_0123456789",
  FAL_KEY: "fal-test-key-0123456789",
};
const LOCAL = { cartesia: { engine: "builtin" as const } };
let opened: ServiceBackends | undefined;
afterEach(async () => {
  await opened?.close();
  opened = undefined;
});

function expectNoKeys(notices: string[]): void {
  for (const key of Object.values(KEYS)) expect(notices.join("\n")).not.toContain(key);
}

describe("resolveServiceBackends", () => {
  it("three keys: the three real services, no twins, one notice each naming the variable", async () => {
    opened = await resolveServiceBackends({ env: { ...KEYS } });
    expect(opened.twins).toBeUndefined();
    expect(opened.llm).toMatchObject({
      kind: "provider",
      baseUrl: "https://api.openai.com/v1",
      apiKey: KEYS.OPENAI_API_KEY,
    });
    expect(opened.tts).toMatchObject({
      kind: "provider",
      baseUrl: "https://api.cartesia.ai",
      apiKey: KEYS.CARTESIA_API_KEY,
    });
    expect(opened.image).toMatchObject({
      kind: "provider",
      baseUrl: undefined,
      apiKey: KEYS.FAL_KEY,
    });
    expect(opened.notices).toEqual([
      "Using OpenAI for the LLM (OPENAI_API_KEY is set)",
      "Using Cartesia for speech (CARTESIA_API_KEY is set)",
      "Using fal.ai for images (FAL_KEY is set)",
    ]);
    expectNoKeys(opened.notices);
  });

  it("base URLs win over keys and are announced; the keys are passed along", async () => {
    opened = await resolveServiceBackends({
      env: {
        ...KEYS,
        OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
        CARTESIA_BASE_URL: "http://127.0.0.1:9",
        FAL_BASE_URL: "http://127.0.0.1:9",
      },
    });
    expect(opened.twins).toBeUndefined();
    expect(opened.llm).toMatchObject({
      kind: "server",
      baseUrl: "http://127.0.0.1:9/v1",
      apiKey: KEYS.OPENAI_API_KEY,
    });
    expect(opened.notices).toEqual([
      "Using the OpenAI-compatible server at http://127.0.0.1:9/v1 for the LLM (OPENAI_BASE_URL)",
      "Using the Cartesia-compatible server at http://127.0.0.1:9 for speech (CARTESIA_BASE_URL)",
      "Using the fal.ai-compatible server at http://127.0.0.1:9 for images (FAL_BASE_URL)",
    ]);
    expectNoKeys(opened.notices);
  });

  it("nothing set: ONE embedded server for all three, one notice each saying it is a twin", async () => {
    opened = await resolveServiceBackends({ env: { OPENAI_API_KEY: "  " }, local: LOCAL });
    const twins = opened.twins;
    expect(twins?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const url = twins?.url as string;
    expect(opened.llm).toMatchObject({ kind: "local", baseUrl: `${url}/v1`, apiKey: "" });
    expect(opened.tts).toMatchObject({ kind: "local", baseUrl: url, apiKey: "" });
    expect(opened.image).toMatchObject({ kind: "local", baseUrl: url, apiKey: "" });
    expect(opened.notices[0]).toBe(
      `No OPENAI_API_KEY set: using the embedded local OpenAI twin at ${url}/v1 (a scripted LLM, not a model)`,
    );
    expect(opened.notices[1]).toMatch(
      new RegExp(
        `^No CARTESIA_API_KEY set: using the embedded local Cartesia twin at ${url} \\(speech: built-in formant synthesizer`,
      ),
    );
    expect(opened.notices[2]).toBe(
      `No FAL_KEY set: using the embedded local fal server at ${url} (preview renderer, not a model)`,
    );
    expect((await fetch(`${url}/v1/models`)).status).toBe(200);
    await opened.close();
    await opened.close();
    await expect(fetch(`${url}/v1/models`)).rejects.toThrow();
  });

  it("mixed: only the services without a key or URL use the twins", async () => {
    opened = await resolveServiceBackends({
      env: { OPENAI_API_KEY: KEYS.OPENAI_API_KEY },
      local: LOCAL,
    });
    expect(opened.llm.kind).toBe("provider");
    expect(opened.tts.kind).toBe("local");
    expect(opened.image.kind).toBe("local");
    expect(opened.twins).toBeDefined();
  });

  it("only the services asked for are resolved (and announced)", async () => {
    const only = await resolveServiceBackends({
      services: ["image"],
      env: { FAL_KEY: KEYS.FAL_KEY },
    });
    expect(only.notices).toEqual(["Using fal.ai for images (FAL_KEY is set)"]);
    expect(only.image.kind).toBe("provider");
    expect(Object.keys(only).filter((k) => ["llm", "tts", "image"].includes(k))).toEqual(["image"]);
    await only.close();
  });

  it("a bad base URL is a SettingsValidationError naming its environment variable", async () => {
    for (const name of ["OPENAI_BASE_URL", "CARTESIA_BASE_URL", "FAL_BASE_URL"]) {
      const attempt = resolveServiceBackends({ env: { [name]: "ftp://files.example" } });
      await expect(attempt).rejects.toBeInstanceOf(SettingsValidationError);
      await expect(resolveServiceBackends({ env: { [name]: "not a url" } })).rejects.toMatchObject({
        field: name,
        value: "not a url",
      });
    }
  });
});

describe("createCalendarServices", () => {
  it("the original's settings: OpenAI's defaults, the British Reading Lady in token mode, square_hd images", async () => {
    opened = await resolveServiceBackends({ env: {}, local: LOCAL });
    const { llm, tts, imageGen } = createCalendarServices(opened);
    expect(llm.baseUrl).toBe(opened.llm.baseUrl);
    expect(tts.baseUrl).toBe(opened.tts.baseUrl);
    expect(tts.textAggregationMode).toBe("token");
    expect(tts.settings.voice).toBe("71a7ad14-091c-4e8e-a314-022ece01c121");
    expect(imageGen.settings.imageSize).toBe("square_hd");
  });
});
