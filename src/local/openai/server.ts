// The local OpenAI twin on a node:http port (127.0.0.1 by default) through the server kit's
// adapter: OpenAI-compatible clients (the official `openai` package, OpenAILLMService) talk to it
// with `baseURL: server.baseUrl`.
import { controlsOf } from "../twin-kit/controls.js";
import {
  type ClientErrorAnswer,
  createTwinServer,
  jsonClientError,
  type ListeningTwin,
  type TwinListenOptions,
  type TwinServer,
} from "../twin-kit/server.js";
import {
  createLocalOpenAIApp,
  localOpenAILog,
  type LocalOpenAIApp,
  type LocalOpenAIAppOptions,
  type LocalOpenAIControls,
} from "./app.js";

export interface LocalOpenAIServerOptions
  extends Omit<LocalOpenAIAppOptions, "hostPolicy">,
    TwinListenOptions {}

export interface LocalOpenAIServer extends LocalOpenAIControls, ListeningTwin {
  /** The origin, e.g. http://127.0.0.1:43123 (no trailing slash). */
  url: string;
  /** Where OpenAI clients point: `${url}/v1`. */
  baseUrl: string;
  /** Ends open streams and hung requests and drops every connection. Idempotent. */
  close(): Promise<void>;
}

export interface LocalOpenAIServerHandle extends TwinServer {
  listen(): Promise<LocalOpenAIServer>;
  /** The app behind the server: it also answers `app.request(path)` without a socket. */
  app: LocalOpenAIApp;
}

/** What node:http answers to a request it refuses (unparsable, too slow, head too large), in OpenAI's error shape. */
export const openAIClientError: ClientErrorAnswer = jsonClientError((message) => ({
  error: { message, type: "invalid_request_error", param: null, code: null },
}));

/** Creates the twin's server without starting it: `listen()` starts it. */
export function createLocalOpenAIServer(
  options: LocalOpenAIServerOptions = {},
): LocalOpenAIServerHandle {
  const app = createLocalOpenAIApp(options);
  const log = localOpenAILog(options.logger);
  const server = createTwinServer(app, { ...options, clientError: openAIClientError, log });

  const listen = async (): Promise<LocalOpenAIServer> => {
    const twin = await server.listen();
    log(`listening on ${twin.url}/v1 (a scripted LLM twin, not a model)`);
    return {
      ...twin,
      baseUrl: `${twin.url}/v1`,
      ...controlsOf(app),
    };
  };

  return { httpServer: server.httpServer, listen, app };
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
