// A reader slower than the CLI (a loaded machine, a pager, a slow consumer) still gets every line:
// the process ends only once its output has left it. Exiting right after the command returned
// (process.exit) dropped what a pipe had not taken yet: the tail of a 200,000-line --dry-run --json
// went missing on a loaded machine. Rows of docs/hostile-inputs.md ("CLI", "Signals and closed
// streams"). The child-process tests hold a real pipe's reader still, so they do not depend on load.
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, Readable, Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exitWhenFlushed } from "../../src/cli/io.js";
import { main, runProgram } from "../../src/cli/main.js";
import { flushed } from "../../src/cli/terminal.js";
import {
  type CliWorkspace,
  cliWorkspace,
  expectNoStack,
  filesIn,
  reported,
  sleep,
  until,
} from "../helpers/cli-child.js";
import { CLI, cleanEnv, requireBuild } from "../helpers/run-node.js";
import { pipeCapacity, stalledPipe } from "../helpers/stalled-pipe.js";

/** How long a slow sink takes to accept each chunk. */
const SINK_DELAY_MS = 20;
/** How long the stalled reader waits for the CLI to exit before it starts reading. */
const READER_DELAY_MS = 1_500;
/** No new file for this long: the CLI waits for its reader. */
const STALL_MS = 1_000;
/** Node's default high-water mark for a stream: below it, write() returns true and never waits. */
const HIGH_WATER_MARK_BYTES = 16 * 1024;

let work: string;
let workspace: CliWorkspace;

beforeAll(async () => {
  requireBuild();
  workspace = await cliWorkspace("pipecat-hostile-slow-reader-");
  work = workspace.dir;
});
afterAll(async () => {
  await workspace?.remove();
});

/** A stdout or stderr that takes each chunk SINK_DELAY_MS after it is written: a slow reader. */
class SlowSink extends Writable {
  text = "";
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    setTimeout(() => {
      this.text += chunk.toString("utf8");
      done();
    }, SINK_DELAY_MS);
  }
}

function inProcessIO(stdout: Writable, stderr: Writable) {
  return {
    stdin: Readable.from([]),
    stdinIsTTY: true,
    stdout,
    stderr,
    env: cleanEnv(),
    cwd: work,
    onInterrupt: () => undefined,
    offInterrupt: () => undefined,
  };
}

/** `pipecat-ts <args>` through main() in-process, read at once: the output a reader should get. */
async function outputOf(args: string[]): Promise<string> {
  const stdout = new PassThrough();
  let text = "";
  stdout.on("data", (d: Buffer) => (text += d.toString("utf8")));
  await main(args, inProcessIO(stdout, new PassThrough()));
  return text;
}

describe("a reader slower than the CLI gets every line", () => {
  it.each([
    [["generate", "--dry-run", "--json", "--out", "dry", "a fox", "a hen", "a cat"], 0],
    [["generate", "--dry-run", "--out", "dry", "a fox", "a hen"], 0],
    [["--help"], 0],
    [["--version"], 0],
    [["generate", "x", "--size", "huge"], 2],
  ])(
    "the program ends only once slow stdout and stderr have taken everything: %j",
    async (args, code) => {
      const stdout = new SlowSink();
      const stderr = new SlowSink();
      const exits: { code: number; stdout: string; stderr: string }[] = [];
      await runProgram(args, inProcessIO(stdout, stderr), (exitCode) => {
        exits.push({ code: exitCode, stdout: stdout.text, stderr: stderr.text });
      });
      // Everything the sinks were given, once they have taken it.
      await Promise.all([flushed(stdout), flushed(stderr)]);
      expect(exits).toHaveLength(1);
      const [exit] = exits;
      expect(exit?.code, exit?.stderr).toBe(code);
      // What each sink had been given when the process would have ended: all of it.
      expect(exit?.stdout).toBe(stdout.text);
      expect(exit?.stderr).toBe(stderr.text);
      expect(`${exit?.stdout}${exit?.stderr}`).not.toBe("");
      if (args.includes("--json")) {
        const lines = (exit?.stdout ?? "").trim().split("\n");
        expect(lines).toHaveLength(4);
        expect(JSON.parse(lines[3] as string)).toMatchObject({ type: "summary", prompts: 3 });
      }
    },
  );

  it("flushed() waits for what a stream still holds, not for an idle or failed one", async () => {
    const idle = new SlowSink();
    let order: string[] = [];
    const idleDone = flushed(idle).then(() => order.push("idle"));
    setTimeout(() => order.push("timer"), 0);
    await sleep(5);
    await idleDone;
    expect(order).toEqual(["idle", "timer"]);

    const busy = new SlowSink();
    busy.write("one\n");
    busy.write("two\n");
    order = [];
    await flushed(busy);
    expect(busy.text).toBe("one\ntwo\n");

    // A reader that went away (EPIPE): nothing more can leave, so waiting must end.
    const failing = new Writable({
      write: (_chunk, _encoding, done) =>
        setTimeout(() => done(Object.assign(new Error("EPIPE"), { code: "EPIPE" })), 5),
    });
    failing.on("error", () => undefined);
    failing.write("lost\n");
    await flushed(failing);
    expect(failing.destroyed).toBe(true);
    await flushed(failing);

    // The bound a forced exit (a second Ctrl-C) puts on the wait.
    const stuck = new Writable({ write: () => undefined });
    stuck.write("never taken\n");
    let exitedWith: number | undefined;
    await exitWhenFlushed(130, {
      streams: [stuck],
      exit: (c) => (exitedWith = c),
      limitMs: 50,
    });
    expect(exitedWith).toBe(130);
    expect(stuck.writableLength).toBeGreaterThan(0);
  });

  it("generate --dry-run --json into a pipe nobody reads yet: every line arrives once the reader starts", async () => {
    const promptFile = async (count: number): Promise<string> => {
      const file = join(work, `dry-${count}.txt`);
      const lines = Array.from({ length: count }, (_, i) => `prompt ${i} ${"x".repeat(160)}`);
      await writeFile(file, `${lines.join("\n")}\n`);
      return file;
    };
    const args = (file: string) => [
      "generate",
      "--file",
      file,
      "--dry-run",
      "--json",
      "--out",
      "dry",
    ];
    const sample = (await outputOf(args(await promptFile(300)))).split("\n");
    const line = `${sample[150]}\n`;
    const capacity = await pipeCapacity(work, line);
    // Enough lines that about 8 KB stay in the CLI once the pipe is full: under its high-water
    // mark, so no write waits and the CLI gets to its exit with them still in memory.
    const count = Math.ceil((capacity + 8 * 1024) / line.length);
    const file = await promptFile(count);
    const expected = await outputOf(args(file));
    const held = Buffer.byteLength(expected) - capacity;
    expect(held).toBeGreaterThan(4 * 1024);
    expect(held).toBeLessThan(HIGH_WATER_MARK_BYTES - 2 * line.length);

    const pipe = stalledPipe(work);
    const child = spawn(process.execPath, [CLI, ...args(file)], {
      cwd: work,
      env: cleanEnv(),
      stdio: ["ignore", pipe.writeFd, "pipe"],
    });
    pipe.detach();
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    // An early exit would happen here, with `held` bytes still in the CLI's memory.
    await Promise.race([exited, sleep(READER_DELAY_MS)]);
    const received = (await pipe.readAll()).toString("utf8");
    expect(await exited, stderr).toBe(0);
    expect(received.split("\n").length, `${received.length} of ${expected.length} bytes`).toBe(
      expected.split("\n").length,
    );
    expect(received === expected).toBe(true);
  }, 60_000);

  it("Ctrl-C twice while the reader is stalled: the last lines still arrive, disk equals the report", async () => {
    const PROMPT_CHARS = 200;
    /** No --json image line is shorter: the prompt alone, and over 100 characters of fields. */
    const MIN_LINE_BYTES = PROMPT_CHARS + 100;
    const IMAGES_PER_PROMPT = 8;
    const capacity = await pipeCapacity(work, `${"c".repeat(1023)}\n`);
    // Far more image lines than fit in the pipe and the CLI's buffer: the run cannot end unread.
    const prompts = Math.ceil((capacity + 2 * HIGH_WATER_MARK_BYTES) / MIN_LINE_BYTES / 8) + 4;
    const file = join(work, "stalled-ctrl-c.txt");
    await writeFile(
      file,
      Array.from({ length: prompts }, (_, i) =>
        `scene ${i} `.padEnd(PROMPT_CHARS, "abcdefghij".charAt(i % 10)),
      ).join("\n"),
    );
    const out = join(work, "stalled-ctrl-c");
    const pipe = stalledPipe(work);
    const child = spawn(
      process.execPath,
      [
        CLI,
        "generate",
        "--file",
        file,
        "--json",
        "--num-images",
        String(IMAGES_PER_PROMPT),
        "--size",
        "64x64",
        "--concurrency",
        "2",
        "--out",
        out,
      ],
      { cwd: work, env: cleanEnv(), stdio: ["ignore", pipe.writeFd, "pipe"] },
    );
    pipe.detach();
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    // The run stalls once the pipe is full and the CLI holds a high-water mark of lines: no new
    // file for a while. (Were it only slow, the signals would come early: no false failure.)
    await untilStalled(() => countFiles(out));
    child.kill("SIGINT");
    await sleep(300);
    child.kill("SIGINT");
    // An immediate exit would happen here, dropping the lines the pipe had no room for.
    await Promise.race([exited, sleep(500)]);
    const received = (await pipe.readAll()).toString("utf8");
    expect(await exited, stderr).toBe(130);
    expect(stderr).toMatch(/^Stopped at once: \d+ image\(s\) written/m);
    expectNoStack(stderr);
    const lines = received.trim().split("\n");
    const last = JSON.parse(lines.at(-1) as string) as Record<string, unknown>;
    expect(last.type, `${lines.length} lines`).toBe("summary");
    for (const l of lines.slice(0, -1)) expect(l.length).toBeGreaterThanOrEqual(MIN_LINE_BYTES);
    const disk = await filesIn(out);
    const report = reported(received, true);
    expect(disk.suspicious).toEqual([]);
    expect(disk.all).toEqual(report.files);
    expect(report.summaryImages).toBe(report.files.length);
    // More than the pipe holds was written before the exit: some of it waited in the CLI.
    expect(Buffer.byteLength(received)).toBeGreaterThan(capacity);
  }, 60_000);
});

/** Resolves once `count()` is above 0 and has not changed for STALL_MS. */
async function untilStalled(count: () => number): Promise<void> {
  let last = -1;
  let since = Date.now();
  await until(() => {
    const now = count();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
    return now > 0 && Date.now() - since >= STALL_MS;
  }, 30_000);
}

/** How many files `dir` holds now (0 before it exists). */
function countFiles(dir: string): number {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
}
