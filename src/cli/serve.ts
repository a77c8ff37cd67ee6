// `pipecat-ts serve`: the local fal-compatible server (preview renderer) in the foreground.
import {
  EXIT_OK,
  parseCommandArgs,
  parseHost,
  parseIntegerOption,
  parseNumberOption,
  parsePort,
  CliError,
  UsageError,
} from "./args.js";
import type { CommandIO } from "./io.js";
import { exposureWarning } from "../server/host-guard.js";
import { SettingsValidationError, describeError } from "../utils/errors.js";

export const SERVE_HELP = `Usage: pipecat-ts serve [options]

Runs the local fal-compatible server until Ctrl-C. It speaks fal's run, queue, status,
result and cancel API and answers with labelled PREVIEW placeholder images (a renderer,
not a model). Point the service at it with baseUrl (or FAL_BASE_URL) set to the URL it
prints, or use "pipecat-ts generate --base-url URL".

Options:
  --port N            port to listen on (default 8787; 0 = any free port)
  --host H            interface (default 127.0.0.1)
  --inference-ms N    simulated inference time per request (default 300)
  --workers N         requests generated at once; the rest wait in the queue (default 4)
  --key KEY           require "Authorization: Key KEY" on API requests (the key is never printed)
  --image-style S     preview (default) or photo (dense noise: ~1.5 MB per 1024x1024 PNG, for benchmarks)
  --allowed-host NAME a host name clients may use besides 127.0.0.1/localhost (repeatable;
                      "*" for any). Required with a --host other machines can reach
                      (e.g. 0.0.0.0); any other Host header is refused with 403
  --allowed-origin O  a web page origin that may call the server from a browser, e.g.
                      http://localhost:3000 (repeatable); other pages get 403
  --public-url URL    base of every URL the server hands out (default: the Host the client used)
  -h, --help          show this help`;

interface ServeValues {
  port?: string;
  host?: string;
  "inference-ms"?: string;
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
  const name =
    host === "0.0.0.0" || host === "::" || host === ""
      ? "127.0.0.1"
      : host.includes(":")
        ? `[${host}]`
        : host;
  return `http://${name}:${port}`;
}

/**
 * The line that says where the server really listens (and how clients reach it), and the
 * one-line warning when that is beyond loopback.
 */
export function listeningLines(info: ListeningInfo): { listening: string; warning?: string } {
  const local = localUrl(info.host, info.port);
  const prefix = "Local fal server (preview renderer, not a model) listening on";
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
  const workers = parseIntegerOption("--workers", values.workers, 1, 256) ?? 4;
  const key = values.key !== undefined && values.key !== "" ? values.key : undefined;
  const imageStyle = values["image-style"] ?? "preview";
  if (imageStyle !== "preview" && imageStyle !== "photo") {
    throw new UsageError(
      `--image-style must be "preview" or "photo", got ${JSON.stringify(imageStyle)}`,
    );
  }

  const allowedHosts = values["allowed-host"] ?? [];
  const allowedOrigins = values["allowed-origin"] ?? [];
  const publicUrl = values["public-url"];

  const { startLocalFalServer } = await import("../local/fal/index.js");
  let server: Awaited<ReturnType<typeof startLocalFalServer>>;
  try {
    server = await startLocalFalServer({
      host,
      port,
      inferenceMs,
      workers,
      requiredKey: key,
      imageStyle,
      allowedHosts,
      allowedOrigins,
      ...(publicUrl !== undefined ? { publicUrl } : {}),
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
    throw new CliError(`Cannot start the local fal server: ${describeError(error)}`);
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
  if (lines.warning) io.stderr.write(`${lines.warning}\n`);
  if (publicUrl !== undefined) io.stdout.write(`URLs it hands out start with ${server.url}\n`);
  io.stdout.write(
    `Try: curl -s ${local}/run/fal-ai/fast-sdxl -H 'Content-Type: application/json'${auth} -d '{"prompt":"a lighthouse at dusk"}'\n`,
  );
  io.stdout.write(
    `${key ? "Requests must carry the key you passed (Authorization: Key ...). " : ""}Use it with FAL_BASE_URL=${local} or --base-url ${local}. Ctrl-C to stop.\n`,
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
