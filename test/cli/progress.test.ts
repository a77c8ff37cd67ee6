// The progress display and the shared argument helpers, in-process.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  UsageError,
  parseIntegerOption,
  parseSizeOption,
  splitPromptLines,
} from "../../src/cli/args.js";
import { failureSummary, imageFileName } from "../../src/cli/generate.js";
import { ProgressDisplay, displayStage } from "../../src/cli/progress.js";

function sink(isTTY: boolean): {
  stream: PassThrough & { isTTY?: boolean; columns?: number };
  text: () => string;
} {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = 120;
  let text = "";
  stream.on("data", (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe("ProgressDisplay", () => {
  it("prints plain lines, once per change, when not a TTY", () => {
    const out = sink(false);
    const display = new ProgressDisplay({ stream: out.stream, total: 2 });
    display.update(0, "queued");
    display.update(0, "queued");
    display.update(0, "in_queue", 2);
    display.update(1, "in_progress");
    display.finished(0, "512x512 png → out/01.png");
    display.update(0, "in_progress"); // late update after done: ignored
    display.failed(1, "boom");
    display.finish();
    expect(out.text().split("\n").filter(Boolean)).toEqual([
      "prompt 1/2 queued",
      "prompt 1/2 in queue (position 3)",
      "prompt 2/2 in progress",
      "prompt 1/2 done: 512x512 png → out/01.png",
    ]);
    expect(display.finishedCount).toBe(2);
  });

  it("updates one line in place on a TTY, with percent done and queue positions", () => {
    const out = sink(true);
    const display = new ProgressDisplay({ stream: out.stream, total: 4, noun: "scene" });
    display.update(0, "in_progress");
    display.update(1, "in_queue", 0);
    display.finished(0, "done");
    const line = display.summaryLine(200);
    expect(line).toMatch(/1\/4\s+25%/);
    expect(line).toContain("2: queue #1");
    expect(line).toContain("2 waiting");
    expect(out.text()).toContain("\r\x1b[2K");
    display.finish();
    expect(out.text().endsWith("\r\x1b[2K")).toBe(true);
  });

  it("maps the service's stages", () => {
    expect(
      [
        "queued",
        "submitted",
        "in_queue",
        "in_progress",
        "downloading",
        "completed",
        "failed",
        "cancelled",
      ].map(displayStage),
    ).toEqual([
      "queued",
      "in_progress",
      "in_queue",
      "in_progress",
      "downloading",
      "done",
      "error",
      "cancelled",
    ]);
  });
});

describe("argument helpers", () => {
  it("parses sizes and numbers or throws one-line UsageErrors", () => {
    expect(parseSizeOption("--size", "Landscape_16_9")).toBe("landscape_16_9");
    expect(parseSizeOption("--size", "1024x768")).toEqual({ width: 1024, height: 768 });
    expect(() => parseSizeOption("--size", "0x10")).toThrow(UsageError);
    expect(parseIntegerOption("--seed", "42", 0, 100)).toBe(42);
    expect(() => parseIntegerOption("--seed", "4.2", 0, 100)).toThrow(/Invalid --seed "4.2"/);
    expect(() => parseIntegerOption("--seed", "", 0, 100)).toThrow(UsageError);
  });

  it("splits prompt lines, skipping blanks and comments", () => {
    expect(splitPromptLines("  a fox \r\n\n# note\nb\n")).toEqual(["a fox", "b"]);
  });

  it("names files after the prompt, in order", () => {
    expect(imageFileName(0, 12, "A Red Fox, in the Snow!", 0, "image/png")).toBe(
      "01-a-red-fox-in-the-snow.png",
    );
    expect(imageFileName(2, 3, "Ça va", 1, "image/jpeg")).toBe("03-ca-va-2.jpg");
    expect(imageFileName(0, 1, "!!!", 0, "image/png")).toBe("01-image.png");
  });

  it("summarises failures in one line when they share a reason", () => {
    const f = (index: number, message: string) => ({
      index,
      prompt: "p",
      message,
      category: undefined,
      status: undefined,
    });
    expect(failureSummary([f(0, "Unknown model."), f(1, "Unknown model.")], 2)).toBe(
      "error: Unknown model (all 2 prompts)",
    );
    expect(failureSummary([f(1, "x")], 3)).toBe("error: x (1 of 3 prompts)");
  });

  it("counts every failure past the kept lines, also past the distinct messages it tracks", () => {
    const failures = Array.from({ length: 250 }, (_, i) => ({
      index: i,
      prompt: "p",
      message: `failure number ${i}`,
      category: undefined,
      status: undefined,
    }));
    const summary = failureSummary(failures, 250).split("\n");
    expect(summary[0]).toBe("error: 250 of 250 prompt(s) failed:");
    expect(summary.at(-1)).toBe(`  ... and ${250 - (summary.length - 2)} more`);
    expect(summary.at(-1)).toBe("  ... and 230 more");
  });
});
