// The local OpenAI twin on a node:http port (127.0.0.1 by default) through the server kit's
// adapter: OpenAI-compatible clients (the official `openai` package, OpenAILLMService) talk to it
// with `baseURL: server.baseUrl`.
import type { Server } from "node:http";
import { createNodeServer } from "../../server/node.js";
import {
  createLocalOpenAIApp,
  type LocalOpenAIApp,
  type LocalOpenAIAppOptions,
  type LocalOpenAIControls,
} from "./app.js";

export interface LocalOpenAIServerOptions extends LocalOpenAIAppOptions {
  /** Interface to listen on; default "127.0.0.1". */
  host?: string;
  /** Port; default 0 = any free port. */
  port?: number;
}

export interface LocalOpenAIServer extends LocalOpenAIControls {
  /** The origin, e.g. http://127.0.0.1:43123 (no trailing slash). */
  url: string;
  /** Where OpenAI clients point: `${url}/v1`. */
  baseUrl: string;
  port: number;
  /** Ends open streams and hung requests and drops every connection. Idempotent. */
  close(): Promise<void>;
}

export interface LocalOpenAIServerHandle {
  /** The underlying node:http server (not listening until listen()). */
  httpServer: Server;
  listen(): Promise<LocalOpenAIServer>;
  /** The app behind the server: it also answers `app.request(path)` without a socket. */
  app: LocalOpenAIApp;
}

/** What node:http answers to a request it cannot parse, in OpenAI's error shape. */
const BAD_REQUEST = {
  contentType: "application/json",
  body: '{"error":{"message":"Bad Request","type":"invalid_request_error","param":null,"code":null}}',
};

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

/** Creates the twin's server without starting it: `listen()` starts it. */
export function createLocalOpenAIServer(
  options: LocalOpenAIServerOptions = {},
): LocalOpenAIServerHandle {
  const host = options.host ?? "127.0.0.1";
  const app = createLocalOpenAIApp(options);
  const log = (line: string): void => {
    try {
      options.logger?.(`[local-openai] ${line}`);
    } catch {
      // a failing logger must not break the server
    }
  };
  const node = createNodeServer(app, { badRequest: BAD_REQUEST, log });

  const listen = async (): Promise<LocalOpenAIServer> => {
    const address = await node.listen(options.port ?? 0, host);
    const url = `http://${urlHost(host)}:${address.port}`;
    log(`listening on ${url}/v1 (a scripted LLM twin, not a model)`);
    let closePromise: Promise<void> | undefined;
    return {
      url,
      baseUrl: `${url}/v1`,
      port: address.port,
      setFaults: (rules) => app.setFaults(rules),
      stats: () => app.stats(),
      requests: () => app.requests(),
      clearRequests: () => app.clearRequests(),
      close: () => {
        closePromise ??= (async () => {
          app.stop();
          await node.close();
          await app.close();
        })();
        return closePromise;
      },
    };
  };

  return { httpServer: node.httpServer, listen, app };
}

/**
 * Starts the local OpenAI twin and resolves once it is listening.
 *
 * @example
 * ```ts
 * import OpenAI from "openai";
 * import { startLocalOpenAIServer } from "pipecat-ts/local-openai";
 *
 * const server = await startLocalOpenAIServer({ tokenDelayMs: 20 });
 * const client = new OpenAI({ apiKey: "any", baseURL: server.baseUrl });
 * const stream = await client.chat.completions.create({
 *   model: "pipecat-ts-scripted-llm",
 *   messages: [{ role: "user", content: "Describe a nature photograph for a calendar, for the month of June." }],
 *   stream: true,
 * });
 * for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta.content ?? "");
 * await server.close();
 * ```
 */
export async function startLocalOpenAIServer(
  options: LocalOpenAIServerOptions = {},
): Promise<LocalOpenAIServer> {
  return createLocalOpenAIServer(options).listen();
}
