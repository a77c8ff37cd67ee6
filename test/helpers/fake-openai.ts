// A scriptable fake of OpenAI's Chat Completions endpoint on 127.0.0.1, for service tests: it
// records every request (headers, parsed body) and whether the client closed the connection before
// the reply was over, and answers with what the test scripts: JSON, or a stream written step by
// step (raw text, byte arrays, pauses, a hang, a reset).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "./request-body.js";

export interface FakeOpenAIRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** Resolves true when the client closed the connection before the reply ended, false when it ended. */
  closed: Promise<boolean>;
}

/** One step of a streamed reply. */
export type StreamStep =
  | string
  | Uint8Array
  | { delayMs: number }
  /** Stop writing and never end the response. */
  | { hang: true }
  /** Destroy the socket (a connection reset mid-way). */
  | { reset: true }
  /** Keep writing this text every `everyMs` until the client goes away. */
  | { repeat: string; everyMs: number };

export type FakeOpenAIReply =
  | { status?: number; headers?: Record<string, string>; json: unknown }
  | { status?: number; headers?: Record<string, string>; text: string }
  | { status?: number; headers?: Record<string, string>; stream: StreamStep[] }
  /** Destroy the socket before any response. */
  | { reset: true };

export type FakeOpenAIHandler = (
  req: FakeOpenAIRequest,
  index: number,
) => FakeOpenAIReply | Promise<FakeOpenAIReply>;

export interface FakeOpenAI {
  /** The server's origin; the API lives under `${url}/v1`. */
  url: string;
  requests: FakeOpenAIRequest[];
  respond(handler: FakeOpenAIHandler): void;
  close(): Promise<void>;
}

export interface ChunkOptions {
  id?: string;
  model?: string;
  created?: number;
  finishReason?: string;
  usage?: Record<string, unknown> | null;
}

/** The `data:` events of a well-formed OpenAI stream that says `deltas`, ending in [DONE]. */
export function openAIStream(deltas: string[], options: ChunkOptions = {}): string[] {
  const base = {
    id: options.id ?? "chatcmpl-fake",
    object: "chat.completion.chunk",
    created: options.created ?? 1_700_000_000,
    model: options.model ?? "gpt-4.1-2025-04-14",
    system_fingerprint: "fp_fake",
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null })}\n\n`;
  const events = [chunk({ role: "assistant", content: "", refusal: null })];
  for (const text of deltas) events.push(chunk({ content: text }));
  events.push(chunk({}, options.finishReason ?? "stop"));
  if (options.usage !== null) {
    const usage = options.usage ?? {
      prompt_tokens: 12,
      completion_tokens: deltas.length,
      total_tokens: 12 + deltas.length,
      prompt_tokens_details: { cached_tokens: 2 },
      completion_tokens_details: { reasoning_tokens: 0 },
    };
    events.push(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
  }
  events.push("data: [DONE]\n\n");
  return events;
}

/** An OpenAI-shaped error body. */
export function openAIError(
  message: string,
  type: string,
  options: { code?: string | null; param?: string | null } = {},
): { error: Record<string, unknown> } {
  return { error: { message, type, param: options.param ?? null, code: options.code ?? null } };
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const requests: FakeOpenAIRequest[] = [];
  let handler: FakeOpenAIHandler = () => ({ stream: openAIStream(["Hello", " world", "."]) });

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const closed = new Promise<boolean>((resolve) => {
      res.on("close", () => resolve(!res.writableFinished));
    });
    const recorded: FakeOpenAIRequest = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers: req.headers,
      body,
      closed,
    };
    requests.push(recorded);
    const reply = await handler(recorded, requests.length - 1);
    if ("reset" in reply) {
      req.socket.destroy();
      return;
    }
    const headers = { "x-request-id": `req_${requests.length}`, ...reply.headers };
    if ("json" in reply) {
      res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(reply.json));
      return;
    }
    if ("text" in reply) {
      res.writeHead(reply.status ?? 200, { "content-type": "text/plain", ...headers });
      res.end(reply.text);
      return;
    }
    res.writeHead(reply.status ?? 200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      ...headers,
    });
    res.flushHeaders();
    let gone = false;
    res.on("close", () => {
      gone = true;
    });
    for (const step of reply.stream) {
      if (gone) return;
      if (typeof step === "string" || step instanceof Uint8Array) {
        res.write(step);
      } else if ("delayMs" in step) {
        await new Promise((resolve) => setTimeout(resolve, step.delayMs));
      } else if ("hang" in step) {
        return;
      } else if ("reset" in step) {
        req.socket.destroy();
        return;
      } else {
        while (!gone) {
          res.write(step.repeat);
          await new Promise((resolve) => setTimeout(resolve, step.everyMs));
        }
        return;
      }
    }
    res.end();
  }

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond(next) {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
