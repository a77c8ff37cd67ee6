#!/usr/bin/env node
// The `pipecat-ts` command: dispatches to one module per command. User mistakes are one line on
// stderr and exit code 2; run-time failures one line and exit code 1; never a stack trace for
// either (set PIPECAT_DEBUG=1 to see one for an unexpected error). The process ends only once
// its output has left it: a slow reader of a pipe gets every line.
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { setLogger, silentLogger } from "../utils/logger.js";
import { redactText, secretsFromEnv } from "../utils/secrets.js";
import { terminalSafe, terminalSafeLines } from "./terminal.js";
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from "./args.js";
import { DEMO_HELP, runDemo } from "./demo.js";
import { GENERATE_HELP, runGenerate } from "./generate.js";
import { exitWhenFlushed, processIO, type CommandIO } from "./io.js";
import { SERVE_HELP, runServe } from "./serve.js";
import { describeError } from "../utils/errors.js";

export const MAIN_HELP = `pipecat-ts: fal.ai image generation in a Pipecat-style frame pipeline.

Usage: pipecat-ts <command> [options]

Commands:
  generate "<prompt>" ...   generate images (prompts also from --file F or stdin, one per line)
  serve                     run the local twins of fal, OpenAI and Cartesia on one port
                            (a preview renderer, a scripted LLM, a speech engine; not models)
  demo [storyboard|calendar]
                            serve a Pipecat bot and its page on http://127.0.0.1:8080/
  help [command]            show help for a command

Options:
  -h, --help                show this help
  -v, --version             show the version

Without FAL_KEY (and OPENAI_API_KEY, CARTESIA_API_KEY for the calendar), generate and demo use
embedded local twins and say so.
Examples:
  pipecat-ts generate "a lighthouse at dusk, watercolor" --size landscape_16_9 --out out
  printf 'a fox\\na hen\\n' | pipecat-ts generate --json
  pipecat-ts serve --port 8787
  pipecat-ts demo calendar --months 3
Run "pipecat-ts <command> --help" for a command's options.`;

const COMMANDS: Record<
  string,
  { run: (argv: string[], io: CommandIO) => Promise<number>; help: string }
> = {
  generate: { run: runGenerate, help: GENERATE_HELP },
  serve: { run: runServe, help: SERVE_HELP },
  demo: { run: runDemo, help: DEMO_HELP },
};

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    ) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: string[], io: CommandIO = processIO()): Promise<number> {
  // Library logs would duplicate the CLI's own messages; PIPECAT_LOG_LEVEL brings them back.
  if (!io.env.PIPECAT_LOG_LEVEL) setLogger(silentLogger);
  // Every provider key: demo calendar reads OpenAI and Cartesia keys too.
  const secrets = secretsFromEnv(io.env);
  // A reader that went away (EPIPE) or a closed stream must never crash the CLI with a stack
  // trace; commands that stream output watch for it themselves (see terminal.ts).
  for (const stream of [io.stdout, io.stderr])
    if (stream.listenerCount("error") === 0) stream.on("error", () => undefined);
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === "-h" || first === "--help") {
      io.stdout.write(`${MAIN_HELP}\n`);
      return first === undefined ? EXIT_USAGE : EXIT_OK;
    }
    if (first === "-v" || first === "--version") {
      io.stdout.write(`${packageVersion()}\n`);
      return EXIT_OK;
    }
    if (first === "help") {
      const topic = rest[0];
      if (topic === undefined) {
        io.stdout.write(`${MAIN_HELP}\n`);
        return EXIT_OK;
      }
      const command = COMMANDS[topic];
      if (!command)
        throw new UsageError(
          `Unknown command "${topic}". Commands: ${Object.keys(COMMANDS).join(", ")}.`,
        );
      io.stdout.write(`${command.help}\n`);
      return EXIT_OK;
    }
    const command = COMMANDS[first];
    if (!command) {
      const hint = first.startsWith("-")
        ? `Unknown option ${first}.`
        : `Unknown command "${first}".`;
      throw new UsageError(
        `${hint} Commands: ${Object.keys(COMMANDS).join(", ")}. Run "pipecat-ts --help".`,
      );
    }
    return await command.run(rest, io);
  } catch (error) {
    // Messages echo what the user gave (option values, file names): never raw control characters.
    if (error instanceof UsageError) {
      io.stderr.write(`pipecat-ts: ${terminalSafe(redactText(error.message, secrets))}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof CliError) {
      io.stderr.write(`pipecat-ts: ${terminalSafe(redactText(error.message, secrets))}\n`);
      return error.exitCode;
    }
    const message = describeError(error);
    io.stderr.write(
      `pipecat-ts: unexpected error: ${terminalSafe(redactText(message, secrets))}\n`,
    );
    if (io.env.PIPECAT_DEBUG && error instanceof Error && error.stack)
      io.stderr.write(`${terminalSafeLines(redactText(error.stack, secrets))}\n`);
    return EXIT_FAILURE;
  }
}

/** True when this module is the program being run (not imported by a test). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/**
 * The program: runs `main`, then ends the process with its exit code once stdout and stderr have
 * flushed. The exit is forced because the commands close their servers and sockets but a handle
 * could still keep Node alive; forcing it earlier would drop lines still held for a slow reader.
 */
export async function runProgram(
  argv: string[],
  io: CommandIO = processIO(),
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<void> {
  let code: number;
  try {
    code = await main(argv, io);
  } catch (error) {
    io.stderr.write(`pipecat-ts: unexpected error: ${describeError(error)}\n`);
    code = EXIT_FAILURE;
  }
  await exitWhenFlushed(code, { streams: [io.stdout, io.stderr], exit });
}

if (isEntryPoint())
  void runProgram(process.argv.slice(2), processIO(), (code) => process.exit(code));
