// Every CLI option given a bad value, through the CLI's own entry point (main(), in-process, so
// the sweep stays fast): exit 2 and one line naming the option, the value given and what is allowed.
// Rows of docs/hostile-inputs.md ("CLI", "Options"); the child-process rows are in cli.test.ts.
import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { expectNoStack } from "../helpers/cli-child.js";
import { cleanEnv } from "../helpers/run-node.js";

/** Runs `pipecat-ts <args>` in-process; expects exit 2 and one stderr line, returns its message. */
async function usageMessage(args: string[]): Promise<string> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await main(args, {
    stdin: Readable.from([]),
    stdinIsTTY: false,
    stdout,
    stderr,
    env: cleanEnv(),
    cwd: process.cwd(),
    onInterrupt: () => undefined,
    offInterrupt: () => undefined,
  });
  const lines = err.trim().split("\n");
  expect(code, err).toBe(2);
  expect(lines, err).toHaveLength(1);
  expect(out).toBe("");
  expectNoStack(err);
  return (lines[0] as string).replace(/^pipecat-ts: /, "");
}

type Row = [string[], string | RegExp];

/** A row for a numeric option given `value`: the one line names it and the range allowed. */
function outOfRange(command: string[], option: string, value: string, allowed: string): Row {
  return [[...command, option, value], `Invalid ${option} "${value}": expected ${allowed}.`];
}

describe("every option: a bad value names the option, the value and what is allowed", () => {
  const MAX_SEED = String(Number.MAX_SAFE_INTEGER);
  it.each([
    // generate
    outOfRange(["generate", "x"], "--seed", "-1", `an integer from 0 to ${MAX_SEED}`),
    outOfRange(["generate", "x"], "--seed", "1.5", `an integer from 0 to ${MAX_SEED}`),
    outOfRange(["generate", "x"], "--seed", "1e99", `an integer from 0 to ${MAX_SEED}`),
    outOfRange(
      ["generate", "x"],
      "--seed",
      "99999999999999999999",
      `an integer from 0 to ${MAX_SEED}`,
    ),
    outOfRange(["generate", "x"], "--steps", "NaN", "an integer from 1 to 50"),
    outOfRange(["generate", "x"], "--steps", "-3", "an integer from 1 to 50"),
    outOfRange(["generate", "x"], "--num-images", "1000000000", "an integer from 1 to 8"),
    outOfRange(["generate", "x"], "--num-images", "Infinity", "an integer from 1 to 8"),
    outOfRange(["generate", "x"], "--concurrency", "0", "an integer from 1 to 64"),
    outOfRange(["generate", "x"], "--concurrency", "1e9", "an integer from 1 to 64"),
    outOfRange(["generate", "x"], "--concurrency", "0x10", "an integer from 1 to 64"),
    outOfRange(["generate", "x"], "--timeout", "NaN", "a number from 1 to 3600"),
    outOfRange(["generate", "x"], "--timeout", "Infinity", "a number from 1 to 3600"),
    outOfRange(["generate", "x"], "--timeout", "-5", "a number from 1 to 3600"),
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
    outOfRange(["demo"], "--port", "-1", "an integer from 0 to 65535"),
    outOfRange(["demo"], "--port", "70000", "an integer from 0 to 65535"),
    outOfRange(["demo"], "--concurrency", "17", "an integer from 1 to 16"),
    outOfRange(["demo"], "--workers", "0", "an integer from 1 to 64"),
    outOfRange(["demo"], "--inference-ms", "-1", "a number from 0 to 600000"),
    [["demo", "--host", "a b"], /^Invalid --host "a b": expected a host name or IP address/],
    [["demo", "--allowed-host", "evil.example/x"], /^Invalid --allowed-host "evil\.example\/x"/],
    [["serve", "--allowed-host", "box.local:8090"], /^Invalid --allowed-host "box\.local:8090"/],
    [
      ["demo", "--allowed-host", "a.local,b..local"],
      /^Invalid --allowed-host "a\.local,b\.\.local"/,
    ],
    [["demo", "stray"], /^Unknown bot "stray": use storyboard or calendar\./],
    [
      ["demo", "--months", "3"],
      /^--months is for the calendar bot: "pipecat-ts demo calendar --months 3"/,
    ],
    [["demo", "calendar", "--concurrency", "2"], /^--concurrency is for the storyboard bot/],
    [
      ["demo", "--allowed-origin", "localhost:5173"],
      /^Invalid --allowed-origin "localhost:5173": /,
    ],
    [["demo", "storyboard", "calendar"], /^"demo" takes one bot name at most/],
    outOfRange(["demo", "calendar"], "--months", "13", "an integer from 1 to 12"),
    outOfRange(["demo", "calendar"], "--months", "0", "an integer from 1 to 12"),
  ] as Row[])("%j", async (args, expected) => {
    const message = await usageMessage(args);
    if (typeof expected === "string") expect(message).toBe(expected);
    else expect(message).toMatch(expected);
  });

  it("option values with escape sequences are shown escaped, never raw", async () => {
    const line = await usageMessage([
      "generate",
      "x",
      "--size",
      "\u001b[31mred\u001b]0;pwned\u0007",
    ]);
    expect(line).toContain("\\x1b[31mred\\x1b]0;pwned\\x07");
    expect(line.includes("\u001b")).toBe(false);
  });
});
