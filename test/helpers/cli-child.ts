// Running the built CLI as a child process the way the hostile tests need it: signalled, fed on
// stdin, run as another user; and the checks they share (what is on disk, what was reported).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { CLI, cleanEnv, type RunResult } from "./run-node.js";

/** No line of a stack trace ("    at fn (file:...)"). */
export function expectNoStack(text: string): void {
  expect(text).not.toMatch(/^\s+at .+[:(]/m);
}

/** How many prompts the shared prompt file holds: enough that a run is still going when signalled. */
export const WORKSPACE_PROMPTS = 40;

/** A scratch folder for CLI child processes, with a prompt file of WORKSPACE_PROMPTS lines. */
export interface CliWorkspace {
  dir: string;
  /** WORKSPACE_PROMPTS prompts, one per line ("scene number 1" ...). */
  prompts: string;
  remove: () => Promise<void>;
}

/** Creates a CliWorkspace under the system temp folder; `prefix` names it. */
export async function cliWorkspace(prefix: string): Promise<CliWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  // Other users (a child run with another uid) may pass through.
  await chmod(dir, 0o755);
  const prompts = join(dir, `p${WORKSPACE_PROMPTS}.txt`);
  await writeFile(
    prompts,
    Array.from({ length: WORKSPACE_PROMPTS }, (_, i) => `scene number ${i + 1}`).join("\n"),
  );
  return { dir, prompts, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface Child {
  child: ReturnType<typeof spawn>;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<RunResult>;
}

/** Starts `pipecat-ts <args>` in `cwd`; `uid` runs it as that user (and group). */
export function startCli(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; stdin?: "pipe" | "ignore"; uid?: number },
): Child {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: options.env ?? cleanEnv(),
    stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<RunResult>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}

/** Files in `dir`: all of them, and those that look unfinished (empty, temporary, hidden). */
export async function filesIn(dir: string): Promise<{ all: string[]; suspicious: string[] }> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const suspicious: string[] = [];
  for (const name of names) {
    const info = await stat(join(dir, name));
    if (info.size === 0 || name.startsWith(".") || /\.(tmp|part)$/.test(name))
      suspicious.push(name);
  }
  return { all: names.sort(), suspicious };
}

/** The file names a run reported: --json image lines, or the plain list on stdout. */
export function reported(
  stdout: string,
  json: boolean,
): { files: string[]; summaryImages?: number } {
  const lines = stdout.split("\n").filter((l) => l.trim() !== "");
  if (!json) return { files: lines.map((l) => l.split("/").pop() as string).sort() };
  const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const files = objects
    .filter((o) => o.type === "image")
    .map((o) => String(o.file).split("/").pop() as string)
    .sort();
  const summary = objects.find((o) => o.type === "summary");
  return { files, summaryImages: summary ? Number(summary.images) : undefined };
}

/** Resident set size of a running process (Linux), 0 once it is gone. */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}
