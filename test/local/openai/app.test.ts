// The local OpenAI twin through app.request (no socket): the exact wire of a streamed and a whole
// completion, max_tokens, usage, OpenAI's errors, the key check, faults, latency options,
// recording and stats.
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MODEL_ALIASES,
  createLocalOpenAIApp,
  type LocalOpenAIAppOptions,
} from "../../../src/local/openai/app.js";
import { SYSTEM_FINGERPRINT } from "../../../src/local/openai/completion.js";
import { SCRIPTED_MODEL_ID } from "../../../src/local/openai/scripted-llm.js";
import { SettingsValidationError } from "../../../src/utils/errors.js";

const PROMPT =
  "Describe a nature photograph suitable for use in a calendar, for the month of October. Include only the image description with no preamble. Limit the description to one sentence, please.";

function chat(
  body: Record<string, unknown>,
  options: LocalOpenAIAppOptions = {},
  headers: Record<string, string> = {},
) {
  const app = createLocalOpenAIApp(options);
  return {
    app,
    response: app.request("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    }),
  };
}

const userMessage = (content = PROMPT) => [{ role: "user", content }];

/** The events of an SSE body as raw `data:` payloads, checking the framing on the way. */
async function events(response: Response): Promise<string[]> {
  const text = await response.text();
  expect(text.endsWith("\n\n")).toBe(true);
  return text
    .slice(0, -2)
    .split("\n\n")
    .map((event) => {
      expect(event.startsWith("data: ")).toBe(true);
      expect(event.includes("\n")).toBe(false);
      return event.slice(6);
    });
}

describe("POST /v1/chat/completions, streamed", () => {
  it("streams as OpenAI does: same id/created/model, role first, content deltas, finish, usage-only chunk, [DONE]", async () => {
    const { response } = chat({
      model: "gpt-4.1",
      messages: userMessage(),
      stream: true,
      stream_options: { include_usage: true },
      seed: 11,
    });
    const res = await response;
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    expect(res.headers.get("x-pipecat-ts-twin")).toBe("scripted-llm");
    const data = await events(res);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    const [first] = chunks;
    for (const chunk of chunks) {
      expect(chunk.id).toBe(first.id);
      expect(chunk.created).toBe(first.created);
      expect(chunk.model).toBe(SCRIPTED_MODEL_ID);
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(chunk.system_fingerprint).toBe(SYSTEM_FINGERPRINT);
    }
    expect(first.id).toMatch(/^chatcmpl-/);
    expect(first.choices[0]).toEqual({
      index: 0,
      delta: { role: "assistant", content: "", refusal: null },
      logprobs: null,
      finish_reason: null,
    });
    const usageChunk = chunks.at(-1);
    expect(usageChunk.choices).toEqual([]);
    const finish = chunks.at(-2);
    expect(finish.choices[0]).toMatchObject({ delta: {}, finish_reason: "stop" });
    const content = chunks.slice(1, -2);
    expect(content.every((c) => c.usage === null && c.choices[0].finish_reason === null)).toBe(
      true,
    );
    const text = content.map((c) => c.choices[0].delta.content).join("");
    expect(text).toMatch(/^[A-Z].*\.$/);
    expect(text.split(" ").length).toBeGreaterThanOrEqual(15);
    expect(usageChunk.usage).toMatchObject({
      completion_tokens: content.length,
      prompt_tokens: Math.ceil(PROMPT.length / 4),
      total_tokens: content.length + Math.ceil(PROMPT.length / 4),
    });
  });

  it("without include_usage, chunks carry no usage field and there is no usage chunk", async () => {
    const { response } = chat({ model: SCRIPTED_MODEL_ID, messages: userMessage(), stream: true });
    const chunks = (await events(await response)).slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.every((c) => !("usage" in c))).toBe(true);
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
  });

  it("cuts at max_tokens (or max_completion_tokens) with finish_reason length", async () => {
    for (const limit of [{ max_tokens: 4 }, { max_completion_tokens: 4, max_tokens: 50 }]) {
      const { response } = chat({
        model: SCRIPTED_MODEL_ID,
        messages: userMessage(),
        stream: true,
        stream_options: { include_usage: true },
        ...limit,
      });
      const chunks = (await events(await response)).slice(0, -1).map((d) => JSON.parse(d));
      expect(chunks.slice(1, -2)).toHaveLength(4);
      expect(chunks.at(-2).choices[0].finish_reason).toBe("length");
      expect(chunks.at(-1).usage.completion_tokens).toBe(4);
    }
  });

  it("is deterministic for the same prompt and seed", async () => {
    const text = async (seed: number) => {
      const { response } = chat({ model: SCRIPTED_MODEL_ID, messages: userMessage(), seed });
      return (await (await response).json()).choices[0].message.content as string;
    };
    expect(await text(5)).toBe(await text(5));
  });
});

describe("POST /v1/chat/completions, whole", () => {
  it("answers a chat.completion object with usage, as application/json", async () => {
    const { response } = chat({ model: "gpt-4o-mini", messages: userMessage("Hello!") });
    const res = await response;
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = await res.json();
    expect(body).toMatchObject({
      object: "chat.completion",
      model: SCRIPTED_MODEL_ID,
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices: [
        {
          index: 0,
          message: { role: "assistant", refusal: null },
          finish_reason: "stop",
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 2, total_tokens: 2 + body.usage.completion_tokens },
    });
    expect(body.choices[0].message.content).toContain("scripted local twin");
  });
});

describe("errors in OpenAI's shape", () => {
  it.each([
    [{ messages: userMessage() }, "model", "missing_required_parameter"],
    [{ model: SCRIPTED_MODEL_ID }, "messages", "missing_required_parameter"],
    [{ model: SCRIPTED_MODEL_ID, messages: [] }, "messages", "empty_array"],
    [
      { model: SCRIPTED_MODEL_ID, messages: [{ role: "robot", content: "x" }] },
      "messages[0].role",
      "invalid_value",
    ],
    [
      { model: SCRIPTED_MODEL_ID, messages: [{ role: "user" }] },
      "messages[0].content",
      "missing_required_parameter",
    ],
    [
      { model: SCRIPTED_MODEL_ID, messages: userMessage(), temperature: 2.5 },
      "temperature",
      "decimal_above_max_value",
    ],
    [
      { model: SCRIPTED_MODEL_ID, messages: userMessage(), top_p: -1 },
      "top_p",
      "decimal_below_min_value",
    ],
    [
      { model: SCRIPTED_MODEL_ID, messages: userMessage(), max_tokens: 0 },
      "max_tokens",
      "integer_below_min_value",
    ],
    [{ model: SCRIPTED_MODEL_ID, messages: userMessage(), seed: "7" }, "seed", "invalid_type"],
    [{ model: SCRIPTED_MODEL_ID, messages: userMessage(), n: 2 }, "n", "unsupported_value"],
    [
      {
        model: SCRIPTED_MODEL_ID,
        messages: userMessage(),
        stream_options: { include_usage: true },
      },
      "stream_options",
      "invalid_value",
    ],
  ])("400 for %j names param %s", async (body, param, code) => {
    const { response } = chat(body);
    const res = await response;
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error).toMatchObject({ type: "invalid_request_error", param, code });
    expect(typeof error.message).toBe("string");
  });

  it("400 for a body that is not JSON", async () => {
    const app = createLocalOpenAIApp();
    const res = await app.request("/v1/chat/completions", { method: "POST", body: "{nope" });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/could not parse the JSON body/);
  });

  it("400 (not a 500 from the stack) for a body nested too deeply, recorded as a preview", async () => {
    const app = createLocalOpenAIApp();
    const deep = `{"model":"gpt-4.1","messages":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const res = await app.request("/v1/chat/completions", { method: "POST", body: deep });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/could not parse the JSON body/);
    const [recorded] = app.requests();
    expect(recorded?.status).toBe(400);
    expect(recorded?.body).toBe(deep.slice(0, 1000));
  });

  it("404 model_not_found for a model it does not answer to; its own id and the aliases work", async () => {
    const res = await chat({ model: "gpt-9", messages: userMessage() }).response;
    expect(res.status).toBe(404);
    expect((await res.json()).error).toEqual({
      message: "The model `gpt-9` does not exist or you do not have access to it.",
      type: "invalid_request_error",
      param: null,
      code: "model_not_found",
    });
    for (const model of [SCRIPTED_MODEL_ID, ...DEFAULT_MODEL_ALIASES])
      expect((await chat({ model, messages: userMessage() }).response).status).toBe(200);
    const strict = await chat({ model: "gpt-4.1", messages: userMessage() }, { modelAliases: [] })
      .response;
    expect(strict.status).toBe(404);
  });

  it("404 Invalid URL for anything else", async () => {
    const app = createLocalOpenAIApp();
    const res = await app.request("/v1/completions", { method: "POST", body: "{}" });
    expect(res.status).toBe(404);
    expect((await res.json()).error.message).toBe("Invalid URL (POST /v1/completions)");
    expect((await app.request("/v1/chat/completions")).status).toBe(404);
  });
});

describe("the key check", () => {
  it("401 without a key and with a wrong one, in OpenAI's words; the key is never echoed or recorded", async () => {
    const key = "sk-twin-secret-123";
    const app = createLocalOpenAIApp({ requiredKey: key });
    const missing = await app.request("/v1/models");
    expect(missing.status).toBe(401);
    expect((await missing.json()).error.message).toMatch(/You didn't provide an API key/);
    const wrong = await app.request("/v1/models", { headers: { authorization: "Bearer sk-nope" } });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error.code).toBe("invalid_api_key");
    const right = await app.request("/v1/models", { headers: { authorization: `Bearer ${key}` } });
    expect(right.status).toBe(200);
    // A prompt carrying the key: the JSON answer does not repeat it.
    const echo = await app.request("/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${key}` },
      body: JSON.stringify({ model: SCRIPTED_MODEL_ID, messages: userMessage(`my key is ${key}`) }),
    });
    expect(await echo.text()).not.toContain(key);
    expect(JSON.stringify(app.requests())).not.toContain(key);
    expect(app.stats().unauthorized).toBe(2);
  });
});

describe("GET /v1/models", () => {
  it("lists the twin's model and retrieves it (and the aliases) by id", async () => {
    const app = createLocalOpenAIApp();
    expect(await (await app.request("/v1/models")).json()).toEqual({
      object: "list",
      data: [
        {
          id: SCRIPTED_MODEL_ID,
          object: "model",
          created: expect.any(Number),
          owned_by: "pipecat-ts (scripted twin)",
        },
      ],
    });
    expect((await (await app.request(`/v1/models/${SCRIPTED_MODEL_ID}`)).json()).id).toBe(
      SCRIPTED_MODEL_ID,
    );
    expect((await app.request("/v1/models/gpt-4.1")).status).toBe(200);
    expect((await app.request("/v1/models/nope")).status).toBe(404);
  });
});

describe("faults", () => {
  it("a status fault answers in OpenAI's shape with the rule's headers, then stops after `times`", async () => {
    const app = createLocalOpenAIApp({
      faults: [{ operation: "chat", status: 429, headers: { "retry-after": "1" }, times: 1 }],
    });
    const send = () =>
      app.request("/v1/chat/completions", {
        method: "POST",
        body: JSON.stringify({ model: SCRIPTED_MODEL_ID, messages: userMessage() }),
      });
    const limited = await send();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("1");
    expect((await limited.json()).error).toMatchObject({
      type: "requests",
      code: "rate_limit_exceeded",
    });
    expect((await send()).status).toBe(200);
    expect(app.stats().faultsInjected).toBe(1);
  });

  it("a rule naming a model applies to chat requests for that model only", async () => {
    const app = createLocalOpenAIApp({
      faults: [{ operation: "chat", model: "gpt-4o", status: 503 }],
    });
    const send = (model: string) =>
      app.request("/v1/chat/completions", {
        method: "POST",
        body: JSON.stringify({ model, messages: userMessage() }),
      });
    expect((await send("gpt-4o")).status).toBe(503);
    expect((await send("gpt-4.1")).status).toBe(200);
  });

  it("resetConnection and hang answer nothing (a dropped connection)", async () => {
    const app = createLocalOpenAIApp({ faults: [{ operation: "models", resetConnection: true }] });
    expect((await app.request("/v1/models")).type).toBe("error");
    app.setFaults([{ operation: "models", hang: true }]);
    const controller = new AbortController();
    const hung = app.request("/v1/models", { signal: controller.signal });
    let settled = false;
    void hung.then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(settled).toBe(false);
    controller.abort();
    expect((await hung).type).toBe("error");
  });

  it("breaks a stream mid-way: a malformed event (brokenJson) or a body that fails (truncateBody)", async () => {
    const body = JSON.stringify({
      model: SCRIPTED_MODEL_ID,
      messages: userMessage(),
      stream: true,
    });
    const app = createLocalOpenAIApp({
      faults: [{ operation: "chat", brokenJson: true, times: 1 }],
    });
    const broken = await (
      await app.request("/v1/chat/completions", { method: "POST", body })
    ).text();
    const parts = broken.split("\n\n").filter((p) => p !== "");
    expect(parts.length).toBeGreaterThan(3);
    expect(() => JSON.parse((parts.at(-1) as string).slice(6))).toThrow();
    expect(broken).not.toContain("[DONE]");

    app.setFaults([{ operation: "chat", truncateBody: true, times: 1 }]);
    const truncated = await app.request("/v1/chat/completions", { method: "POST", body });
    await expect(truncated.text()).rejects.toThrow();

    // Whole answers are cut by the kit itself.
    app.setFaults([{ operation: "chat", brokenJson: true, times: 1 }]);
    const whole = await app.request("/v1/chat/completions", {
      method: "POST",
      body: JSON.stringify({ model: SCRIPTED_MODEL_ID, messages: userMessage() }),
    });
    await expect(whole.json()).rejects.toThrow();
  });
});

describe("latency, recording, stats", () => {
  it("rejects negative delays", () => {
    expect(() => createLocalOpenAIApp({ tokenDelayMs: -1 })).toThrow(/tokenDelayMs/);
    expect(() => createLocalOpenAIApp({ timeToFirstTokenMs: Number.NaN })).toThrow(
      /timeToFirstTokenMs/,
    );
    expect(() => createLocalOpenAIApp({ tokenDelayMs: -1 })).toThrow(SettingsValidationError);
  });

  it("records requests (body parsed, no credentials) and counts completions and tokens", async () => {
    const app = createLocalOpenAIApp();
    await app
      .request("/v1/chat/completions", {
        method: "POST",
        headers: { authorization: "Bearer sk-abc", "x-custom": "1" },
        body: JSON.stringify({ model: SCRIPTED_MODEL_ID, messages: userMessage(), stream: true }),
      })
      .then((r) => r.text());
    const [recorded] = app.requests();
    expect(recorded).toMatchObject({
      method: "POST",
      operation: "chat",
      path: "/v1/chat/completions",
      body: { model: SCRIPTED_MODEL_ID, stream: true },
      status: 200,
    });
    expect(recorded?.headers["x-custom"]).toBe("1");
    expect(recorded?.headers.authorization).toBeUndefined();
    const stats = app.stats();
    expect(stats).toMatchObject({
      requests: 1,
      completions: 1,
      streamed: 1,
      streamsCut: 0,
      byStatus: { "200": 1 },
    });
    expect(stats.completionTokens).toBeGreaterThan(10);
    app.clearRequests();
    expect(app.requests()).toEqual([]);
  });

  it("a closing twin ends open streams and refuses new requests with 503", async () => {
    const app = createLocalOpenAIApp({ tokenDelayMs: 1000 });
    const res = await app.request("/v1/chat/completions", {
      method: "POST",
      body: JSON.stringify({ model: SCRIPTED_MODEL_ID, messages: userMessage(), stream: true }),
    });
    const text = res.text();
    await app.close();
    expect(await text).not.toContain("[DONE]");
    expect(app.stats().streamsCut).toBe(1);
    const refused = await app.request("/v1/models");
    expect(refused.status).toBe(503);
  });
});
