// ChatCompletionsClient on its own: how long it waits between attempts (Retry-After,
// retry-after-ms, backoff), and the request body builder.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LLMContext } from "../../../src/frames/llm.js";
import type { LLMStreamPart } from "../../../src/services/llm-service.js";
import {
  ChatCompletionsClient,
  OPENAI_RETRY_POLICY,
  buildChatCompletionBody,
} from "../../../src/services/openai/chat-completions.js";
import { OpenAIApiError } from "../../../src/services/openai/errors.js";
import { OpenAILLMSettings } from "../../../src/services/openai/settings.js";
import {
  type FakeOpenAI,
  type FakeOpenAIReply,
  openAIError,
  openAIStream,
  startFakeOpenAI,
} from "../../helpers/fake-openai.js";

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());
afterEach(() => {
  fake.requests.length = 0;
});

function client(waits: number[]): ChatCompletionsClient {
  return new ChatCompletionsClient({
    apiKey: () => "sk-x",
    baseUrl: `${fake.url}/v1`,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
}

async function drain(parts: AsyncIterable<LLMStreamPart>): Promise<LLMStreamPart[]> {
  const out: LLMStreamPart[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

const BODY = { model: "m", stream: true, messages: [] };

describe("retries", () => {
  it("waits what retry-after-ms says, else Retry-After, else the backoff", async () => {
    const replies: FakeOpenAIReply[] = [
      { status: 429, json: openAIError("a", "requests"), headers: { "retry-after-ms": "1234" } },
      { status: 503, json: openAIError("b", "server_error"), headers: { "retry-after": "2" } },
      { stream: openAIStream(["ok"]) },
    ];
    fake.respond((_req, index) => replies[index] ?? { stream: [] });
    const waits: number[] = [];
    const parts = await drain(client(waits).stream(BODY, { signal: new AbortController().signal }));
    expect(waits).toEqual([1234, 2000]);
    expect(parts.filter((p) => p.type === "text-delta")).toEqual([
      { type: "text-delta", text: "ok" },
    ]);

    fake.requests.length = 0;
    fake.respond((_req, index) =>
      index < 2
        ? { status: 500, json: openAIError("c", "server_error") }
        : { stream: openAIStream(["ok"]) },
    );
    const backoff: number[] = [];
    await drain(client(backoff).stream(BODY, { signal: new AbortController().signal }));
    // 0.5 s then 1 s, each jittered by ±25 %.
    expect(backoff).toHaveLength(2);
    expect(backoff[0]).toBeGreaterThanOrEqual(375);
    expect(backoff[0]).toBeLessThan(625);
    expect(backoff[1]).toBeGreaterThanOrEqual(750);
    expect(backoff[1]).toBeLessThan(1250);
  });

  it("gives up at once when the server asks for a wait longer than the policy accepts", async () => {
    fake.respond(() => ({
      status: 429,
      json: openAIError("later", "requests"),
      headers: { "retry-after": String(OPENAI_RETRY_POLICY.maxRetryAfterMs / 1000 + 1) },
    }));
    const waits: number[] = [];
    await expect(
      drain(client(waits).stream(BODY, { signal: new AbortController().signal })),
    ).rejects.toBeInstanceOf(OpenAIApiError);
    expect(waits).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it("never retries a 4xx other than 429, nor after the caller aborted", async () => {
    for (const status of [400, 401, 403, 404, 408, 409, 422]) {
      fake.requests.length = 0;
      fake.respond(() => ({ status, json: openAIError("no", "invalid_request_error") }));
      await expect(
        drain(client([]).stream(BODY, { signal: new AbortController().signal })),
      ).rejects.toMatchObject({ status });
      expect(fake.requests).toHaveLength(1);
    }
    fake.requests.length = 0;
    fake.respond(() => ({ status: 503, json: openAIError("busy", "server_error") }));
    const controller = new AbortController();
    const waits: number[] = [];
    const abortingClient = new ChatCompletionsClient({
      apiKey: () => undefined,
      baseUrl: `${fake.url}/v1`,
      sleep: async (ms) => {
        waits.push(ms);
        controller.abort(new Error("stop"));
        throw controller.signal.reason;
      },
    });
    await expect(drain(abortingClient.stream(BODY, { signal: controller.signal }))).rejects.toThrow(
      "stop",
    );
    expect(fake.requests).toHaveLength(1);
  });
});

describe("buildChatCompletionBody", () => {
  it("leaves out what is null, puts the system instruction first, and lets extra win", () => {
    const settings = OpenAILLMSettings.defaults();
    settings.applyUpdate(
      new OpenAILLMSettings({
        systemInstruction: "Be kind.",
        seed: 0,
        extra: { model: "override" },
      }),
    );
    const context = new LLMContext([{ role: "user", content: "hi" }], { tools: [] });
    expect(buildChatCompletionBody(context, settings)).toEqual({
      model: "override",
      stream: true,
      stream_options: { include_usage: true },
      seed: 0,
      messages: [
        { role: "system", content: "Be kind." },
        { role: "user", content: "hi" },
      ],
    });
    // The context is not changed by the system instruction.
    expect(context.getMessages()).toEqual([{ role: "user", content: "hi" }]);
  });
});
