// `pipecat-ts demo`: the web storyboard (a page and a WebSocket on 127.0.0.1).
import {
  CliError,
  EXIT_OK,
  UsageError,
  parseAllowedHosts,
  parseBaseUrlOption,
  parseChoice,
  parseCommandArgs,
  parseHost,
  parseIntegerOption,
  parseNumberOption,
  parsePort,
  usageErrorFromBackend,
  usageErrorFromSettings,
} from "./args.js";
import { BACKEND_CHOICES, BackendConfigError } from "../app/backend.js";
import { createHostPolicy } from "../server/host-guard.js";
import { SettingsValidationError, describeError } from "../utils/errors.js";
import type { CommandIO } from "./io.js";

export const DEMO_HELP = `Usage: pipecat-ts demo [options]

Serves the web storyboard: write a little story (one scene per line), press Generate,
and watch the panels arrive in order, with live status. Uses fal.ai when FAL_KEY is
set (the key stays on the server), otherwise the embedded local fal server.

Options:
  --port N            port to listen on (default 8080; 0 = any free port)
  --host H            interface (default 127.0.0.1); beyond loopback (e.g. 0.0.0.0) it also
                      needs --allowed-host, and anyone who can reach the port spends your key
  --allowed-host NAME a host name the page is opened by, besides 127.0.0.1, localhost and
                      [::1] (repeatable or comma-separated; "*" = any). Other Host or Origin
                      headers get 403 (this stops DNS rebinding)
  --backend B         auto (default), fal (require FAL_KEY) or local (embedded server)
  --base-url URL      a fal-compatible server, e.g. one started by "pipecat-ts serve"
                      (default $FAL_BASE_URL)
  --concurrency N     panels generated at once per page (default 3)
  --inference-ms N    embedded server only: simulated inference time (default 600)
  --workers N         embedded server only: requests generated at once (default 2)
  -h, --help          show this help`;

interface DemoValues {
  port?: string;
  host?: string;
  "allowed-host"?: string[];
  backend?: string;
  "base-url"?: string;
  concurrency?: string;
  "inference-ms"?: string;
  workers?: string;
  help?: boolean;
}

const OPTIONS = {
  port: { type: "string", short: "p" },
  host: { type: "string" },
  "allowed-host": { type: "string", multiple: true },
  backend: { type: "string" },
  "base-url": { type: "string" },
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
  const backend = parseChoice("--backend", values.backend, BACKEND_CHOICES) ?? "auto";
  const baseUrl = parseBaseUrlOption("--base-url", values["base-url"]);
  const allowedHosts = parseAllowedHosts("--allowed-host", values["allowed-host"]);
  try {
    createHostPolicy({ bindAddress: host, port, allowedHosts });
  } catch (error) {
    if (!(error instanceof SettingsValidationError)) throw error;
    if (allowedHosts.length > 0) throw usageErrorFromSettings(error);
    throw new UsageError(
      `--host ${host} can be reached from other machines: also give --allowed-host NAME for each host name the page is opened by (or --allowed-host "*" for any).`,
    );
  }

  const { startDemoServer } = await import("../web/server.js");
  let demo: Awaited<ReturnType<typeof startDemoServer>>;
  try {
    demo = await startDemoServer({
      host,
      port,
      allowedHosts,
      backend,
      baseUrl,
      maxConcurrency,
      env: io.env,
      local: { inferenceMs, workers },
    });
  } catch (error) {
    if (error instanceof BackendConfigError) throw usageErrorFromBackend(error);
    if (error instanceof SettingsValidationError) throw usageErrorFromSettings(error);
    const code = (error as { code?: string }).code;
    if (code === "EADDRINUSE")
      throw new CliError(
        `Port ${port} on ${host} is already in use: pick another with --port (0 = any free port).`,
      );
    throw new CliError(`Cannot start the demo: ${describeError(error)}`);
  }
  if (demo.notice) io.stderr.write(`${demo.notice}\n`);
  if (demo.warning) io.stderr.write(`${demo.warning}\n`);
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
