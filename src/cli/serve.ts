// `pipecat-ts serve`: the three local twins on one port, in the foreground: fal's routes (a preview
// renderer), OpenAI's under /v1 (a scripted LLM) and Cartesia's /tts and /voices (a speech engine).
import {
  EXIT_OK,
  parseCommandArgs,
  parseHost,
  parseAllowedHosts,
  parseIntegerOption,
  parseNumberOption,
  parsePort,
  CliError,
  EXIT_FAILURE,
  UsageError,
} from "./args.js";
import type { CommandIO } from "./io.js";
import { exposureWarning, urlHost } from "../server/host-guard.js";
import { SettingsValidationError, describeError } from "../utils/errors.js";

export const SERVE_HELP = `Usage: pipecat-ts serve [options]

Runs the local twins on one port until Ctrl-C: stand-ins that speak the providers'
protocols offline. None of them is a model:
  fal       run, queue, status, result and cancel; answers with labelled PREVIEW
            placeholder images (a renderer)
  OpenAI    POST /v1/chat/completions (streaming or not), GET /v1/models; a scripted
            LLM that writes one sentence about a month for the calendar prompt
  Cartesia  POST /tts/bytes, GET /voices; speech from espeak-ng when installed, else
            a built-in synthesizer
Point the services at it with FAL_BASE_URL, OPENAI_BASE_URL (the URL + /v1) and
CARTESIA_BASE_URL set to the URLs it prints, or use "pipecat-ts generate --base-url URL".

Options:
  --port N            port to listen on (default 8787; 0 = any free port)
  --host H            interface (default 127.0.0.1)
  --inference-ms N    simulated inference time per image request (default 300)
  --latency-ms N      time before the LLM's first token and the speech's first byte (default 0)
  --workers N         images generated at once; the rest wait in the queue (default 4)
  --speech-engine E   auto (default: espeak-ng when installed), espeak-ng or builtin
  --key KEY           require the key on API requests, as each provider's clients send it
                      (fal: Authorization: Key; OpenAI: Bearer; Cartesia: X-API-Key); never printed
  --image-style S     preview (default) or photo (dense noise: ~1.5 MB per 1024x1024 PNG, for benchmarks)
  --allowed-host NAME a host name clients may use besides 127.0.0.1/localhost (repeatable or
                      comma-separated; "*" for any). Required with a --host other machines
                      can reach (e.g. 0.0.0.0); any other Host header is refused with 403
  --allowed-origin O  a web page origin that may call the server from a browser, e.g.
                      http://localhost:3000 (repeatable); other pages get 403
  --public-url URL    base of every URL the fal twin hands out (default: the Host the client used)
  -h, --help          show this help`;

interface ServeValues {
  port?: string;
  host?: string;
  "inference-ms"?: string;
  "latency-ms"?: string;
  "speech-engine"?: string;
  workers?: string;
  key?: string;
  "image-style"?: string;
  "allowed-host"?: string[];
  "allowed-origin"?: string[];
  "public-url"?: string;
  help?: boolean;
}

const OPTIONS = {
  port: { type: "string", short: "p" },
  host: { type: "string" },
  "inference-ms": { type: "string" },
  "latency-ms": { type: "string" },
  "speech-engine": { type: "string" },
  workers: { type: "string" },
  key: { type: "string" },
  "image-style": { type: "string" },
  "allowed-host": { type: "string", multiple: true },
  "allowed-origin": { type: "string", multiple: true },
  "public-url": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** What the server says when it starts (see listeningLines). */
export interface ListeningInfo {
  /** The address it listens on, as given. */
  host: string;
  port: number;
  /** False beyond loopback. */
  loopbackOnly: boolean;
  allowedHosts: readonly string[];
}

/** The URL of a listening address as reached from this machine (a wildcard → 127.0.0.1). */
export function localUrl(host: string, port: number): string {
  return `http://${urlHost(host)}:${port}`;
}

/**
 * The line that says where the server really listens (and how clients reach it), and the
 * one-line warning when that is beyond loopback.
 */
export function listeningLines(info: ListeningInfo): { listening: string; warning?: string } {
  const local = localUrl(info.host, info.port);
  const prefix = "Local twins (fal, OpenAI, Cartesia; none of them a model) listening on";
  if (info.loopbackOnly) {
    const named = info.host === "127.0.0.1" || info.host === "localhost" || info.host === "::1";
    const where = named ? local : `${info.host}:${info.port} (${local})`;
    return { listening: `${prefix} ${where}` };
  }
  const address = info.host.includes(":") ? `[${info.host}]` : info.host;
  const others = info.allowedHosts
    .filter((name) => name !== "*")
    .map((name) => `http://${name.includes(":") ? `[${name}]` : name}:${info.port}`);
  const reach = others.length > 0 ? `, ${others.join(" or ")} from others` : "";
  return {
    listening: `${prefix} ${address}:${info.port}: ${local} from this machine${reach}`,
    warning: exposureWarning(address, info.port, "this server"),
  };
}

/** A usage error for a server option the server refused, naming the command-line option. */
function optionError(error: SettingsValidationError, host: string): UsageError {
  const value = typeof error.value === "string" ? error.value : JSON.stringify(error.value);
  switch (error.field) {
    case "allowedHosts":
      if (Array.isArray(error.value))
        return new UsageError(
          `--host ${host} can be reached from other machines: name the host names clients will use with --allowed-host NAME (repeatable; "*" for any).`,
        );
      return new UsageError(`Invalid --allowed-host "${value}": ${error.allowed}.`);
    case "allowedOrigins":
      return new UsageError(`Invalid --allowed-origin "${value}": ${error.allowed}.`);
    case "publicUrl":
      return new UsageError(`Invalid --public-url "${value}": ${error.allowed}.`);
    default:
      return new UsageError(error.message);
  }
}

export async function runServe(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandArgs<ServeValues>("serve", argv, OPTIONS, false);
  if (values.help) {
    io.stdout.write(`${SERVE_HELP}\n`);
    return EXIT_OK;
  }
  const port = parsePort("--port", values.port, 8787);
  const host = parseHost("--host", values.host, "127.0.0.1");
  const inferenceMs =
    parseNumberOption("--inference-ms", values["inference-ms"], 0, 600_000) ?? 300;
  const latencyMs = parseNumberOption("--latency-ms", values["latency-ms"], 0, 600_000) ?? 0;
  const workers = parseIntegerOption("--workers", values.workers, 1, 256) ?? 4;
  const speechEngine = values["speech-engine"] ?? "auto";
  if (speechEngine !== "auto" && speechEngine !== "espeak-ng" && speechEngine !== "builtin") {
    throw new UsageError(
      `--speech-engine must be "auto", "espeak-ng" or "builtin", got ${JSON.stringify(speechEngine)}`,
    );
  }
  const key = values.key !== undefined && values.key !== "" ? values.key : undefined;
  const imageStyle = values["image-style"] ?? "preview";
  if (imageStyle !== "preview" && imageStyle !== "photo") {
    throw new UsageError(
      `--image-style must be "preview" or "photo", got ${JSON.stringify(imageStyle)}`,
    );
  }

  const allowedHosts = parseAllowedHosts("--allowed-host", values["allowed-host"]);
  const allowedOrigins = values["allowed-origin"] ?? [];
  const publicUrl = values["public-url"];

  const { startLocalServers } = await import("../local/servers.js");
  let server: Awaited<ReturnType<typeof startLocalServers>>;
  try {
    server = await startLocalServers({
      host,
      port,
      allowedHosts,
      allowedOrigins,
      ...(key !== undefined ? { requiredKey: key } : {}),
      ...(publicUrl !== undefined ? { publicUrl } : {}),
      fal: { inferenceMs, workers, imageStyle },
      openai: { timeToFirstTokenMs: latencyMs },
      cartesia: { latencyMs, engine: speechEngine },
    });
  } catch (error) {
    if (error instanceof SettingsValidationError) throw optionError(error, host);
    const code = (error as { code?: string }).code;
    if (code === "EADDRINUSE")
      throw new CliError(
        `Port ${port} on ${host} is already in use: pick another with --port (0 = any free port).`,
      );
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND")
      throw new CliError(`Cannot listen on ${host}: no such local address.`);
    if (code === "EACCES")
      throw new CliError(`Not allowed to listen on ${host}:${port}: try a port above 1023.`);
    throw new CliError(`Cannot start the local twins: ${describeError(error)}`, EXIT_FAILURE, {
      cause: error,
    });
  }

  const auth = key ? ` -H "Authorization: Key $FAL_KEY"` : "";
  const lines = listeningLines({
    host: server.host,
    port: server.port,
    loopbackOnly: server.loopbackOnly,
    allowedHosts,
  });
  const local = localUrl(server.host, server.port);
  io.stdout.write(`${lines.listening}\n`);
  for (const line of server.describe()) io.stdout.write(`  ${line}\n`);
  if (lines.warning) io.stderr.write(`${lines.warning}\n`);
  if (publicUrl !== undefined)
    io.stdout.write(`URLs the fal twin hands out start with ${server.baseUrls.fal}\n`);
  io.stdout.write(
    `Try: curl -s ${local}/run/fal-ai/fast-sdxl -H 'Content-Type: application/json'${auth} -d '{"prompt":"a lighthouse at dusk"}'\n`,
  );
  io.stdout.write(
    `${key ? "Requests must carry the key you passed. " : ""}Use them with FAL_BASE_URL=${local} OPENAI_BASE_URL=${local}/v1 CARTESIA_BASE_URL=${local} (or --base-url ${local}). Ctrl-C to stop.\n`,
  );

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      io.offInterrupt(stop);
      resolve();
    };
    io.onInterrupt(stop);
  });
  await server.close();
  io.stderr.write("Stopped.\n");
  return EXIT_OK;
}
