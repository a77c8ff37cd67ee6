import { describe, expect, it } from "vitest";
import type { Frame } from "../../src/frames/base.js";
import { EndFrame } from "../../src/frames/lifecycle.js";
import { TextFrame } from "../../src/frames/text.js";
import { OutputSequencer } from "../../src/processors/output-sequencer.js";

const text = (t: string): TextFrame => new TextFrame(t);
const names = (frames: Frame[]): string[] =>
  frames.map((f) => (f instanceof TextFrame ? f.text : f.constructor.name));

function sequencer(): { seq: OutputSequencer; out: Frame[] } {
  const out: Frame[] = [];
  const seq = new OutputSequencer(async (frame) => {
    await new Promise((r) => setTimeout(r, 1)); // pushes take time: order must still hold
    out.push(frame);
  });
  return { seq, out };
}

describe("OutputSequencer", () => {
  it("holds a later slot's frames until every earlier slot is closed", async () => {
    const { seq, out } = sequencer();
    const a = seq.open();
    const b = seq.open();
    b.emit(text("b1"), "downstream");
    b.close();
    a.emit(text("a1"), "downstream");
    await new Promise((r) => setTimeout(r, 20));
    expect(names(out)).toEqual(["a1"]);
    a.emit(text("a2"), "downstream");
    a.close();
    await seq.idle();
    expect(names(out)).toEqual(["a1", "a2", "b1"]);
  });

  it("streams the head slot without waiting for it to close", async () => {
    const { seq, out } = sequencer();
    const a = seq.open();
    a.emit(text("a1"), "downstream");
    await new Promise((r) => setTimeout(r, 20));
    expect(names(out)).toEqual(["a1"]);
    a.close();
  });

  it("keeps pass-through frames in place", async () => {
    const { seq, out } = sequencer();
    const a = seq.open();
    const passed = seq.passThrough(text("after-a"), "downstream");
    a.emit(text("a1"), "downstream");
    a.close();
    await passed;
    expect(names(out)).toEqual(["a1", "after-a"]);
  });

  it("clear() drops pending frames but keeps the ones selected, in order", async () => {
    const { seq, out } = sequencer();
    const a = seq.open();
    const b = seq.open();
    b.emit(text("b1"), "downstream");
    const end = new EndFrame();
    void seq.passThrough(end, "downstream");
    const dropped = seq.clear((f) => f.uninterruptible);
    a.emit(text("late"), "downstream");
    a.close();
    await seq.idle();
    expect(dropped).toBe(3);
    expect(out).toEqual([end]);
  });
});
