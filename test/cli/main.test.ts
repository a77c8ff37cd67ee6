// main() in-process: what it prints on a user mistake never carries a provider key, whichever
// of FAL_KEY, OPENAI_API_KEY or CARTESIA_API_KEY holds it; and CLI errors keep their cause.
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { UsageError, openPromptFile } from "../../src/cli/args.js";
import { main } from "../../src/cli/main.js";
import { SECRET_ENV_VARS } from "../../src/utils/secrets.js";
import { cleanEnv } from "../helpers/run-node.js";

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = "";
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await main(args, {
    stdin: Readable.from([]),
    stdinIsTTY: false,
    stdout,
    stderr,
    env,
    cwd: process.cwd(),
    onInterrupt: () => undefined,
    offInterrupt: () => undefined,
  });
  return { code, err };
}

describe("main: errors are scrubbed of every provider key", () => {
  it.each(SECRET_ENV_VARS.map((name) => [name]))("%s", async (name) => {
    const key = `sk-${name.toLowerCase()}-0123456789abcdef`;
    // An unknown command is echoed in the usage error: here it is the key itself.
    const { code, err } = await run([key], cleanEnv({ [name]: key }));
    expect(code).toBe(2);
    expect(err).toContain('Unknown command "[REDACTED]"');
    expect(err).not.toContain(key);
  });
});

describe("CLI errors keep their cause", () => {
  it("a --file the system refuses for another reason is a UsageError carrying that error", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pipecat-cli-cause-"));
    try {
      const loop = join(dir, "loop");
      await symlink(loop, loop); // opening it fails with ELOOP, a code with no message of its own
      const error = await openPromptFile(loop).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as UsageError).message).toMatch(/^Cannot read --file ".*loop": /);
      expect((error as UsageError).cause).toMatchObject({ code: "ELOOP" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
