// Hostile inputs and faults at the `pipecat-ts` command line, run as a user runs it (a child
// process of dist/cli/main.js, no FAL_KEY, the embedded local fal server): each test is a row of
// docs/hostile-inputs.md ("CLI").
import { spawn } from "node:child_process";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalFalServer } from "../../src/local-fal/index.js";
import { CLI, ROOT, cleanEnv, requireBuild, runNode, type RunResult } from "../helpers/run-node.js";

let work: string;
/** 40 prompts, one per line. */
let prompts40: string;

beforeAll(async () => {
  requireBuild();
  work = await mkdtemp(join(tmpdir(), "pipecat-hostile-cli-"));
  // Other users (the unprivileged child of the --out test) may pass through.
  await chmod(work, 0o755);
  prompts40 = join(work, "p40.txt");
  await writeFile(
    prompts40,
    Array.from({ length: 40 }, (_, i) => `scene number ${i + 1}`).join("\n"),
  );
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** No line of a stack trace ("    at fn (file:...)"). */
function expectNoStack(text: string): void {
  expect(text).not.toMatch(/^\s+at .+[:(]/m);
}

/** Runs the CLI; expects exit 2 and exactly one stderr line matching `pattern`. */
async function expectUsageError(
  args: string[],
  pattern: RegExp,
  env: NodeJS.ProcessEnv = cleanEnv(),
): Promise<string> {
  const r = await runNode([CLI, ...args], { cwd: work, env, input: "" });
  const lines = r.stderr.trim().split("\n");
  expect(r.code, r.stderr).toBe(2);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expectNoStack(r.stderr);
  return lines[0] as string;
}

describe("backend messages", () => {
  it("FAL_BASE_URL=garbage names the environment variable, and nothing says 'Using … garbage'", async () => {
    for (const command of [
      ["generate", "a fox"],
      ["demo", "--port", "0"],
    ]) {
      const line = await expectUsageError(
        command,
        /FAL_BASE_URL "garbage".*http:\/\/ or https:\/\//,
        cleanEnv({ FAL_BASE_URL: "garbage" }),
      );
      expect(line).not.toMatch(/baseUrl|Using/);
    }
  });

  it("demo has --backend and --base-url like generate", async () => {
    await expectUsageError(
      ["demo", "--backend", "fal"],
      /--backend fal needs a fal API key.*FAL_KEY/,
    );
    await expectUsageError(["demo", "--backend", "cloud"], /Invalid --backend "cloud": use auto/);
    await expectUsageError(["demo", "--base-url", "ftp://x"], /Invalid --base-url "ftp:\/\/x"/);
    const help = await runNode([CLI, "demo", "--help"]);
    for (const flag of ["--backend", "--base-url", "--allowed-host"])
      expect(help.stdout).toContain(flag);
  });

  it("demo --host beyond loopback without --allowed-host is refused before listening", async () => {
    await expectUsageError(
      ["demo", "--port", "0", "--host", "0.0.0.0"],
      /--host 0\.0\.0\.0 can be reached from other machines: .*--allowed-host/,
    );
    await expectUsageError(
      ["demo", "--port", "0", "--allowed-host", "a b"],
      /Invalid --allowed-host "a b"/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Helpers: a child CLI we can signal, and the check that the report equals the disk.

interface Child {
  child: ReturnType<typeof spawn>;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<RunResult>;
}

function startCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: "pipe" | "ignore"; uid?: number } = {},
): Child {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: work,
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(10);
  }
}

/** Files in `dir`: all of them, and those that look unfinished (empty, temporary, hidden). */
async function filesIn(dir: string): Promise<{ all: string[]; suspicious: string[] }> {
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
function reported(stdout: string, json: boolean): { files: string[]; summaryImages?: number } {
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

// ---------------------------------------------------------------------------------------------

describe("interrupted runs: what is reported is what is on disk", () => {
  it("SIGINT at random moments (15 runs): disk equals the report, no empty or temporary files", async () => {
    for (let run = 0; run < 15; run++) {
      const json = run % 2 === 0;
      const out = join(work, `sigint-${run}`);
      const cli = startCli([
        "generate",
        "--file",
        prompts40,
        "--concurrency",
        String(1 + (run % 3)),
        "--size",
        "768x768",
        "--out",
        out,
        ...(json ? ["--json"] : []),
      ]);
      await until(() => cli.stderr().includes("embedded local fal server"));
      await sleep(Math.floor(Math.random() * 700));
      cli.child.kill("SIGINT");
      const result = await cli.exited;
      expect([0, 130], result.stderr).toContain(result.code);
      expectNoStack(result.stderr);
      const disk = await filesIn(out);
      const report = reported(result.stdout, json);
      expect(disk.suspicious, `run ${run}`).toEqual([]);
      expect(disk.all, `run ${run}: ${result.stderr}`).toEqual(report.files);
      if (json) expect(report.summaryImages).toBe(report.files.length);
    }
  }, 120_000);

  it("SIGTERM stops like Ctrl-C: exit 143, disk equals the report", async () => {
    const out = join(work, "sigterm");
    const cli = startCli([
      "generate",
      "--file",
      prompts40,
      "--concurrency",
      "1",
      "--out",
      out,
      "--json",
    ]);
    await until(() => cli.stdout().includes('"type":"image"'));
    cli.child.kill("SIGTERM");
    const result = await cli.exited;
    expect(result.code, result.stderr).toBe(143);
    const disk = await filesIn(out);
    expect(disk.suspicious).toEqual([]);
    expect(disk.all).toEqual(reported(result.stdout, true).files);
    expect(result.stderr).toMatch(/^Cancelled: \d+ image\(s\) written/m);
  }, 30_000);

  it("SIGINT twice stops at once, still leaving no temporary or empty files", async () => {
    const out = join(work, "sigint-twice");
    const cli = startCli([
      "generate",
      "--file",
      prompts40,
      "--concurrency",
      "4",
      "--size",
      "1024x1024",
      "--out",
      out,
      "--json",
    ]);
    await until(() => cli.stdout().includes('"type":"image"'));
    cli.child.kill("SIGINT");
    cli.child.kill("SIGINT");
    const result = await cli.exited;
    expect(result.code, result.stderr).toBe(130);
    expectNoStack(result.stderr);
    const disk = await filesIn(out);
    expect(disk.suspicious).toEqual([]);
    expect(disk.all).toEqual(reported(result.stdout, true).files);
  }, 30_000);
});

describe("a reader that quits early", () => {
  it("generate --json | head -1 ends quietly: exit 141, no stack, no partial files", async () => {
    const out = join(work, "epipe");
    const script = `set -o pipefail; "${process.execPath}" "${CLI}" generate --file "${prompts40}" --json --concurrency 4 --out "${out}" | head -1; echo "status=\${PIPESTATUS[0]}" >&2`;
    const result = await new Promise<RunResult>((resolve) => {
      const child = spawn("bash", ["-c", script], { cwd: work, env: cleanEnv() });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ type: "image", index: 0 });
    expect(result.stderr).toMatch(/status=141/);
    expect(result.stderr).not.toMatch(/EPIPE|Error|error/);
    expectNoStack(result.stderr);
    const disk = await filesIn(out);
    expect(disk.suspicious).toEqual([]);
    // In-flight work was cancelled: far from all 40 prompts ran.
    expect(disk.all.length).toBeLessThan(40);
  }, 30_000);

  it("a closed stdout pipe (reader gone before the first line) ends quietly too", async () => {
    const out = join(work, "epipe-early");
    const cli = startCli(["generate", "--file", prompts40, "--out", out]);
    cli.child.stdout?.destroy();
    const result = await cli.exited;
    expect(result.code, result.stderr).toBe(141);
    expectNoStack(result.stderr);
    expect((await filesIn(out)).suspicious).toEqual([]);
  }, 30_000);
});

describe("--out that cannot be written", () => {
  it.each(["/proc/x", "/proc/self/pipecat-out", "/sys/pipecat-out", "/dev/pipecat-out"])(
    "--out %s is refused up front (exit 2, one line, no hang)",
    async (dir) => {
      try {
        const r = await runNode([CLI, "generate", "a fox", "--out", dir], {
          cwd: work,
          timeoutMs: 10_000,
        });
        expect(r.code, r.stderr).toBe(2);
        const lines = r.stderr.trim().split("\n");
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(/--out ".*": .*(pseudo|system)/);
        expectNoStack(r.stderr);
      } finally {
        // Were it not refused, root could create it: leave /dev as it was.
        if (dir.startsWith("/dev/")) await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it("--out naming a file, or a path under a file, is exit 2 with one line before any request", async () => {
    const fal = await startLocalFalServer({ port: 0 });
    try {
      const file = join(work, "not-a-dir.txt");
      await writeFile(file, "x");
      for (const [dir, pattern] of [
        [file, /--out ".*not-a-dir\.txt": it is a file/],
        [join(file, "sub"), /--out ".*not-a-dir\.txt\/sub": .*not a directory/],
      ] as const) {
        const r = await runNode([CLI, "generate", "a fox", "--base-url", fal.url, "--out", dir], {
          cwd: work,
        });
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
        expect(r.stderr).toMatch(pattern);
      }
      expect(fal.stats().requests).toBe(0);
    } finally {
      await fal.close();
    }
  });

  it("an unwritable --out is exit 2 with one line before any request", async () => {
    const fal = await startLocalFalServer({ port: 0 });
    const locked = join(work, "locked");
    await mkdir(locked, { mode: 0o555 });
    await chmod(locked, 0o555);
    try {
      // Root ignores permissions: run the CLI as "nobody" then.
      const uid = process.getuid?.() === 0 ? 65534 : undefined;
      for (const dir of [locked, join(locked, "sub")]) {
        const cli = startCli(["generate", "a", "b", "c", "--base-url", fal.url, "--out", dir], {
          uid,
        });
        const r = await cli.exited;
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
        expect(r.stderr).toMatch(/--out ".*locked.*": .*(permission|not writable)/i);
        expect(r.stderr).not.toMatch(/Error processing frame/);
      }
      expect(fal.stats().requests).toBe(0);
    } finally {
      await fal.close();
    }
  });
});

describe("prompts that stream in", () => {
  it("stdin is read as prompts arrive, with backpressure: an endless producer stays bounded", async () => {
    const out = join(work, "endless");
    const cli = startCli(
      ["generate", "--concurrency", "16", "--size", "64x64", "--out", out, "--json"],
      { stdin: "pipe" },
    );
    const stdin = cli.child.stdin as NodeJS.WritableStream;
    stdin.on("error", () => undefined);
    const line = Buffer.from(`${"a prompt that repeats ".repeat(4)}\n`);
    const chunk = Buffer.concat(Array.from({ length: 512 }, () => line));
    let accepted = 0;
    let writing = true;
    const producer = (async () => {
      while (writing) {
        const ok = stdin.write(chunk);
        accepted += chunk.length;
        if (!ok)
          await new Promise((resolve) => {
            stdin.once("drain", resolve);
            stdin.once("close", resolve);
            stdin.once("error", resolve);
          });
      }
    })();
    await until(() => cli.stdout().split('"type":"image"').length > 50, 20_000);
    await sleep(1500);
    const rss = rssOf(cli.child.pid as number);
    writing = false;
    cli.child.kill("SIGINT");
    const result = await cli.exited;
    await producer.catch(() => undefined);
    // A CLI that slurps stdin takes hundreds of MB in this time (2.7 GB in 12 s was seen).
    expect(accepted).toBeLessThan(16 * 1024 * 1024);
    expect(rss).toBeLessThan(400 * 1024 * 1024);
    expect(result.code, result.stderr).toBe(130);
    const disk = await filesIn(out);
    expect(disk.suspicious).toEqual([]);
    expect(disk.all).toEqual(reported(result.stdout, true).files);
  }, 60_000);

  it("a 200,000-line prompt file streams through --dry-run in bounded memory", async () => {
    const file = join(work, "p200k.txt");
    const body = Array.from({ length: 200_000 }, (_, i) => `prompt ${i} ${"x".repeat(180)}`);
    await writeFile(file, `${body.join("\n")}\n`);
    const cli = startCli([
      "generate",
      "--file",
      file,
      "--dry-run",
      "--json",
      "--out",
      join(work, "dry"),
    ]);
    let peak = 0;
    const poll = setInterval(() => {
      peak = Math.max(peak, rssOf(cli.child.pid as number));
    }, 20);
    const result = await cli.exited;
    clearInterval(poll);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(200_001);
    expect(JSON.parse(lines[199_999] as string)).toMatchObject({
      type: "prompt",
      index: 199_999,
    });
    expect(JSON.parse(lines[200_000] as string)).toMatchObject({
      type: "summary",
      prompts: 200_000,
    });
    // The file alone is 38 MB; reading it whole (and its lines, and a frame per line) costs far more.
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(160 * 1024 * 1024);
    expect(await readdir(join(work, "dry")).catch(() => [])).toEqual([]);
  }, 60_000);

  it("an over-long line, invalid UTF-8, control characters and NUL fail their prompt only", async () => {
    const out = join(work, "odd-lines");
    const input = Buffer.concat([
      Buffer.from("first fine prompt\n"),
      Buffer.from(`${"y".repeat(20_000)}\n`),
      Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe, 0x0a]), // "bad " + invalid UTF-8
      Buffer.from("red \u001b[31mtext\u001b[0m\n"),
      Buffer.from("nul\u0000byte\n"),
      Buffer.from("last fine prompt\n"),
    ]);
    const cli = startCli(["generate", "--out", out, "--json", "--size", "64x64"], {
      stdin: "pipe",
    });
    cli.child.stdin?.end(input);
    const result = await cli.exited;
    expect(result.code, result.stderr).toBe(1);
    const objects = result.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const errors = objects.filter((o) => o.type === "error");
    expect(errors.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    expect(String(errors[0]?.message)).toMatch(/prompt 2 is longer than 10000 characters/);
    expect(String(errors[1]?.message)).toMatch(/prompt 3 is not valid UTF-8/);
    expect(String(errors[2]?.message)).toMatch(/prompt 4 contains a control character \(U\+001B\)/);
    expect(String(errors[3]?.message)).toMatch(/prompt 5 contains a control character \(U\+0000\)/);
    expect(objects.filter((o) => o.type === "image").map((o) => o.index)).toEqual([0, 5]);
    // Nothing raw reaches the terminal: no ESC or NUL on either stream.
    const shown = result.stdout + result.stderr;
    expect(shown.includes("\u0000") || shown.includes("\u001b")).toBe(false);
    expect((await filesIn(out)).all).toHaveLength(2);
  }, 30_000);
});

describe("file names and keys", () => {
  it("a prompt holding the key (in any form) never puts it in a file name or on screen", async () => {
    const key = "k3y-9f8e7d6c5b4a-SECRET-0011223344";
    const fal = await startLocalFalServer({ port: 0, requiredKey: key });
    try {
      const out = join(work, "keyed");
      const prompts = [
        `a poster that says ${key}`,
        `lower ${key.toLowerCase()}`,
        `encoded ${encodeURIComponent(key)}`,
      ];
      const r = await runNode(
        [
          CLI,
          "generate",
          ...prompts,
          "--base-url",
          fal.url,
          "--out",
          out,
          "--json",
          "--size",
          "64x64",
        ],
        { cwd: work, env: cleanEnv({ FAL_KEY: key }) },
      );
      expect(r.code, r.stderr).toBe(0);
      const names = (await readdir(out)).join("\n").toLowerCase();
      expect(names).not.toContain(key.toLowerCase());
      expect(names).not.toContain("secret");
      expect((await readdir(out)).sort()).toEqual([
        "01-a-poster-that-says-redacted.png",
        "02-lower-redacted.png",
        "03-encoded-redacted.png",
      ]);
      const shown = (r.stdout + r.stderr).toLowerCase();
      expect(shown).not.toContain(key.toLowerCase());
      expect(shown).not.toContain(encodeURIComponent(key).toLowerCase());
    } finally {
      await fal.close();
    }
  });

  it("a key that is an ordinary word does not blank that word in names or output", async () => {
    const fal = await startLocalFalServer({ port: 0, requiredKey: "test" });
    try {
      const out = join(work, "wordkey");
      const r = await runNode(
        [
          CLI,
          "generate",
          "a test image",
          "--base-url",
          fal.url,
          "--out",
          out,
          "--json",
          "--size",
          "64x64",
        ],
        { cwd: work, env: cleanEnv({ FAL_KEY: "test" }) },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(await readdir(out)).toEqual(["01-a-test-image.png"]);
      expect(JSON.parse(r.stdout.split("\n")[0] as string)).toMatchObject({
        prompt: "a test image",
      });
    } finally {
      await fal.close();
    }
  });

  it("two CLIs writing the same --out at once never overwrite each other", async () => {
    const out = join(work, "shared-out");
    const run = () =>
      runNode(
        [CLI, "generate", "same prompt", "other prompt", "--out", out, "--json", "--size", "64x64"],
        {
          cwd: work,
        },
      );
    const [a, b] = await Promise.all([run(), run()]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const files = [...reported(a.stdout, true).files, ...reported(b.stdout, true).files].sort();
    expect(new Set(files).size).toBe(4);
    expect((await filesIn(out)).all).toEqual(files);
  });
});

/** Resident set size of a running process (Linux), 0 once it is gone. */
function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}
void ROOT;

describe("every option: a bad value names the option, the value and what is allowed", () => {
  const MAX_SEED = String(Number.MAX_SAFE_INTEGER);
  it.each([
    // generate
    [
      ["generate", "x", "--seed", "-1"],
      `Invalid --seed "-1": expected an integer from 0 to ${MAX_SEED}.`,
    ],
    [
      ["generate", "x", "--seed", "1.5"],
      `Invalid --seed "1.5": expected an integer from 0 to ${MAX_SEED}.`,
    ],
    [
      ["generate", "x", "--seed", "1e99"],
      `Invalid --seed "1e99": expected an integer from 0 to ${MAX_SEED}.`,
    ],
    [
      ["generate", "x", "--seed", "99999999999999999999"],
      `Invalid --seed "99999999999999999999": expected an integer from 0 to ${MAX_SEED}.`,
    ],
    [
      ["generate", "x", "--steps", "NaN"],
      'Invalid --steps "NaN": expected an integer from 1 to 50.',
    ],
    [["generate", "x", "--steps", "-3"], 'Invalid --steps "-3": expected an integer from 1 to 50.'],
    [
      ["generate", "x", "--num-images", "1000000000"],
      'Invalid --num-images "1000000000": expected an integer from 1 to 8.',
    ],
    [
      ["generate", "x", "--num-images", "Infinity"],
      'Invalid --num-images "Infinity": expected an integer from 1 to 8.',
    ],
    [
      ["generate", "x", "--concurrency", "0"],
      'Invalid --concurrency "0": expected an integer from 1 to 64.',
    ],
    [
      ["generate", "x", "--concurrency", "1e9"],
      'Invalid --concurrency "1e9": expected an integer from 1 to 64.',
    ],
    [
      ["generate", "x", "--concurrency", "0x10"],
      'Invalid --concurrency "0x10": expected an integer from 1 to 64.',
    ],
    [
      ["generate", "x", "--timeout", "NaN"],
      'Invalid --timeout "NaN": expected a number from 1 to 3600.',
    ],
    [
      ["generate", "x", "--timeout", "Infinity"],
      'Invalid --timeout "Infinity": expected a number from 1 to 3600.',
    ],
    [
      ["generate", "x", "--timeout", "-5"],
      'Invalid --timeout "-5": expected a number from 1 to 3600.',
    ],
    [
      ["generate", "x", "--size", "0x10"],
      /^Invalid --size "0x10": the width 0 is out of range; each side must be an integer from 1 to \d+\.$/,
    ],
    [
      ["generate", "x", "--size", "512x0"],
      /^Invalid --size "512x0": the height 0 is out of range; each side must be an integer from 1 to \d+\.$/,
    ],
    [
      ["generate", "x", "--size", "99999x512"],
      /^Invalid --size "99999x512": the width 99999 is out of range/,
    ],
    [
      ["generate", "x", "--size", "-1x5"],
      /^Invalid --size "-1x5": use square_hd, .* or WIDTHxHEIGHT/,
    ],
    [["generate", "x", "--format", "gif"], 'Invalid --format "gif": use png or jpeg.'],
    [["generate", "x", "--mode", "fast"], 'Invalid --mode "fast": use sync or queue.'],
    [
      ["generate", "x", "--backend", "cloud"],
      'Invalid --backend "cloud": use auto or fal or local.',
    ],
    [
      ["generate", "x", "--model", "no spaces"],
      /^Invalid --model "no spaces": expected a fal model id such as fal-ai\/fast-sdxl/,
    ],
    [
      ["generate", "x", "--base-url", "javascript:alert(1)"],
      /^Invalid --base-url "javascript:alert\(1\)": expected an http:\/\/ or https:\/\/ URL/,
    ],
    [
      ["generate", "x", "--file", "/nonexistent/prompts.txt"],
      'Cannot read --file "/nonexistent/prompts.txt": no such file.',
    ],
    [["generate", "x", "--file", "/"], 'Cannot read --file "/": it is a directory.'],
    [
      ["generate", "x", "--seed", "1", "--seed", "2"],
      'Option --seed is given twice ("1" and "2"): give it once.',
    ],
    [["generate", "x", "--json=yes"], /^Option --json takes no value/],
    [["generate", "x", "--out"], "Option --out needs a value."],
    [["generate", "x", "--out", "--json"], "Option --out needs a value."],
    [["generate", "x", "--frobnicate"], /^Unknown option --frobnicate for "generate"/],
    // demo
    [["demo", "--port", "-1"], 'Invalid --port "-1": expected an integer from 0 to 65535.'],
    [["demo", "--port", "70000"], 'Invalid --port "70000": expected an integer from 0 to 65535.'],
    [
      ["demo", "--concurrency", "17"],
      'Invalid --concurrency "17": expected an integer from 1 to 16.',
    ],
    [["demo", "--workers", "0"], 'Invalid --workers "0": expected an integer from 1 to 64.'],
    [
      ["demo", "--inference-ms", "-1"],
      'Invalid --inference-ms "-1": expected a number from 0 to 600000.',
    ],
    [["demo", "--host", "a b"], /^Invalid --host "a b": expected a host name or IP address/],
    [["demo", "--allowed-host", "evil.example/x"], /^Invalid --allowed-host "evil\.example\/x"/],
    [["demo", "stray"], /^"demo" takes no arguments \(got "stray"\)/],
  ] as Array<[string[], string | RegExp]>)("%j", async (args, expected) => {
    const line = await expectUsageError(args, /./);
    const message = line.replace(/^pipecat-ts: /, "");
    if (typeof expected === "string") expect(message).toBe(expected);
    else expect(message).toMatch(expected);
  });

  it("option values with escape sequences are shown escaped, never raw", async () => {
    const line = await expectUsageError(
      ["generate", "x", "--size", "\u001b[31mred\u001b]0;pwned\u0007"],
      /./,
    );
    expect(line).toContain("\\x1b[31mred\\x1b]0;pwned\\x07");
    expect(line.includes("\u001b")).toBe(false);
  });
});

describe("more hostile inputs and faults", () => {
  it("a symlink planted at an output name is never followed: the image gets the next free name", async () => {
    const out = join(work, "planted");
    const elsewhere = join(work, "elsewhere");
    await mkdir(out, { recursive: true });
    await mkdir(elsewhere, { recursive: true });
    const victim = join(elsewhere, "victim.txt");
    await writeFile(victim, "keep me");
    await symlink(victim, join(out, "01-a-fox.png"));
    const r = await runNode([CLI, "generate", "a fox", "--out", out, "--size", "64x64"], {
      cwd: work,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe("keep me");
    expect(r.stdout.trim()).toMatch(/01-a-fox_2\.png$/);
    expect((await lstat(join(out, "01-a-fox_2.png"))).isFile()).toBe(true);
  });

  it("a closed stderr (2>&-) does not stop the run or crash it", async () => {
    const out = join(work, "no-stderr");
    const script = `"${process.execPath}" "${CLI}" generate "a fox" "a hen" --out "${out}" --size 64x64 2>&-; echo "status=$?"`;
    const { stdout } = await new Promise<{ stdout: string }>((resolve) => {
      const child = spawn("bash", ["-c", script], { cwd: work, env: cleanEnv() });
      let text = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (text += d));
      child.on("close", () => resolve({ stdout: text }));
    });
    expect(stdout).toMatch(/status=0/);
    expect((await filesIn(out)).all).toEqual(["01-a-fox.png", "02-a-hen.png"]);
  });

  it("--file /dev/zero (no line ever ends) holds bounded memory and stops cleanly on Ctrl-C", async () => {
    const out = join(work, "zero");
    const cli = startCli(["generate", "--file", "/dev/zero", "--out", out]);
    await until(() => cli.stderr().includes("embedded local fal server"));
    await sleep(1_000);
    const rss = rssOf(cli.child.pid as number);
    cli.child.kill("SIGINT");
    const result = await cli.exited;
    expect(result.code, result.stderr).toBe(130);
    expect(rss).toBeLessThan(300 * 1024 * 1024);
    expect((await filesIn(out)).all).toEqual([]);
  }, 30_000);

  it("an empty prompt file, or one of comments only, is 'No prompt given' (exit 2)", async () => {
    for (const [name, body] of [
      ["empty.txt", ""],
      ["comments.txt", "# a\n\n   \n# b\n"],
    ]) {
      const file = join(work, name as string);
      await writeFile(file, body as string);
      await expectUsageError(["generate", "--file", file], /^pipecat-ts: No prompt given/);
    }
  });

  it("CRLF line ends and a UTF-8 byte-order mark are not part of the prompts", async () => {
    const out = join(work, "crlf");
    const cli = startCli(["generate", "--out", out, "--json", "--size", "64x64"], {
      stdin: "pipe",
    });
    cli.child.stdin?.end(Buffer.from("\ufeffa fox\r\na hen\r\n", "utf8"));
    const result = await cli.exited;
    expect(result.code, result.stderr).toBe(0);
    const prompts = result.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((o) => o.type === "image")
      .map((o) => o.prompt);
    expect(prompts).toEqual(["a fox", "a hen"]);
    expect((await filesIn(out)).all).toEqual(["01-a-fox.png", "02-a-hen.png"]);
  });

  it("an over-long prompt given as an argument fails alone; the others are generated", async () => {
    const out = join(work, "long-arg");
    const r = await runNode(
      [CLI, "generate", "short", "z".repeat(10_001), "--out", out, "--size", "64x64"],
      { cwd: work },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: prompt 2 is longer than 10000 characters \(1 of 2 prompts\)$/m,
    );
    expect((await filesIn(out)).all).toEqual(["01-short.png"]);
  });

  it("a hostile server's error text reaches the terminal escaped and without the key", async () => {
    const key = "hostile-server-key-7f6e5d4c3b2a";
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(422, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          detail: `\u001b]0;pwned\u0007\u001b[2J bad input (auth was ${req.headers.authorization}, ${key.toUpperCase()})`,
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const json of [false, true]) {
        const r = await runNode(
          [
            CLI,
            "generate",
            "a fox",
            "--base-url",
            url,
            "--mode",
            "sync",
            "--out",
            join(work, "hostile-server"),
            ...(json ? ["--json"] : []),
          ],
          { cwd: work, env: cleanEnv({ FAL_KEY: key }) },
        );
        expect(r.code).toBe(1);
        const shown = r.stdout + r.stderr;
        expect(shown).toContain("bad input");
        expect(shown.includes("\u001b") || shown.includes("\u0007")).toBe(false);
        expect(shown.toLowerCase()).not.toContain(key.toLowerCase());
      }
    } finally {
      server.close();
    }
  });

  it("MaxListenersExceededWarning never appears at --concurrency 16 with 40 prompts", async () => {
    const r = await runNode(
      [
        CLI,
        "generate",
        "--file",
        prompts40,
        "--concurrency",
        "16",
        "--size",
        "64x64",
        "--out",
        join(work, "c16"),
        "--quiet",
      ],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/MaxListenersExceeded|memory leak/);
    expect((await filesIn(join(work, "c16"))).all).toHaveLength(40);
  });
});
