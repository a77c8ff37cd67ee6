// Hostile inputs and faults at the `pipecat-ts` command line, run as a user runs it (a child
// process of dist/cli/main.js, no FAL_KEY, the embedded local fal server): each test is a row of
// docs/hostile-inputs.md ("CLI").
import { spawn } from "node:child_process";
import { chmod, lstat, mkdir, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalFalServer } from "../../src/local/fal/index.js";
import {
  type CliWorkspace,
  cliWorkspace,
  expectNoStack,
  filesIn,
  reported,
  rssOf,
  sleep,
  startCli as start,
  until,
} from "../helpers/cli-child.js";
import { CLI, cleanEnv, requireBuild, runNode } from "../helpers/run-node.js";

let work: string;
/** WORKSPACE_PROMPTS (40) prompts, one per line. */
let prompts40: string;
let workspace: CliWorkspace;

beforeAll(async () => {
  requireBuild();
  workspace = await cliWorkspace("pipecat-hostile-cli-");
  work = workspace.dir;
  prompts40 = workspace.prompts;
});
afterAll(async () => {
  await workspace?.remove();
});

const startCli = (
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: "pipe" | "ignore"; uid?: number } = {},
) => start(args, { cwd: work, ...options });

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

  it("--dry-run refuses the same --out (pseudo filesystem, a file) and creates nothing", async () => {
    const file = join(work, "dry-not-a-dir.txt");
    await writeFile(file, "x");
    for (const [dir, pattern] of [
      ["/proc/x", /--out "\/proc\/x": it is on procfs/],
      [file, /--out ".*dry-not-a-dir\.txt": it is a file/],
    ] as const) {
      const r = await runNode([CLI, "generate", "a fox", "--dry-run", "--out", dir], { cwd: work });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
    }
    const fresh = join(work, "dry-fresh", "sub");
    const ok = await runNode([CLI, "generate", "a fox", "--dry-run", "--out", fresh], {
      cwd: work,
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe(`${fresh}/01-a-fox.png`);
    await expect(lstat(join(work, "dry-fresh"))).rejects.toThrow(/ENOENT/);
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
