import { createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import { sleep as abortableSleep } from "../../../src/utils/abort.js";
import {
  startLocalFalServer,
  type LocalFalServer,
  type LocalFalServerOptions,
} from "../../../src/local/fal/index.js";

const servers: LocalFalServer[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const c of cleanups.splice(0)) await c();
});

/** Starts a server that is closed automatically after the test. */
export async function start(options: LocalFalServerOptions = {}): Promise<LocalFalServer> {
  const server = await startLocalFalServer(options);
  servers.push(server);
  return server;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** One HTTP call; `body` objects are sent as JSON. */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string>; raw?: BodyInit } = {},
): Promise<CallResult> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: BodyInit | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Calls through the proxy endpoint with `x-fal-target-url`. */
export function viaProxy(
  base: string,
  method: string,
  target: string,
  opts: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  return call(base, method, "/api/fal/proxy", {
    ...opts,
    headers: { ...(opts.headers ?? {}), "x-fal-target-url": target },
  });
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5000,
  stepMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error("waitFor timed out");
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The server's simulated inference under the test's control (pass `wait` as inferenceWait, with
 * any inferenceMs > 0): a request stays in progress until the test releases it, so what a test
 * sees in between does not depend on how fast the machine is. A cancel still ends it at once.
 */
export class InferenceGate {
  #waiting: Array<() => void> = [];
  #credits = 0;

  readonly wait = (_ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      if (this.#credits > 0) {
        this.#credits -= 1;
        resolve();
        return;
      }
      const onAbort = (): void => {
        this.#waiting = this.#waiting.filter((w) => w !== finish);
        reject(signal.reason);
      };
      const finish = (): void => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(finish);
    });

  /** As wait(), then the simulated time on the clock too: for checks of the inference time. */
  readonly waitThenTime = async (ms: number, signal: AbortSignal): Promise<void> => {
    await this.wait(ms, signal);
    await abortableSleep(ms, signal);
  };

  /** Inferences waiting to be released now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Lets the `n` oldest waiting inferences finish; releases not yet used go to the next ones. */
  release(n = 1): void {
    for (let i = 0; i < n; i += 1) {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#credits += 1;
    }
  }
}

export interface SseResult {
  status: number;
  contentType: string | null;
  events: any[];
  comments: string[];
}

/** Reads a whole SSE response (until the server closes it). */
export async function readSse(url: string, init: RequestInit = {}): Promise<SseResult> {
  const res = await fetch(url, init);
  const text = await res.text();
  const events: any[] = [];
  const comments: string[] = [];
  for (const block of text.split("\n\n")) {
    for (const line of block.split("\n")) {
      if (line.startsWith("data:")) events.push(JSON.parse(line.slice(5).trim()));
      else if (line.startsWith(":")) comments.push(line.slice(1).trim());
    }
  }
  return { status: res.status, contentType: res.headers.get("content-type"), events, comments };
}

/** Submits to the queue directly and returns the submit body. */
/**
 * Opens an SSE stream and reads it in the background: `events` and `comments` fill as they
 * arrive (poll them with waitFor), `ended` resolves when the server closes the stream.
 */
export async function followSse(
  url: string,
): Promise<{ events: any[]; comments: string[]; ended: Promise<void> }> {
  const res = await fetch(url);
  if (!res.body) throw new Error(`no body from ${url} (HTTP ${res.status})`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const events: any[] = [];
  const comments: string[] = [];
  const read = async (): Promise<void> => {
    let buffered = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffered += value;
      for (let end = buffered.indexOf("\n\n"); end >= 0; end = buffered.indexOf("\n\n")) {
        for (const line of buffered.slice(0, end).split("\n")) {
          if (line.startsWith("data:")) events.push(JSON.parse(line.slice(5).trim()));
          else if (line.startsWith(":")) comments.push(line.slice(1).trim());
        }
        buffered = buffered.slice(end + 2);
      }
    }
  };
  return { events, comments, ended: read() };
}

export async function submit(
  base: string,
  model: string,
  input: unknown,
  query = "",
): Promise<any> {
  const r = await call(base, "POST", `/queue/${model}${query}`, { body: input });
  if (r.status !== 200) throw new Error(`submit failed: ${r.status} ${r.text}`);
  return r.json;
}

/** Polls a request's status URL until COMPLETED. */
export async function waitCompleted(statusUrl: string): Promise<any> {
  return waitFor(async () => {
    const r = await fetch(statusUrl);
    const body = await r.json();
    return body.status === "COMPLETED" ? body : undefined;
  });
}

export interface WebhookReceiver {
  url: string;
  received: Array<{ headers: IncomingMessage["headers"]; body: any }>;
}

/** A 127.0.0.1 HTTP server that records webhook POSTs. */
export async function startWebhookReceiver(status = 200): Promise<WebhookReceiver> {
  const received: WebhookReceiver["received"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
      });
      res.writeHead(status, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

/** Sends a request with an exact request-target (no URL normalisation, unlike fetch). */
export function rawRequest(
  base: string,
  method: string,
  rawPath: string,
): Promise<{ status: number; headers: IncomingMessage["headers"]; text: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path: rawPath }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
