// Runs a Node script of this repository as a child process (the CLI from dist/, the examples) with
// an environment that has no provider key or base URL, so everything goes to the local twins.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The providers' keys and base URLs: a test's child never sees them. */
const PROVIDER_VARIABLES = [
  "FAL_KEY",
  "FAL_BASE_URL",
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "CARTESIA_API_KEY",
  "CARTESIA_BASE_URL",
];

/** The current environment without the providers' keys and base URLs, nor log settings. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of PROVIDER_VARIABLES) delete env[name];
  delete env.PIPECAT_LOG_LEVEL;
  delete env.PIPECAT_DEBUG;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function requireBuild(): void {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run "npm run build" first (npm test does).`);
}

export function runNode(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? cleanEnv(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`timed out: node ${args.join(" ")}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/** Starts a long-running child and resolves once a stdout line matches `pattern`. */
export function startNode(
  args: string[],
  pattern: RegExp,
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{
  child: ChildProcess;
  match: RegExpMatchArray;
  output: () => { stdout: string; stderr: string };
  exited: Promise<RunResult>;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let done = false;
    const exited = new Promise<RunResult>((res) =>
      child.on("close", (code, signal) => res({ code, signal, stdout, stderr })),
    );
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      child.kill("SIGKILL");
      reject(
        new Error(
          `no line matching ${pattern} within the time limit\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 15_000);
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      const match = stdout.match(pattern);
      if (match && !done) {
        done = true;
        clearTimeout(timer);
        resolve({ child, match, output: () => ({ stdout, stderr }), exited });
      }
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    void exited.then((r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(
        new Error(
          `exited (${r.code}) before printing ${pattern}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
        ),
      );
    });
  });
}
