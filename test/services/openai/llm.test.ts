// OpenAILLMService against a scripted fake of OpenAI on 127.0.0.1: the wire (body and headers),
// the frames, SSE edge cases, errors and retries, interruption, settings updates and metrics.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Frame } from "../../../src/frames/base.js";
import { ErrorFrame } from "../../../src/frames/error.js";
import { EndFrame, InterruptionFrame } from "../../../src/frames/lifecycle.js";
import {
  LLMContext,
  LLMContextFrame,
  LLMFullResponseEndFrame,
  LLMFullResponseStartFrame,
  LLMMessagesAppendFrame,
  LLMMessagesUpdateFrame,
  LLMRunFrame,
} from "../../../src/frames/llm.js";
import { MetricsFrame, type MetricsData } from "../../../src/frames/metrics.js";
import { LLMUpdateSettingsFrame } from "../../../src/frames/settings.js";
import { LLMTextFrame, TextFrame } from "../../../src/frames/text.js";
import { Pipeline } from "../../../src/pipeline/pipeline.js";
import { PipelineTask } from "../../../src/pipeline/task.js";
import { FrameDirection } from "../../../src/processors/direction.js";
import {
  OpenAIApiError,
  OpenAINetworkError,
  OpenAIResponseError,
  OpenAITimeoutError,
} from "../../../src/services/openai/errors.js";
import {
  OpenAILLMService,
  type OpenAILLMServiceOptions,
} from "../../../src/services/openai/llm.js";
import { SettingsValidationError } from "../../../src/utils/errors.js";
import { type Logger, setLogger } from "../../../src/utils/logger.js";
import {
  type FakeOpenAI,
  openAIError,
  openAIStream,
  startFakeOpenAI,
} from "../../helpers/fake-openai.js";
import { RecorderProcessor, runTest } from "../../helpers/run-test.js";

const KEY = "sk-test-0123456789abcdef";
const PROMPT =
  "Describe a nature photograph suitable for use in a calendar, for the month of March.";

let fake: FakeOpenAI;
const logged: string[] = [];
let previousLogger: Logger;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  const record = (...args: unknown[]): void => {
    logged.push(args.map(String).join(" "));
  };
  previousLogger = setLogger({ debug: record, info: record, warn: record, error: record });
});
afterAll(async () => {
  setLogger(previousLogger);
  await fake.close();
});
afterEach(() => {
  fake.requests.length = 0;
  fake.respond(() => ({ stream: openAIStream(["Hello", " world", "."]) }));
  logged.length = 0;
});

function service(options: OpenAILLMServiceOptions = {}): OpenAILLMService {
  return new OpenAILLMService({
    apiKey: KEY,
    baseUrl: `${fake.url}/v1`,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    ...options,
  });
}

function contextFrame(text = PROMPT): LLMContextFrame {
  return new LLMContextFrame(new LLMContext([{ role: "user", content: text }]));
}

const texts = (frames: Frame[]): string[] =>
  frames.filter((f): f is LLMTextFrame => f instanceof LLMTextFrame).map((f) => f.text);
const errors = (frames: Frame[]): ErrorFrame[] =>
  frames.filter((f): f is ErrorFrame => f instanceof ErrorFrame);
const names = (frames: Frame[]): string[] => frames.map((f) => f.constructor.name);
const metrics = (frames: Frame[]): MetricsData[] =>
  frames.filter((f): f is MetricsFrame => f instanceof MetricsFrame).flatMap((f) => f.data);

/** A running pipeline [up recorder, service, down recorder] driven step by step. */
async function startPipeline(processor: OpenAILLMService, params = {}) {
  const up = new RecorderProcessor(FrameDirection.UPSTREAM, "Up");
  const down = new RecorderProcessor(FrameDirection.DOWNSTREAM, "Down");
  const task = new PipelineTask(new Pipeline([up, processor, down]), { params });
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  task.on("pipelineStarted", () => started());
  const running = task.run();
  await Promise.race([ready, running]);
  return {
    up: up.frames,
    down: down.frames,
    send: (frame: Frame) => task.queueFrame(frame),
    async end(): Promise<void> {
      await task.queueFrame(new EndFrame());
      await running;
    },
  };
}

describe("the request", () => {
  it("sends Pipecat's body and OpenAI's headers to {baseUrl}/chat/completions", async () => {
    await runTest(service(), { framesToSend: [contextFrame()] });
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/v1/chat/completions");
    expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.headers.accept).toBe("text/event-stream");
    expect(request?.body).toEqual({
      model: "gpt-4.1",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: PROMPT }],
    });
  });

  it("sends each optional parameter only when set, tools when the context has them, and extra last", async () => {
    const settings = new OpenAILLMService.Settings({
      model: "gpt-4o-mini",
      temperature: 0.7,
      topP: 0.9,
      maxTokens: 50,
      maxCompletionTokens: 60,
      seed: 42,
      frequencyPenalty: -0.5,
      presencePenalty: 1.5,
      serviceTier: "flex",
      systemInstruction: "Be brief.",
      extra: { temperature: 0.1, reasoning_effort: "low" },
    });
    const tools = [{ type: "function", function: { name: "get_weather", parameters: {} } }];
    const context = new LLMContext([{ role: "user", content: "hi" }], {
      tools,
      toolChoice: "auto",
    });
    await runTest(service({ settings, organization: "org-1", project: "proj-1" }), {
      framesToSend: [new LLMContextFrame(context)],
    });
    const [request] = fake.requests;
    expect(request?.body).toEqual({
      model: "gpt-4o-mini",
      stream: true,
      stream_options: { include_usage: true },
      frequency_penalty: -0.5,
      presence_penalty: 1.5,
      seed: 42,
      temperature: 0.1,
      top_p: 0.9,
      max_tokens: 50,
      max_completion_tokens: 60,
      service_tier: "flex",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hi" },
      ],
      tools,
      tool_choice: "auto",
      reasoning_effort: "low",
    });
    // Pipecat's order: the parameters, then the context's, then extra.
    expect(Object.keys(request?.body as object).slice(-4)).toEqual([
      "messages",
      "tools",
      "tool_choice",
      "reasoning_effort",
    ]);
    expect(request?.headers["openai-organization"]).toBe("org-1");
    expect(request?.headers["openai-project"]).toBe("proj-1");
  });

  it("takes the key from OPENAI_API_KEY and the server from OPENAI_BASE_URL", async () => {
    const saved = { key: process.env.OPENAI_API_KEY, base: process.env.OPENAI_BASE_URL };
    process.env.OPENAI_API_KEY = "sk-from-env-0000";
    process.env.OPENAI_BASE_URL = `${fake.url}/v1/`;
    try {
      const llm = new OpenAILLMService({ retry: { maxRetries: 0 } });
      expect(llm.baseUrl).toBe(`${fake.url}/v1`);
      await runTest(llm, { framesToSend: [contextFrame()] });
      expect(fake.requests[0]?.headers.authorization).toBe("Bearer sk-from-env-0000");
      delete process.env.OPENAI_BASE_URL;
      expect(new OpenAILLMService().baseUrl).toBe("https://api.openai.com/v1");
    } finally {
      if (saved.key === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = saved.key;
      if (saved.base === undefined) delete process.env.OPENAI_BASE_URL;
      else process.env.OPENAI_BASE_URL = saved.base;
    }
  });

  it("sends no Authorization header without a key (local OpenAI-compatible servers need none)", async () => {
    const saved = process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_API_KEY;
    try {
      await runTest(service({ apiKey: "" }), { framesToSend: [contextFrame()] });
      expect(fake.requests[0]?.headers.authorization).toBeUndefined();
    } finally {
      if (saved !== undefined) process.env.OPENAI_API_KEY = saved;
    }
  });
});

describe("frames", () => {
  it("brackets one LLMTextFrame per content delta with LLMFullResponseStart/EndFrame", async () => {
    fake.respond(() => ({ stream: openAIStream(["Frost", "ed", " pines", " at", " dawn", "."]) }));
    const { down, up } = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(names(down)).toEqual([
      "LLMFullResponseStartFrame",
      ...Array(6).fill("LLMTextFrame"),
      "LLMFullResponseEndFrame",
    ]);
    expect(texts(down)).toEqual(["Frost", "ed", " pines", " at", " dawn", "."]);
    expect(down[1]).toBeInstanceOf(TextFrame);
    expect(up).toEqual([]);
  });

  it("answers each LLMContextFrame in order", async () => {
    fake.respond((req) => {
      const messages = (req.body as { messages: { content: string }[] }).messages;
      return { stream: openAIStream([`re: ${messages[0]?.content}`]) };
    });
    const { down } = await runTest(service(), {
      framesToSend: [contextFrame("one"), contextFrame("two"), contextFrame("three")],
    });
    expect(texts(down)).toEqual(["re: one", "re: two", "re: three"]);
    expect(down.filter((f) => f instanceof LLMFullResponseEndFrame)).toHaveLength(3);
  });

  it("appends to, replaces and runs the context it holds", async () => {
    fake.respond((req) => ({
      stream: openAIStream([String((req.body as { messages: unknown[] }).messages.length)]),
    }));
    const context = new LLMContext([{ role: "system", content: "s" }]);
    const llm = service({ context });
    const { down } = await runTest(llm, {
      framesToSend: [
        new LLMMessagesAppendFrame([{ role: "user", content: "a" }]),
        new LLMRunFrame(),
        new LLMMessagesAppendFrame([{ role: "user", content: "b" }], true),
        new LLMMessagesUpdateFrame([{ role: "user", content: "only" }], true),
      ],
    });
    expect(texts(down)).toEqual(["2", "3", "1"]);
    expect(llm.context).toBe(context);
    expect(context.getMessages()).toEqual([{ role: "user", content: "only" }]);
  });

  it("reports TTFB, processing time and token usage when metrics are enabled", async () => {
    const { down } = await runTest(service(), {
      framesToSend: [contextFrame()],
      includeMetricsFrames: true,
      taskOptions: { params: { enableMetrics: true, sendInitialEmptyMetrics: false } },
    });
    const data = metrics(down);
    expect(data.map((d) => d.type).sort()).toEqual(["llm_usage", "processing", "ttfb"]);
    const usage = data.find((d) => d.type === "llm_usage");
    expect(usage).toMatchObject({
      processor: expect.stringMatching(/^OpenAILLMService/),
      model: "gpt-4.1",
      value: {
        promptTokens: 12,
        completionTokens: 3,
        totalTokens: 15,
        cacheReadInputTokens: 2,
        reasoningTokens: 0,
      },
    });
    const ttfb = data.find((d) => d.type === "ttfb");
    expect(ttfb?.value).toBeGreaterThanOrEqual(0);
    // Usage comes before the end of the response, as in Pipecat.
    const endIndex = down.findIndex((f) => f instanceof LLMFullResponseEndFrame);
    const usageIndex = down.findIndex(
      (f) => f instanceof MetricsFrame && f.data.some((d) => d.type === "llm_usage"),
    );
    expect(usageIndex).toBeLessThan(endIndex);
  });

  it("reports usage with enableUsageMetrics alone, and no metrics at all by default", async () => {
    const usageOnly = await runTest(service(), {
      framesToSend: [contextFrame()],
      includeMetricsFrames: true,
      taskOptions: { params: { enableUsageMetrics: true } },
    });
    expect(metrics(usageOnly.down).map((d) => d.type)).toEqual(["llm_usage"]);
    const none = await runTest(service(), {
      framesToSend: [contextFrame()],
      includeMetricsFrames: true,
    });
    expect(metrics(none.down)).toEqual([]);
  });

  it("records the model the server says answered", async () => {
    const llm = service();
    await runTest(llm, { framesToSend: [contextFrame()] });
    expect(llm.fullModelName).toBe("gpt-4.1-2025-04-14");
  });

  it("runInference returns the whole reply outside a pipeline", async () => {
    fake.respond(() => ({ stream: openAIStream(["A", " calm", " lake."]) }));
    expect(await service().runInference(new LLMContext([{ role: "user", content: "x" }]))).toBe(
      "A calm lake.",
    );
  });

  it("ignores tool calls (not supported yet) with one warning, and still closes the response", async () => {
    const toolChunk = (args: string, first: boolean) =>
      `data: ${JSON.stringify({
        id: "c",
        model: "m",
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                {
                  index: 0,
                  ...(first ? { id: "call_1", type: "function" } : {}),
                  function: { ...(first ? { name: "get_weather" } : {}), arguments: args },
                },
              ],
            },
            finish_reason: null,
          },
        ],
      })}\n\n`;
    fake.respond(() => ({
      stream: [
        toolChunk('{"ci', true),
        toolChunk('ty":"Oslo"}', false),
        `data: ${JSON.stringify({ id: "c", choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] })}\n\n`,
        "data: [DONE]\n\n",
      ],
    }));
    const { down, up } = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(names(down)).toEqual(["LLMFullResponseStartFrame", "LLMFullResponseEndFrame"]);
    expect(up).toEqual([]);
    expect(logged.filter((l) => l.includes("function calling is not supported"))).toHaveLength(1);
    expect(logged.some((l) => l.includes("get_weather"))).toBe(true);
  });
});

describe("SSE edge cases", () => {
  it("reads CRLF line endings, comments, keep-alives, multi-line data and chunks cut anywhere (UTF-8 included)", async () => {
    const model = "gpt-4.1-2025-04-14";
    const multiLine = `data: {"id":"c","model":"${model}",\ndata: "choices":[{"index":0,"delta":{"content":" — 雪"},"finish_reason":null}]}\n\n`;
    const crlf = openAIStream(["Snow", "-capped", " peaks"]).map((e) => e.replace(/\n/g, "\r\n"));
    const bytes = new TextEncoder().encode(
      `${crlf.slice(0, 3).join("")}: keep-alive\r\n\r\n${multiLine}`,
    );
    // The first part goes out one byte at a time (every line ending and UTF-8 sequence cut), each
    // byte in its own write a moment apart; the rest whole.
    const stream = [
      ": OPENROUTER PROCESSING\n\n",
      ...Array.from(bytes, (_b, i) => [
        bytes.subarray(i, i + 1),
        { delayMs: i % 16 === 0 ? 1 : 0 },
      ]).flat(),
      ...crlf.slice(3),
    ];
    fake.respond(() => ({ stream }));
    const { down, up } = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(up).toEqual([]);
    expect(texts(down)).toEqual(["Snow", "-capped", " — 雪", " peaks"]);
  });

  it("finishes at [DONE] without waiting for the server to close, and lets the connection go", async () => {
    fake.respond(() => ({ stream: [...openAIStream(["Done", "."]), { hang: true }] }));
    const { down, up } = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(up).toEqual([]);
    expect(texts(down)).toEqual(["Done", "."]);
    expect(down.at(-1)).toBeInstanceOf(LLMFullResponseEndFrame);
    expect(await fake.requests[0]?.closed).toBe(true);
  });

  it("ignores what a server sends after [DONE]", async () => {
    const after = openAIStream(["late"]).slice(1, 2);
    fake.respond(() => ({ stream: [...openAIStream(["on time"]), ...after] }));
    const { down } = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(texts(down)).toEqual(["on time"]);
  });

  it("accepts a stream that ends after its finish_reason without [DONE]", async () => {
    fake.respond(() => ({ stream: openAIStream(["ok"]).slice(0, -1) }));
    const { down, up } = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(up).toEqual([]);
    expect(texts(down)).toEqual(["ok"]);
  });

  it("reports a stream that ends before the reply is complete", async () => {
    fake.respond(() => ({ stream: openAIStream(["cut"]).slice(0, 2) }));
    const { down, up } = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(texts(down)).toEqual(["cut"]);
    expect(errors(up)[0]?.cause).toBeInstanceOf(OpenAIResponseError);
    expect(errors(up)[0]?.error).toMatch(/ended before the reply was complete/);
    expect(down.at(-1)).toBeInstanceOf(LLMFullResponseEndFrame);
  });

  it("says so when a server answers JSON instead of a stream", async () => {
    fake.respond(() => ({ json: { object: "chat.completion", choices: [] } }));
    const { up } = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(errors(up)[0]?.cause).toBeInstanceOf(OpenAIResponseError);
    expect(errors(up)[0]?.error).toMatch(/with JSON, not an event stream/);
    fake.respond(() => ({ json: openAIError("Proxy says no.", "invalid_request_error") }));
    const proxied = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(errors(proxied.up)[0]?.cause).toBeInstanceOf(OpenAIApiError);
    expect(errors(proxied.up)[0]?.error).toMatch(/Proxy says no/);
  });

  it("reports an event that is not JSON as a server error", async () => {
    fake.respond(() => ({ stream: ["data: {not json\n\n"] }));
    const { up } = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(errors(up)[0]?.error).toMatch(/not JSON/);
    expect(errors(up)[0]?.category).toBe("server");
    expect(fake.requests).toHaveLength(1);
  });

  it("quotes a bad event without the key it echoes", async () => {
    fake.respond(() => ({ stream: [`data: echo Bearer ${KEY}\n\n`] }));
    const { up } = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(errors(up)[0]?.error).toMatch(/not JSON: echo Bearer \[REDACTED\]/);
    expect(errors(up)[0]?.error).not.toContain(KEY);
  });
});

describe("errors become upstream ErrorFrames and the pipeline keeps running", () => {
  it.each([
    [
      401,
      openAIError("Incorrect API key provided.", "invalid_request_error", {
        code: "invalid_api_key",
      }),
      "authentication",
    ],
    [
      400,
      openAIError("Invalid value for 'temperature'.", "invalid_request_error", {
        param: "temperature",
        code: "invalid_value",
      }),
      "validation",
    ],
    [
      404,
      openAIError("The model `gpt-9` does not exist.", "invalid_request_error", {
        code: "model_not_found",
      }),
      "validation",
    ],
    [403, openAIError("Not allowed.", "permission_error"), "authorization"],
  ] as const)(
    "HTTP %i in OpenAI's shape: typed, categorised, never retried",
    async (status, body, category) => {
      let calls = 0;
      fake.respond(() =>
        ++calls === 1
          ? { status, json: body, headers: { "x-request-id": "req_abc" } }
          : { stream: openAIStream(["recovered"]) },
      );
      const { down, up } = await runTest(service(), {
        framesToSend: [contextFrame("bad"), contextFrame("good")],
      });
      expect(fake.requests).toHaveLength(2);
      const [error] = errors(up);
      expect(errors(up)).toHaveLength(1);
      expect(error?.category).toBe(category);
      const cause = error?.cause as OpenAIApiError;
      expect(cause).toBeInstanceOf(OpenAIApiError);
      expect(cause.status).toBe(status);
      expect(cause.type).toBe(body.error.type);
      expect(cause.errorCode).toBe(body.error.code ?? undefined);
      expect(cause.param).toBe(body.error.param ?? undefined);
      expect(cause.requestId).toBe("req_abc");
      expect(error?.error).toContain(`HTTP ${status}`);
      expect(error?.error).toContain(body.error.message as string);
      expect(texts(down)).toEqual(["recovered"]);
      expect(down.filter((f) => f instanceof LLMFullResponseEndFrame)).toHaveLength(2);
    },
  );

  it("retries 429 honouring Retry-After, then succeeds", async () => {
    let calls = 0;
    fake.respond(() =>
      ++calls === 1
        ? {
            status: 429,
            json: openAIError("Rate limit reached.", "requests", { code: "rate_limit_exceeded" }),
            headers: { "retry-after": "0" },
          }
        : { stream: openAIStream(["after", " waiting"]) },
    );
    const { down, up } = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(fake.requests).toHaveLength(2);
    expect(up).toEqual([]);
    expect(texts(down)).toEqual(["after", " waiting"]);
    expect(names(down).filter((n) => n === "LLMFullResponseStartFrame")).toHaveLength(1);
  });

  it("retries 5xx up to the limit, then reports a server error", async () => {
    fake.respond(() => ({ status: 503, json: openAIError("Overloaded.", "server_error") }));
    const { up } = await runTest(service({ retry: { maxRetries: 2, baseDelayMs: 1 } }), {
      framesToSend: [contextFrame()],
    });
    expect(fake.requests).toHaveLength(3);
    expect(errors(up)[0]?.category).toBe("server");
  });

  it("does not retry when the server says x-should-retry: false, nor an exhausted quota", async () => {
    fake.respond(() => ({
      status: 500,
      json: openAIError("Injected.", "server_error"),
      headers: { "x-should-retry": "false" },
    }));
    await runTest(service(), { framesToSend: [contextFrame()] });
    expect(fake.requests).toHaveLength(1);
    fake.requests.length = 0;
    fake.respond(() => ({
      status: 429,
      json: openAIError("You exceeded your current quota.", "insufficient_quota", {
        code: "insufficient_quota",
      }),
    }));
    const { up } = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(fake.requests).toHaveLength(1);
    expect(errors(up)[0]?.category).toBe("quota");
  });

  it("reads a body that is not OpenAI's shape (a gateway's text)", async () => {
    fake.respond(() => ({ status: 502, text: "<html>Bad Gateway</html>" }));
    const { up } = await runTest(service({ retry: { maxRetries: 0 } }), {
      framesToSend: [contextFrame()],
    });
    expect(errors(up)[0]?.error).toMatch(/HTTP 502: <html>Bad Gateway<\/html>/);
  });

  it("turns an error sent inside the stream into an ErrorFrame, keeping the text already pushed (no retry after output)", async () => {
    fake.respond(() => ({
      stream: [
        ...openAIStream(["Partial", " reply"]).slice(0, 3),
        `data: ${JSON.stringify(openAIError("The server had an error.", "server_error"))}\n\n`,
      ],
    }));
    const { down, up } = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(fake.requests).toHaveLength(1);
    expect(texts(down)).toEqual(["Partial", " reply"]);
    const cause = errors(up)[0]?.cause as OpenAIApiError;
    expect(cause).toBeInstanceOf(OpenAIApiError);
    expect(cause.status).toBeUndefined();
    expect(cause.type).toBe("server_error");
    expect(errors(up)[0]?.category).toBe("server");
    expect(down.at(-1)).toBeInstanceOf(LLMFullResponseEndFrame);
  });

  it("retries an error sent inside the stream before any text", async () => {
    let calls = 0;
    fake.respond(() =>
      ++calls === 1
        ? { stream: [`data: ${JSON.stringify(openAIError("Overloaded.", "server_error"))}\n\n`] }
        : { stream: openAIStream(["second try"]) },
    );
    const { down, up } = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(fake.requests).toHaveLength(2);
    expect(up).toEqual([]);
    expect(texts(down)).toEqual(["second try"]);
  });

  it("retries a connection reset before any text, but not one after text went out", async () => {
    let calls = 0;
    fake.respond(() => (++calls === 1 ? { reset: true } : { stream: openAIStream(["fine"]) }));
    const first = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(fake.requests).toHaveLength(2);
    expect(texts(first.down)).toEqual(["fine"]);
    expect(first.up).toEqual([]);

    fake.requests.length = 0;
    fake.respond(() => ({
      stream: [...openAIStream(["half", " a"]).slice(0, 3), { delayMs: 20 }, { reset: true }],
    }));
    const second = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(fake.requests).toHaveLength(1);
    expect(texts(second.down)).toEqual(["half", " a"]);
    expect(errors(second.up)[0]?.cause).toBeInstanceOf(OpenAINetworkError);
    expect(errors(second.up)[0]?.category).toBe("network");
  });

  it("a server that hangs before answering or mid-stream times out (retried before any text)", async () => {
    fake.respond(() => ({ stream: [{ hang: true }] }));
    const { up } = await runTest(
      service({ timeoutMs: 100, retry: { maxRetries: 1, baseDelayMs: 1 } }),
      {
        framesToSend: [contextFrame()],
      },
    );
    expect(fake.requests).toHaveLength(2);
    expect(errors(up)[0]?.cause).toBeInstanceOf(OpenAITimeoutError);
    expect(errors(up)[0]?.category).toBe("timeout");

    fake.requests.length = 0;
    fake.respond(() => ({ stream: [...openAIStream(["stalled"]).slice(0, 2), { hang: true }] }));
    const stalled = await runTest(service({ timeoutMs: 100 }), { framesToSend: [contextFrame()] });
    expect(fake.requests).toHaveLength(1);
    expect(texts(stalled.down)).toEqual(["stalled"]);
    expect(errors(stalled.up)[0]?.cause).toBeInstanceOf(OpenAITimeoutError);
  });

  it("keep-alive comments keep a slow stream within its deadline", async () => {
    fake.respond(() => ({
      stream: [
        ...openAIStream(["slow"]).slice(0, 2),
        // 8 × 60 ms of silence but for comments: longer than the deadline in all, never in one gap.
        ...Array.from({ length: 8 }, () => [{ delayMs: 60 }, ": keep-alive\n\n"]).flat(),
        ...openAIStream(["slow"]).slice(2),
      ],
    }));
    const { down, up } = await runTest(service({ timeoutMs: 300 }), {
      framesToSend: [contextFrame()],
    });
    expect(up).toEqual([]);
    expect(texts(down)).toEqual(["slow"]);
  });

  it("nothing listening becomes a network ErrorFrame", async () => {
    const { up } = await runTest(
      service({ baseUrl: "http://127.0.0.1:1/v1", retry: { maxRetries: 0 } }),
      { framesToSend: [contextFrame()] },
    );
    expect(errors(up)[0]?.category).toBe("network");
    expect(errors(up)[0]?.cause).toBeInstanceOf(OpenAINetworkError);
  });

  it("never lets the key reach an ErrorFrame or a log line, even when the server echoes it", async () => {
    fake.respond(() => ({
      status: 401,
      json: openAIError(`Incorrect API key provided: ${KEY}.`, "invalid_request_error", {
        code: "invalid_api_key",
        param: KEY,
      }),
    }));
    const { up } = await runTest(service(), { framesToSend: [contextFrame()] });
    const [error] = errors(up);
    expect(error?.error).toContain("[REDACTED]");
    const seen = [error?.error, String(error?.cause), JSON.stringify(error?.cause), ...logged].join(
      "\n",
    );
    expect(seen).not.toContain(KEY);
  });
});

describe("interruption", () => {
  it("aborts a request that is waiting on a silent server: its signal reaches fetch", async () => {
    fake.respond(() => ({ stream: [...openAIStream(["a", "b"]).slice(0, 3), { hang: true }] }));
    const pipeline = await startPipeline(service());
    await pipeline.send(contextFrame());
    await expect.poll(() => texts(pipeline.down).length, { timeout: 5000 }).toBe(2);
    await pipeline.send(new InterruptionFrame());
    expect(await fake.requests[0]?.closed).toBe(true);
    await pipeline.end();
    expect(errors(pipeline.up)).toEqual([]);
    expect(pipeline.down.some((f) => f instanceof LLMFullResponseEndFrame)).toBe(false);
  });

  it("aborts the HTTP request at once: the server sees the socket close and no more text is pushed", async () => {
    const chunk = openAIStream(["more"])[1] as string;
    fake.respond(() => ({
      stream: [...openAIStream(["first"]).slice(0, 2), { repeat: chunk, everyMs: 10 }],
    }));
    const llm = service();
    const pipeline = await startPipeline(llm);
    await pipeline.send(contextFrame());
    await expect.poll(() => texts(pipeline.down).length, { timeout: 5000 }).toBeGreaterThan(3);
    await pipeline.send(new InterruptionFrame());
    expect(await fake.requests[0]?.closed).toBe(true);
    const interruptedAt = pipeline.down.findIndex((f) => f instanceof InterruptionFrame);
    expect(interruptedAt).toBeGreaterThan(0);
    const countAfterInterruption = texts(pipeline.down.slice(interruptedAt)).length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(texts(pipeline.down.slice(interruptedAt))).toHaveLength(countAfterInterruption);
    expect(countAfterInterruption).toBe(0);
    expect(errors(pipeline.up)).toEqual([]);

    // The service goes on with the next context.
    fake.respond(() => ({ stream: openAIStream(["next"]) }));
    await pipeline.send(contextFrame());
    await pipeline.end();
    expect(texts(pipeline.down.slice(interruptedAt))).toEqual(["next"]);
    expect(pipeline.down.at(-2)).toBeInstanceOf(LLMFullResponseEndFrame);
  });

  it("an interruption while waiting to retry stops the retry", async () => {
    fake.respond(() => ({
      status: 429,
      json: openAIError("Slow down.", "requests"),
      headers: { "retry-after": "30" },
    }));
    const pipeline = await startPipeline(service());
    await pipeline.send(contextFrame());
    await expect.poll(() => fake.requests.length, { timeout: 5000 }).toBe(1);
    await pipeline.send(new InterruptionFrame());
    await pipeline.end();
    expect(fake.requests).toHaveLength(1);
    expect(errors(pipeline.up)).toEqual([]);
  });
});

describe("settings", () => {
  it("LLMUpdateSettingsFrame changes the next request's body, in frame order", async () => {
    const { down, up } = await runTest(service(), {
      framesToSend: [
        contextFrame("before"),
        new LLMUpdateSettingsFrame(
          new OpenAILLMService.Settings({ model: "gpt-4o", temperature: 0.2, maxTokens: 30 }),
        ),
        contextFrame("after"),
      ],
    });
    expect(up).toEqual([]);
    expect(texts(down)).toHaveLength(6);
    const [before, after] = fake.requests.map((r) => r.body as Record<string, unknown>);
    expect(before).not.toHaveProperty("temperature");
    expect(before?.model).toBe("gpt-4.1");
    expect(after).toMatchObject({ model: "gpt-4o", temperature: 0.2, max_tokens: 30 });
  });

  it("LLMUpdateSettingsFrame also takes a plain object of fields (snake_case accepted)", async () => {
    const { up } = await runTest(service(), {
      framesToSend: [new LLMUpdateSettingsFrame({ max_tokens: 12, topP: 0.5 }), contextFrame()],
    });
    expect(fake.requests[0]?.body).toMatchObject({ max_tokens: 12, top_p: 0.5 });
    expect(errors(up)).toHaveLength(0);
  });

  it("a bad update becomes an ErrorFrame and the old settings stay", async () => {
    const llm = service();
    const bad = new OpenAILLMService.Settings();
    bad.temperature = 5;
    const { up } = await runTest(llm, {
      framesToSend: [new LLMUpdateSettingsFrame(bad), contextFrame()],
    });
    expect(errors(up)[0]?.error).toMatch(/temperature.*5.*0 to 2/);
    expect(fake.requests[0]?.body).not.toHaveProperty("temperature");
    expect(llm.settings.temperature).toBeNull();
  });

  it("an update aimed at another service passes through untouched", async () => {
    const other = service({ name: "other" });
    const frame = new LLMUpdateSettingsFrame(new OpenAILLMService.Settings({ seed: 7 }), {
      service: other,
    });
    const { down } = await runTest(service(), { framesToSend: [frame, contextFrame()] });
    expect(down[0]).toBe(frame);
    expect(fake.requests[0]?.body).not.toHaveProperty("seed");
  });

  it.each([
    [{ temperature: 2.5 }, "temperature", /a number from 0 to 2/],
    [{ temperature: Number.NaN }, "temperature", /a number from 0 to 2/],
    [{ topP: 1.5 }, "topP", /a number from 0 to 1/],
    [{ maxTokens: 0 }, "maxTokens", /a positive integer/],
    [{ maxTokens: 1.5 }, "maxTokens", /a positive integer/],
    [{ maxCompletionTokens: -1 }, "maxCompletionTokens", /a positive integer/],
    [{ frequencyPenalty: 3 }, "frequencyPenalty", /from -2 to 2/],
    [{ presencePenalty: -2.5 }, "presencePenalty", /from -2 to 2/],
    [{ seed: 1.5 }, "seed", /an integer/],
    [{ model: "" }, "model", /non-empty model id/],
    [
      { serviceTier: "turbo" as never },
      "serviceTier",
      /"auto", "default", "flex", "scale", "priority"/,
    ],
    [{ extra: { stream: false } }, "extra.stream", /always streams/],
  ])("rejects %j naming the field, the value and what is allowed", (init, field, allowed) => {
    let error: unknown;
    try {
      new OpenAILLMService.Settings(init);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsValidationError);
    expect((error as SettingsValidationError).field).toBe(field);
    expect((error as SettingsValidationError).allowed).toMatch(allowed);
  });

  it("rejects bad construction options", () => {
    expect(() => service({ timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => service({ baseUrl: "ftp://example.com" })).toThrow(/baseUrl.*http/);
    expect(() => service({ retry: { maxRetries: -1 } })).toThrow(/retry\.maxRetries/);
  });

  it("defaults to Pipecat's: gpt-4.1 and nothing else set", () => {
    const { settings } = new OpenAILLMService();
    expect(settings.givenFields()).toEqual({
      model: "gpt-4.1",
      systemInstruction: null,
      temperature: null,
      maxTokens: null,
      topP: null,
      frequencyPenalty: null,
      presencePenalty: null,
      seed: null,
      maxCompletionTokens: null,
      serviceTier: null,
    });
    expect(settings.validateComplete()).toEqual([]);
  });

  it("fromMapping takes OpenAI's snake_case names", () => {
    const delta = OpenAILLMService.Settings.fromMapping({
      max_completion_tokens: 10,
      top_p: 0.5,
      service_tier: "auto",
      logprobs: true,
    });
    expect(delta.maxCompletionTokens).toBe(10);
    expect(delta.topP).toBe(0.5);
    expect(delta.serviceTier).toBe("auto");
    expect(delta.extra).toEqual({ logprobs: true });
  });
});

describe("LLMFullResponseStartFrame", () => {
  it("comes before the request, so downstream can prepare while waiting", async () => {
    fake.respond(() => ({ stream: [{ delayMs: 50 }, ...openAIStream(["late"])] }));
    const { down } = await runTest(service(), { framesToSend: [contextFrame()] });
    expect(down[0]).toBeInstanceOf(LLMFullResponseStartFrame);
  });
});
