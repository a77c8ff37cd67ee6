// End to end: OpenAILLMService against the local OpenAI twin on 127.0.0.1 — the example's twelve
// prompts become twelve sentences through a SentenceAggregator, usage matches what the twin
// counted, and the twin's faults (429, a broken stream, a hang, a wrong key) become retries or
// ErrorFrames while the pipeline keeps running.
import { afterEach, describe, expect, it } from "vitest";
import type { Frame } from "../../../src/frames/base.js";
import { ErrorFrame } from "../../../src/frames/error.js";
import { EndFrame, InterruptionFrame } from "../../../src/frames/lifecycle.js";
import { LLMContext, LLMContextFrame, LLMFullResponseEndFrame } from "../../../src/frames/llm.js";
import { MetricsFrame } from "../../../src/frames/metrics.js";
import { LLMTextFrame, TextFrame } from "../../../src/frames/text.js";
import { MONTHS } from "../../../src/local/openai/calendar-vocabulary.js";
import {
  type LocalOpenAIServer,
  type LocalOpenAIServerOptions,
  scriptedReply,
  startLocalOpenAIServer,
} from "../../../src/local/openai/index.js";
import { Pipeline } from "../../../src/pipeline/pipeline.js";
import { PipelineTask } from "../../../src/pipeline/task.js";
import { SentenceAggregator } from "../../../src/processors/aggregators/sentence-aggregator.js";
import { FrameDirection } from "../../../src/processors/direction.js";
import {
  OpenAINetworkError,
  OpenAIResponseError,
  OpenAITimeoutError,
} from "../../../src/services/openai/errors.js";
import {
  OpenAILLMService,
  type OpenAILLMServiceOptions,
} from "../../../src/services/openai/llm.js";
import { RecorderProcessor, runTest } from "../../helpers/run-test.js";

const KEY = "sk-e2e-twin-key";

const servers: LocalOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function twin(options: LocalOpenAIServerOptions = {}): Promise<LocalOpenAIServer> {
  const server = await startLocalOpenAIServer({ requiredKey: KEY, ...options });
  servers.push(server);
  return server;
}

function llm(server: LocalOpenAIServer, options: OpenAILLMServiceOptions = {}): OpenAILLMService {
  return new OpenAILLMService({
    apiKey: KEY,
    baseUrl: server.baseUrl,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    ...options,
  });
}

function prompt(month: string): string {
  return `Describe a nature photograph suitable for use in a calendar, for the month of ${month}. Include only the image description with no preamble. Limit the description to one sentence, please.`;
}

const monthFrame = (month: string) =>
  new LLMContextFrame(new LLMContext([{ role: "user", content: prompt(month) }]));

const errors = (frames: Frame[]) => frames.filter((f): f is ErrorFrame => f instanceof ErrorFrame);
const llmTexts = (frames: Frame[]) =>
  frames.filter((f): f is LLMTextFrame => f instanceof LLMTextFrame).map((f) => f.text);

describe("OpenAILLMService against the twin", () => {
  it("the example's twelve prompts become twelve sentences, one per month, in order", async () => {
    const server = await twin({ tokenDelayMs: 1 });
    const service = llm(server);
    const sentences = new SentenceAggregator();
    const down = new RecorderProcessor(FrameDirection.DOWNSTREAM, "Down");
    const up = new RecorderProcessor(FrameDirection.UPSTREAM, "Up");
    const task = new PipelineTask(new Pipeline([up, service, sentences, down]));
    const running = task.run();
    for (const month of MONTHS) await task.queueFrame(monthFrame(month));
    await task.queueFrame(new EndFrame());
    await running;

    expect(errors(up.frames)).toEqual([]);
    const said = down.frames
      .filter((f): f is TextFrame => f.constructor === TextFrame)
      .map((f) => f.text);
    expect(said).toEqual(
      MONTHS.map(
        (month) => scriptedReply([{ role: "user", content: prompt(month) }], undefined).text,
      ),
    );
    expect(down.frames.filter((f) => f instanceof LLMFullResponseEndFrame)).toHaveLength(12);
    // The default model ("gpt-4.1") is one the twin answers to; it answers as itself.
    expect(server.requests().every((r) => (r.body as { model: string }).model === "gpt-4.1")).toBe(
      true,
    );
    expect(service.fullModelName).toBe("pipecat-ts-scripted-llm");
  });

  it("reports the usage the twin counted", async () => {
    const server = await twin();
    const { down } = await runTest(llm(server), {
      framesToSend: [monthFrame("May")],
      includeMetricsFrames: true,
      taskOptions: { params: { enableUsageMetrics: true } },
    });
    const usage = down
      .filter((f): f is MetricsFrame => f instanceof MetricsFrame)
      .flatMap((f) => f.data)
      .find((d) => d.type === "llm_usage");
    const stats = server.stats();
    expect(usage?.value).toEqual({
      promptTokens: stats.promptTokens,
      completionTokens: stats.completionTokens,
      totalTokens: stats.promptTokens + stats.completionTokens,
      cacheReadInputTokens: 0,
      reasoningTokens: 0,
    });
    expect(stats.completionTokens).toBe(llmTexts(down).length);
  });

  it("retries the twin's injected 429 and answers", async () => {
    const server = await twin({
      faults: [{ operation: "chat", status: 429, headers: { "retry-after": "0" }, times: 1 }],
    });
    const { down, up } = await runTest(llm(server), { framesToSend: [monthFrame("June")] });
    expect(errors(up)).toEqual([]);
    expect(llmTexts(down).join("")).toMatch(/\.$/);
    expect(server.stats().byStatus).toMatchObject({ "429": 1, "200": 1 });
  });

  it("a stream broken mid-way is an ErrorFrame after the partial text, not retried; the next prompt is answered", async () => {
    const server = await twin({ faults: [{ operation: "chat", truncateBody: true, times: 1 }] });
    const { down, up } = await runTest(llm(server), {
      framesToSend: [monthFrame("July"), monthFrame("August")],
    });
    expect(errors(up)).toHaveLength(1);
    expect(errors(up)[0]?.cause).toBeInstanceOf(OpenAINetworkError);
    expect(server.stats().completions).toBe(2);
    const august = scriptedReply([{ role: "user", content: prompt("August") }], undefined).text;
    expect(llmTexts(down).join("")).toMatch(
      new RegExp(`${august.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`),
    );
  });

  it("a malformed event mid-way is a server ErrorFrame", async () => {
    const server = await twin({ faults: [{ operation: "chat", brokenJson: true, times: 1 }] });
    const { up } = await runTest(llm(server), { framesToSend: [monthFrame("September")] });
    expect(errors(up)[0]?.cause).toBeInstanceOf(OpenAIResponseError);
    expect(errors(up)[0]?.category).toBe("server");
  });

  it("a hung twin times out (retried, then reported)", async () => {
    const server = await twin({ faults: [{ operation: "chat", hang: true }] });
    const { up } = await runTest(
      llm(server, { timeoutMs: 100, retry: { maxRetries: 1, baseDelayMs: 1 } }),
      {
        framesToSend: [monthFrame("October")],
      },
    );
    expect(errors(up)[0]?.cause).toBeInstanceOf(OpenAITimeoutError);
    expect(server.stats().requests).toBe(2);
  });

  it("a wrong key is an authentication ErrorFrame that never shows the key", async () => {
    const server = await twin();
    const { up } = await runTest(llm(server, { apiKey: "sk-not-the-key" }), {
      framesToSend: [monthFrame("November")],
    });
    expect(errors(up)[0]?.category).toBe("authentication");
    expect(errors(up)[0]?.error).toContain("401");
    expect(errors(up)[0]?.error).not.toContain("sk-not-the-key");
  });

  it("an interruption drops the twin's stream mid-way and nothing more is pushed", async () => {
    const server = await twin({ tokenDelayMs: 40 });
    const service = llm(server);
    const down = new RecorderProcessor(FrameDirection.DOWNSTREAM, "Down");
    const task = new PipelineTask(new Pipeline([service, down]));
    const running = task.run();
    await task.queueFrame(monthFrame("December"));
    await expect.poll(() => llmTexts(down.frames).length, { timeout: 5000 }).toBeGreaterThan(1);
    await task.queueFrame(new InterruptionFrame());
    const at = down.frames.findIndex((f) => f instanceof InterruptionFrame);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(llmTexts(down.frames.slice(at))).toEqual([]);
    // The twin saw the client go before the end of its answer.
    await expect.poll(() => server.stats().streamsCut, { timeout: 2000 }).toBe(1);
    expect(server.requests()[0]?.status).toBeUndefined();
    await task.queueFrame(new EndFrame());
    await running;
  });
});
