import { describe, expect, it } from "vitest";
import { ErrorFrame } from "../../src/frames/error.js";
import { TextFrame } from "../../src/frames/text.js";
import { ErrorTap } from "../../src/processors/error-tap.js";
import { runTest } from "../helpers/run-test.js";

describe("ErrorTap", () => {
  it("hands upstream ErrorFrames to its callback, stops them, and forwards everything else", async () => {
    const seen: ErrorFrame[] = [];
    const error = new ErrorFrame("boom");
    const { up, down } = await runTest(new ErrorTap((f) => seen.push(f)), {
      framesToSend: [new TextFrame("a")],
      framesToSendUpstream: [error, new TextFrame("up")],
    });
    expect(seen).toEqual([error]);
    expect(up.map((f) => f.constructor.name)).toEqual(["TextFrame"]);
    expect(down.map((f) => f.constructor.name)).toEqual(["TextFrame"]);
  });
});
