// Conformance: the official `openai` npm client (6.49.0), unmodified, against the local OpenAI
// twin on 127.0.0.1: streaming and whole completions, models, error mapping, max_tokens, retries
// on injected faults, a broken stream.
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import {
  type LocalOpenAIServer,
  type LocalOpenAIServerOptions,
  startLocalOpenAIServer,
} from "../../../src/local/openai/index.js";

const KEY = "sk-twin-test-key";
const PROMPT =
  "Describe a nature photograph suitable for use in a calendar, for the month of February. Include only the image description with no preamble. Limit the description to one sentence, please.";

const servers: LocalOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: LocalOpenAIServerOptions = {}): Promise<LocalOpenAIServer> {
  const server = await startLocalOpenAIServer({ requiredKey: KEY, ...options });
  servers.push(server);
  return server;
}

function client(server: LocalOpenAIServer, options: { maxRetries?: number; apiKey?: string } = {}) {
  return new OpenAI({
    apiKey: options.apiKey ?? KEY,
    baseURL: server.baseUrl,
    maxRetries: options.maxRetries ?? 0,
  });
}

describe("the official openai client against the twin", () => {
  it("streams a chat completion, with usage", async () => {
    const server = await start({ tokenDelayMs: 1 });
    const stream = await client(server).chat.completions.create({
      model: "gpt-4.1",
      messages: [{ role: "user", content: PROMPT }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null | undefined;
    let count = 0;
    for await (const chunk of stream) {
      count += 1;
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
      expect(chunk.model).toBe("pipecat-ts-scripted-llm");
    }
    expect(count).toBeGreaterThan(10);
    expect(finish).toBe("stop");
    expect(text).toMatch(/^[A-Z][^.]*\.$/);
    expect(usage?.completion_tokens).toBe(count - 3);
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
  });

  it("answers a whole completion, and its text is the streamed text for the same request", async () => {
    const server = await start();
    const openai = client(server);
    const request = {
      model: "pipecat-ts-scripted-llm",
      messages: [{ role: "user" as const, content: PROMPT }],
      seed: 3,
    };
    const whole = await openai.chat.completions.create(request);
    expect(whole.object).toBe("chat.completion");
    expect(whole.choices[0]?.finish_reason).toBe("stop");
    expect(whole.system_fingerprint).toMatch(/pipecat_ts_scripted/);
    let streamed = "";
    for await (const chunk of await openai.chat.completions.create({ ...request, stream: true }))
      streamed += chunk.choices[0]?.delta.content ?? "";
    expect(whole.choices[0]?.message.content).toBe(streamed);
    expect(whole.usage?.completion_tokens).toBeGreaterThan(10);
  });

  it("honours max_tokens: the reply stops with finish_reason length", async () => {
    const server = await start();
    const whole = await client(server).chat.completions.create({
      model: "gpt-4.1",
      messages: [{ role: "user", content: PROMPT }],
      max_tokens: 3,
    });
    expect(whole.choices[0]?.finish_reason).toBe("length");
    expect(whole.usage?.completion_tokens).toBe(3);
    expect((whole.choices[0]?.message.content ?? "").split(" ").length).toBeLessThanOrEqual(3);
  });

  it("lists and retrieves models", async () => {
    const server = await start();
    const openai = client(server);
    const ids: string[] = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).toEqual(["pipecat-ts-scripted-llm"]);
    expect((await openai.models.retrieve("pipecat-ts-scripted-llm")).owned_by).toMatch(/twin/);
  });

  it("maps the twin's errors to the client's APIError subclasses, with status, message, code and param", async () => {
    const server = await start();
    const openai = client(server);
    const failure = async (promise: Promise<unknown>) => {
      try {
        await promise;
      } catch (error) {
        return error as InstanceType<typeof OpenAI.APIError>;
      }
      throw new Error("expected a failure");
    };
    const auth = await failure(client(server, { apiKey: "sk-wrong" }).models.list());
    expect(auth).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(auth.status).toBe(401);
    expect(auth.code).toBe("invalid_api_key");

    const notFound = await failure(
      openai.chat.completions.create({
        model: "gpt-9",
        messages: [{ role: "user", content: "x" }],
      }),
    );
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    expect(notFound.message).toBe(
      "404 The model `gpt-9` does not exist or you do not have access to it.",
    );
    expect(notFound.code).toBe("model_not_found");

    const bad = await failure(
      openai.chat.completions.create({
        model: "gpt-4.1",
        messages: [{ role: "user", content: "x" }],
        temperature: 3,
      }),
    );
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.param).toBe("temperature");
    expect(bad.status).toBe(400);

    const many = await failure(
      openai.chat.completions.create({
        model: "gpt-4.1",
        messages: [{ role: "user", content: "x" }],
        n: 2,
      }),
    );
    expect(many).toBeInstanceOf(OpenAI.BadRequestError);
    expect(many.param).toBe("n");
  });

  it("the client's own retries get through an injected 429 (Retry-After 0), and x-should-retry: false stops them", async () => {
    const server = await start({
      faults: [{ operation: "chat", status: 429, headers: { "retry-after": "0" }, times: 1 }],
    });
    const openai = client(server, { maxRetries: 2 });
    const whole = await openai.chat.completions.create({
      model: "gpt-4.1",
      messages: [{ role: "user", content: PROMPT }],
    });
    expect(whole.choices[0]?.message.content).toMatch(/\.$/);
    expect(server.stats().byStatus).toMatchObject({ "429": 1, "200": 1 });

    server.setFaults([
      { operation: "chat", status: 503, headers: { "x-should-retry": "false" }, times: 5 },
    ]);
    await expect(
      openai.chat.completions.create({
        model: "gpt-4.1",
        messages: [{ role: "user", content: PROMPT }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    expect(server.stats().byStatus["503"]).toBe(1);
  });

  it("a stream broken mid-way makes the client throw after the text it got", async () => {
    const server = await start({ faults: [{ operation: "chat", truncateBody: true }] });
    const stream = await client(server).chat.completions.create({
      model: "gpt-4.1",
      messages: [{ role: "user", content: PROMPT }],
      stream: true,
    });
    let text = "";
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      })(),
    ).rejects.toThrow();
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toMatch(/\.$/);
  });
});
