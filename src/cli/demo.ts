// `pipecat-ts demo [storyboard|calendar]`: a Pipecat bot server (the page at /, Pipecat's
// WebSocket at /ws) on 127.0.0.1.
import {
  CliError,
  EXIT_FAILURE,
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

/** Months the calendar narrates at most, and by default (January to December). */
const MAX_CALENDAR_MONTHS = 12;
const BOTS = ["storyboard", "calendar"] as const;

/** The bot named on the command line (default storyboard). */
function parseBotName(name: string | undefined): (typeof BOTS)[number] {
  if (name === undefined) return "storyboard";
  const bot = BOTS.find((b) => b === name.trim().toLowerCase());
  if (bot === undefined)
    throw new UsageError(
      `Unknown bot ${JSON.stringify(name)}: use storyboard or calendar. See "pipecat-ts demo --help".`,
    );
  return bot;
}

export const DEMO_HELP = `Usage: pipecat-ts demo [storyboard|calendar] [options]

Serves a Pipecat bot: its page at http://127.0.0.1:8080/ (built on Pipecat's own web
client) and Pipecat's WebSocket at /ws, which any Pipecat client app can connect to.

  storyboard  (default) write a little story, one scene per line: each line becomes a
              panel, drawn by fal and shown in order, with live status, Stop and settings
  calendar    a calendar narrated: for each month a sentence, spoken, and a picture shown
              as the month's speech starts

Uses fal.ai (and OpenAI, Cartesia for the calendar) when the keys are set; the keys stay
on the server. Without them, the embedded local twins answer.

Options:
  --port N            port to listen on (default 8080; 0 = any free port)
  --host H            interface (default 127.0.0.1); beyond loopback (e.g. 0.0.0.0) it also
                      needs --allowed-host, and anyone who can reach the port spends your key
  --allowed-host NAME a host name the page is opened by, besides 127.0.0.1, localhost and
                      [::1] (repeatable or comma-separated; "*" = any). Other Host or Origin
                      headers get 403 (this stops DNS rebinding)
  --allowed-origin O  the origin of a Pipecat client app served elsewhere that may connect
                      from a browser, e.g. http://localhost:5173 (repeatable)
  --backend B         auto (default), fal (require FAL_KEY) or local (embedded server)
  --base-url URL      a fal-compatible server, e.g. one started by "pipecat-ts serve"
                      (default $FAL_BASE_URL)
  --concurrency N     storyboard: panels generated at once per page (default 3)
  --months N          calendar: months narrated, from January (1 to 12; default 12)
  --inference-ms N    embedded server only: simulated inference time (default 600)
  --workers N         embedded server only: requests generated at once (default 2)
  -h, --help          show this help`;

interface DemoValues {
  port?: string;
  host?: string;
  "allowed-host"?: string[];
  "allowed-origin"?: string[];
  backend?: string;
  "base-url"?: string;
  concurrency?: string;
  months?: string;
  "inference-ms"?: string;
  workers?: string;
  help?: boolean;
}

const OPTIONS = {
  port: { type: "string", short: "p" },
  host: { type: "string" },
  "allowed-host": { type: "string", multiple: true },
  "allowed-origin": { type: "string", multiple: true },
  backend: { type: "string" },
  "base-url": { type: "string" },
  concurrency: { type: "string" },
  months: { type: "string" },
  "inference-ms": { type: "string" },
  workers: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export async function runDemo(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs<DemoValues>("demo", argv, OPTIONS);
  if (values.help) {
    io.stdout.write(`${DEMO_HELP}\n`);
    return EXIT_OK;
  }
  if (positionals.length > 1)
    throw new UsageError(
      `"demo" takes one bot name at most (got ${positionals.map((p) => JSON.stringify(p)).join(", ")}): use storyboard or calendar. See "pipecat-ts demo --help".`,
    );
  const bot = parseBotName(positionals[0]);
  // An option of the other bot would be silently ignored: say so instead.
  if (bot === "storyboard" && values.months !== undefined)
    throw new UsageError(
      `--months is for the calendar bot: "pipecat-ts demo calendar --months ${values.months}".`,
    );
  if (bot === "calendar" && values.concurrency !== undefined)
    throw new UsageError(
      "--concurrency is for the storyboard bot; the calendar has no such option.",
    );
  const months =
    parseIntegerOption("--months", values.months, 1, MAX_CALENDAR_MONTHS) ?? MAX_CALENDAR_MONTHS;
  const port = parsePort("--port", values.port, 8080);
  const host = parseHost("--host", values.host, "127.0.0.1");
  const maxConcurrency = parseIntegerOption("--concurrency", values.concurrency, 1, 16) ?? 3;
  const inferenceMs =
    parseNumberOption("--inference-ms", values["inference-ms"], 0, 600_000) ?? 600;
  const workers = parseIntegerOption("--workers", values.workers, 1, 64) ?? 2;
  const backend = parseChoice("--backend", values.backend, BACKEND_CHOICES) ?? "auto";
  const baseUrl = parseBaseUrlOption("--base-url", values["base-url"]);
  const allowedHosts = parseAllowedHosts("--allowed-host", values["allowed-host"]);
  const allowedOrigins = values["allowed-origin"] ?? [];
  try {
    createHostPolicy({ bindAddress: host, port, allowedHosts, allowedOrigins });
  } catch (error) {
    if (!(error instanceof SettingsValidationError)) throw error;
    if (error.field === "allowedOrigins")
      throw new UsageError(`Invalid --allowed-origin "${String(error.value)}": ${error.allowed}.`);
    if (allowedHosts.length > 0) throw usageErrorFromSettings(error);
    throw new UsageError(
      `--host ${host} can be reached from other machines: also give --allowed-host NAME for each host name the page is opened by (or --allowed-host "*" for any).`,
    );
  }

  const { startDemoServer } = await import("../web/demo.js");
  let demo: Awaited<ReturnType<typeof startDemoServer>>;
  try {
    demo = await startDemoServer({
      bot,
      months,
      host,
      port,
      allowedHosts,
      allowedOrigins,
      backend,
      baseUrl,
      maxConcurrency,
      env: io.env,
      local: { inferenceMs, workers },
      twins: { fal: { inferenceMs, workers } },
    });
  } catch (error) {
    if (error instanceof BackendConfigError) throw usageErrorFromBackend(error);
    if (error instanceof SettingsValidationError) throw usageErrorFromSettings(error);
    const code = (error as { code?: string }).code;
    if (code === "EADDRINUSE")
      throw new CliError(
        `Port ${port} on ${host} is already in use: pick another with --port (0 = any free port).`,
      );
    throw new CliError(`Cannot start the demo: ${describeError(error)}`, EXIT_FAILURE, {
      cause: error,
    });
  }
  if (demo.notice) io.stderr.write(`${demo.notice}\n`);
  if (demo.warning) io.stderr.write(`${demo.warning}\n`);
  const title = bot === "calendar" ? "Calendar demo" : "Storyboard demo";
  io.stdout.write(
    `${title}: ${demo.url}/  (Pipecat clients: ${demo.url.replace("http", "ws")}/ws; Ctrl-C to stop)\n`,
  );

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
