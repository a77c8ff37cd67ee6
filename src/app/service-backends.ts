// Where each service of a front end goes (the LLM, the speech, the images), decided per service
// from the environment, the way backend.ts decides it for images alone:
//   1. a base URL (OPENAI_BASE_URL, CARTESIA_BASE_URL, FAL_BASE_URL) → that server, with the
//      service's key when one is set (an OpenAI-compatible server usually wants one);
//   2. else a key (OPENAI_API_KEY, CARTESIA_API_KEY, FAL_KEY) → the real service;
//   3. else the embedded local twin, on ONE port for every service that needs one
//      (startLocalServers()).
// Each service gets one notice line saying which it uses; a notice never holds a key.
import type { LocalServers, LocalServersOptions } from "../local/servers.js";
import { CARTESIA_BASE_URL } from "../services/cartesia/tts.js";
import { OPENAI_BASE_URL } from "../services/openai/chat-completions.js";
import { envValue } from "../utils/env.js";
import { checkBaseUrl, localServerNotice } from "./backend.js";

/** The services a front end may need. */
export type ServiceName = "llm" | "tts" | "image";
export const SERVICE_NAMES: readonly ServiceName[] = ["llm", "tts", "image"];

/** "provider": the real service; "server": a compatible server named by a base URL; "local": the twin. */
export type ServiceBackendKind = "provider" | "server" | "local";

export interface ServiceBackend {
  service: ServiceName;
  kind: ServiceBackendKind;
  /** Where the service's client points (for "provider", the provider's own URL; fal: undefined). */
  baseUrl: string | undefined;
  /** The key to send: the environment's for "provider" and "server" (undefined without one), "" for a twin. */
  apiKey: string | undefined;
  /** One line for the user: which backend, and why. Never contains the key. */
  notice: string;
}

export type ServiceBackends<S extends ServiceName = ServiceName> = Record<S, ServiceBackend> & {
  /** The notices of the services resolved, in the order asked. */
  notices: string[];
  /** The embedded twins, when any service uses one. */
  twins: LocalServers | undefined;
  /** Stops the embedded twins (nothing otherwise). Idempotent. */
  close(): Promise<void>;
};

export interface ResolveServiceBackendsOptions<S extends ServiceName> {
  /** Default: all three. */
  services?: readonly S[];
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Options for the embedded twins (tests pick the built-in speech engine, zero latency...). */
  local?: LocalServersOptions;
}

interface ServiceSpec {
  /** What the service is, as the notices say it ("the LLM"). */
  role: string;
  provider: string;
  keyEnv: string;
  baseUrlEnv: string;
  /** The provider's own URL, given to the client so that nothing falls back to the environment. */
  providerUrl: string | undefined;
  /** Where the service's client points on the embedded twins. */
  twinUrl(twins: LocalServers): string;
  twinNotice(twins: LocalServers): string;
}

const SPECS: Readonly<Record<ServiceName, ServiceSpec>> = {
  llm: {
    role: "the LLM",
    provider: "OpenAI",
    keyEnv: "OPENAI_API_KEY",
    baseUrlEnv: "OPENAI_BASE_URL",
    providerUrl: OPENAI_BASE_URL,
    twinUrl: (twins) => twins.baseUrls.openai,
    twinNotice: (twins) =>
      `No OPENAI_API_KEY set: using the embedded local OpenAI twin at ${twins.baseUrls.openai} (a scripted LLM, not a model)`,
  },
  tts: {
    role: "speech",
    provider: "Cartesia",
    keyEnv: "CARTESIA_API_KEY",
    baseUrlEnv: "CARTESIA_BASE_URL",
    providerUrl: CARTESIA_BASE_URL,
    twinUrl: (twins) => twins.baseUrls.cartesia,
    twinNotice: (twins) =>
      `No CARTESIA_API_KEY set: using the embedded local Cartesia twin at ${twins.baseUrls.cartesia} (${twins.cartesia.describe()})`,
  },
  image: {
    role: "images",
    provider: "fal.ai",
    keyEnv: "FAL_KEY",
    baseUrlEnv: "FAL_BASE_URL",
    providerUrl: undefined,
    twinUrl: (twins) => twins.baseUrls.fal,
    twinNotice: (twins) => localServerNotice(twins.baseUrls.fal),
  },
};

/**
 * Decides each service's backend and starts the embedded twins when any needs one. A base URL
 * that is not http(s) is a SettingsValidationError naming its environment variable (nothing is
 * started then).
 *
 * @example
 * ```ts
 * const backends = await resolveServiceBackends();
 * for (const line of backends.notices) console.error(line);
 * const llm = new OpenAILLMService({ apiKey: backends.llm.apiKey, baseUrl: backends.llm.baseUrl });
 * // ... run the pipeline ...
 * await backends.close();
 * ```
 */
export async function resolveServiceBackends<S extends ServiceName = ServiceName>(
  options: ResolveServiceBackendsOptions<S> = {},
): Promise<ServiceBackends<S>> {
  const env = options.env ?? process.env;
  const services = options.services ?? (SERVICE_NAMES as readonly S[]);
  // Every base URL is checked before anything starts.
  const baseUrls = new Map<S, string | undefined>();
  for (const service of services) {
    const spec = SPECS[service];
    const given = envValue(spec.baseUrlEnv, env);
    baseUrls.set(service, given === undefined ? undefined : checkBaseUrl(given, spec.baseUrlEnv));
  }
  const needsTwin = (service: S) =>
    baseUrls.get(service) === undefined && envValue(SPECS[service].keyEnv, env) === undefined;

  let twins: LocalServers | undefined;
  if (services.some(needsTwin)) {
    const { startLocalServers } = await import("../local/servers.js");
    twins = await startLocalServers({ host: "127.0.0.1", port: 0, ...options.local });
  }

  const resolved = {} as Record<S, ServiceBackend>;
  const notices: string[] = [];
  for (const service of services) {
    const spec = SPECS[service];
    const key = envValue(spec.keyEnv, env);
    const baseUrl = baseUrls.get(service);
    let backend: ServiceBackend;
    if (baseUrl !== undefined) {
      backend = {
        service,
        kind: "server",
        baseUrl,
        apiKey: key,
        notice: `Using the ${spec.provider}-compatible server at ${baseUrl} for ${spec.role} (${spec.baseUrlEnv})`,
      };
    } else if (key !== undefined) {
      backend = {
        service,
        kind: "provider",
        baseUrl: spec.providerUrl,
        apiKey: key,
        notice: `Using ${spec.provider} for ${spec.role} (${spec.keyEnv} is set)`,
      };
    } else {
      const local = twins as LocalServers;
      backend = {
        service,
        kind: "local",
        baseUrl: spec.twinUrl(local),
        apiKey: "",
        notice: spec.twinNotice(local),
      };
    }
    resolved[service] = backend;
    notices.push(backend.notice);
  }

  let closed: Promise<void> | undefined;
  return Object.assign(resolved, {
    notices,
    twins,
    close: () => {
      closed ??= twins ? twins.close() : Promise.resolve();
      return closed;
    },
  });
}
