// Hostile inputs and faults at the `pipecat-ts` command line, run as a user runs it (a child
// process of dist/cli/main.js, no FAL_KEY, the embedded local fal server): each test is a row of
// docs/hostile-inputs.md ("CLI").
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, cleanEnv, requireBuild, runNode } from "../helpers/run-node.js";

let work: string;

beforeAll(async () => {
  requireBuild();
  work = await mkdtemp(join(tmpdir(), "pipecat-hostile-cli-"));
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
