import { describe, expect, it } from "vitest";
import { InterruptionFrame } from "../../src/frames/lifecycle.js";
import { TextFrame } from "../../src/frames/text.js";
import { IdentityFilter } from "../../src/processors/identity-filter.js";
import { runTest, SleepFrame } from "../helpers/run-test.js";

describe("a processor whose task has ended", () => {
  it("runs again in a new task", async () => {
    const processor = new IdentityFilter();
    const first = await runTest(processor, {
      framesToSend: [new TextFrame("a"), new InterruptionFrame(), new SleepFrame(10)],
    });
    expect(
      first.down.filter((f) => f instanceof TextFrame).map((f) => (f as TextFrame).text),
    ).toEqual(["a"]);
    const second = await runTest(processor, {
      framesToSend: [new TextFrame("b"), new TextFrame("c")],
    });
    expect(second.down.map((f) => (f as TextFrame).text)).toEqual(["b", "c"]);
  }, 10_000);
});
