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
import { describeError } from "../utils/errors.js";

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
  -h, --help          show this help`;

interface ServeValues {
  port?: string;
  host?: string;
  "inference-ms"?: string;
  workers?: string;
  key?: string;
  "image-style"?: string;
  help?: boolean;
}

const OPTIONS = {
  port: { type: "string", short: "p" },
  host: { type: "string" },
  "inference-ms": { type: "string" },
  workers: { type: "string" },
  key: { type: "string" },
  "image-style": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

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
    });
  } catch (error) {
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
  io.stdout.write(`Local fal server (preview renderer, not a model) listening on ${server.url}\n`);
  io.stdout.write(
    `Try: curl -s ${server.url}/run/fal-ai/fast-sdxl -H 'Content-Type: application/json'${auth} -d '{"prompt":"a lighthouse at dusk"}'\n`,
  );
  io.stdout.write(
    `${key ? "Requests must carry the key you passed (Authorization: Key ...). " : ""}Use it with FAL_BASE_URL=${server.url} or --base-url ${server.url}. Ctrl-C to stop.\n`,
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
