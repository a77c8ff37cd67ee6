import { describe, expect, it } from "vitest";
import type { Frame } from "../../src/frames/base.js";
import { EndFrame, InterruptionFrame, StartFrame } from "../../src/frames/lifecycle.js";
import { TextFrame } from "../../src/frames/text.js";
import { FrameDirection } from "../../src/processors/direction.js";
import { FrameFifo, InputQueue, ProcessQueue } from "../../src/processors/queues.js";
import { UninterruptibleTaggedFrame, UrgentFrame } from "../helpers/test-processors.js";

const text = (s: string): TextFrame => new TextFrame(s);

function drain(fifo: {
  take(): Frame | undefined;
  direction: FrameDirection;
}): Array<[string, FrameDirection]> {
  const out: Array<[string, FrameDirection]> = [];
  for (let f = fifo.take(); f !== undefined; f = fifo.take())
    out.push([f instanceof TextFrame ? f.text : f.constructor.name, fifo.direction]);
  return out;
}

describe("FrameFifo", () => {
  it("keeps order and directions across growth and wrap-around, and after retain()", () => {
    const fifo = new FrameFifo();
    const expected: string[] = [];
    let n = 0;
    // Interleave pushes and shifts so the ring wraps while growing.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 37; i++) {
        fifo.push(
          text(String(n)),
          n % 3 === 0 ? FrameDirection.UPSTREAM : FrameDirection.DOWNSTREAM,
        );
        expected.push(String(n));
        n++;
      }
      for (let i = 0; i < 20; i++) {
        const f = fifo.shift() as TextFrame;
        const want = expected.shift() as string;
        expect(f.text).toBe(want);
        expect(fifo.direction).toBe(
          Number(want) % 3 === 0 ? FrameDirection.UPSTREAM : FrameDirection.DOWNSTREAM,
        );
      }
    }
    expect(fifo.length).toBe(expected.length);
    fifo.retain((f) => Number((f as TextFrame).text) % 2 === 0);
    const kept = expected.filter((t) => Number(t) % 2 === 0);
    expect(fifo.length).toBe(kept.length);
    for (const want of kept) {
      expect((fifo.shift() as TextFrame).text).toBe(want);
      expect(fifo.direction).toBe(
        Number(want) % 3 === 0 ? FrameDirection.UPSTREAM : FrameDirection.DOWNSTREAM,
      );
    }
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.length).toBe(0);
    // Usable again after being emptied (and shrunk).
    fifo.push(text("again"), FrameDirection.DOWNSTREAM);
    expect((fifo.shift() as TextFrame).text).toBe("again");
  });
});

describe("InputQueue", () => {
  it("StartFrame first, then system frames, then the rest; FIFO within a tier, directions kept", () => {
    const q = new InputQueue();
    q.put(text("a"), FrameDirection.DOWNSTREAM);
    q.put(new UrgentFrame(), FrameDirection.UPSTREAM);
    q.put(text("b"), FrameDirection.UPSTREAM);
    q.put(new StartFrame(), FrameDirection.DOWNSTREAM);
    q.put(new InterruptionFrame(), FrameDirection.DOWNSTREAM);
    expect(q.length).toBe(5);
    expect(drain(q)).toEqual([
      ["StartFrame", "downstream"],
      ["UrgentFrame", "upstream"],
      ["InterruptionFrame", "downstream"],
      ["a", "downstream"],
      ["b", "upstream"],
    ]);
  });
});

describe("ProcessQueue", () => {
  it("reset() keeps only uninterruptible frames, in order", () => {
    const q = new ProcessQueue();
    q.put(text("a"), FrameDirection.DOWNSTREAM);
    q.put(new UninterruptibleTaggedFrame("u1"), FrameDirection.UPSTREAM);
    q.put(text("b"), FrameDirection.DOWNSTREAM);
    q.put(new EndFrame(), FrameDirection.DOWNSTREAM);
    q.reset();
    expect(drain(q)).toEqual([
      ["UninterruptibleTaggedFrame", "upstream"],
      ["EndFrame", "downstream"],
    ]);
  });
});
