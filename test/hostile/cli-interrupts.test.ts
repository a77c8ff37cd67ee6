// Stopping `pipecat-ts generate` from outside: Ctrl-C at random moments, SIGTERM, Ctrl-C twice, a
// reader that quits early. Whatever the moment, what the run reported is what is on disk, and no
// empty or temporary file is left. Rows of docs/hostile-inputs.md ("CLI", "Signals").
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CliWorkspace,
  cliWorkspace,
  expectNoStack,
  filesIn,
  reported,
  sleep,
  startCli as start,
  until,
} from "../helpers/cli-child.js";
import { CLI, cleanEnv, requireBuild, type RunResult } from "../helpers/run-node.js";

let work: string;
/** WORKSPACE_PROMPTS (40) prompts, one per line. */
let prompts40: string;
let workspace: CliWorkspace;

beforeAll(async () => {
  requireBuild();
  workspace = await cliWorkspace("pipecat-hostile-signals-");
  work = workspace.dir;
  prompts40 = workspace.prompts;
});
afterAll(async () => {
  await workspace?.remove();
});

const startCli = (args: string[]) => start(args, { cwd: work });

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
