// `pipecat-ts demo`: the web storyboard (a page and a WebSocket on 127.0.0.1).
import {
  CliError,
  EXIT_OK,
  parseCommandArgs,
  parseHost,
  parseIntegerOption,
  parseNumberOption,
  parsePort,
} from "./args.js";
import { falBaseUrlFromEnv, falKeyFromEnv } from "../app/backend.js";
import { describeError } from "../utils/errors.js";
import type { CommandIO } from "./io.js";

export const DEMO_HELP = `Usage: pipecat-ts demo [options]

Serves the web storyboard: write a little story (one scene per line), press Generate,
and watch the panels arrive in order, with live status. Uses fal.ai when FAL_KEY is
set (the key stays on the server), otherwise the embedded local fal server.

Options:
  --port N            port to listen on (default 8080; 0 = any free port)
  --host H            interface (default 127.0.0.1)
  --concurrency N     panels generated at once per page (default 3)
  --inference-ms N    embedded server only: simulated inference time (default 600)
  --workers N         embedded server only: requests generated at once (default 2)
  -h, --help          show this help`;

interface DemoValues {
  port?: string;
  host?: string;
  concurrency?: string;
  "inference-ms"?: string;
  workers?: string;
  help?: boolean;
}

const OPTIONS = {
  port: { type: "string", short: "p" },
  host: { type: "string" },
  concurrency: { type: "string" },
  "inference-ms": { type: "string" },
  workers: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export async function runDemo(argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseCommandArgs<DemoValues>("demo", argv, OPTIONS, false);
  if (values.help) {
    io.stdout.write(`${DEMO_HELP}\n`);
    return EXIT_OK;
  }
  const port = parsePort("--port", values.port, 8080);
  const host = parseHost("--host", values.host, "127.0.0.1");
  const maxConcurrency = parseIntegerOption("--concurrency", values.concurrency, 1, 16) ?? 3;
  const inferenceMs =
    parseNumberOption("--inference-ms", values["inference-ms"], 0, 600_000) ?? 600;
  const workers = parseIntegerOption("--workers", values.workers, 1, 64) ?? 2;

  const { startDemoServer } = await import("../web/server.js");
  const hasKey = falKeyFromEnv(io.env) !== undefined;
  const hasBase = falBaseUrlFromEnv(io.env) !== undefined;
  let demo: Awaited<ReturnType<typeof startDemoServer>>;
  try {
    demo = await startDemoServer({
      host,
      port,
      maxConcurrency,
      env: io.env,
      ...(hasKey || hasBase ? {} : { local: { inferenceMs, workers } }),
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "EADDRINUSE")
      throw new CliError(
        `Port ${port} on ${host} is already in use: pick another with --port (0 = any free port).`,
      );
    throw new CliError(`Cannot start the demo: ${describeError(error)}`);
  }
  if (demo.notice) io.stderr.write(`${demo.notice}\n`);
  io.stdout.write(`Storyboard demo: ${demo.url}/  (Ctrl-C to stop)\n`);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      io.offInterrupt(stop);
      resolve();
    };
    io.onInterrupt(stop);
  });
  await demo.close();
  io.stderr.write("Stopped.\n");
  return EXIT_OK;
}
