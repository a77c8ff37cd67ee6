// ProtobufFrameSerializer against Pipecat's official one (@pipecat-ai/websocket-transport 1.7.1),
// both ways, and against hand-computed bytes for the frame kinds the official one does not know.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import {
  InputAudioRawFrame,
  OutputAudioRawFrame,
  TTSAudioRawFrame,
} from "../../src/frames/audio.js";
import { InterruptionFrame } from "../../src/frames/lifecycle.js";
import { TTSTextFrame } from "../../src/frames/speech.js";
import { LLMTextFrame, TextFrame, TranscriptionFrame } from "../../src/frames/text.js";
import {
  InputTransportMessageFrame,
  OutputTransportMessageFrame,
  OutputTransportMessageUrgentFrame,
} from "../../src/frames/transport.js";
import type { DeserializeFailure } from "../../src/serializers/base-serializer.js";
import { ProtobufFrameSerializer } from "../../src/serializers/protobuf.js";
import { cleanEnv, requireBuild, ROOT } from "../helpers/run-node.js";
import { loadPipecatClient } from "../helpers/pipecat-client.js";

type Official = InstanceType<
  Awaited<ReturnType<typeof loadPipecatClient>>["transport"]["ProtobufFrameSerializer"]
>;

let official: Official;
const ours = new ProtobufFrameSerializer();

beforeAll(async () => {
  const { transport } = await loadPipecatClient();
  official = new transport.ProtobufFrameSerializer();
});

/** 16-bit LE PCM of a few known samples. */
function pcm(samples: number[]): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const view = new DataView(out.buffer);
  for (const [i, s] of samples.entries()) view.setInt16(i * 2, s, true);
  return out;
}

function deserializeOrFail(bytes: Uint8Array | string): {
  frame: ReturnType<ProtobufFrameSerializer["deserialize"]>;
  failures: DeserializeFailure[];
} {
  const failures: DeserializeFailure[] = [];
  const frame = ours.deserialize(bytes, (f) => failures.push(f));
  return { frame, failures };
}

const RTVI_MESSAGE = {
  label: "rtvi-ai",
  type: "client-message",
  id: "a1b2c3d4",
  data: { t: "settings", d: { seed: 7, prompt: "un café ☕", nested: [1, null, true] } },
};

describe("official client → ours", () => {
  it("reads the official audio frame as InputAudioRawFrame", () => {
    const samples = [0, 1, -1, 32767, -32768, 1234];
    const bytes = official.serializeAudio(pcm(samples).buffer as ArrayBuffer, 16000, 1);
    const { frame, failures } = deserializeOrFail(bytes);
    expect(failures).toEqual([]);
    expect(frame).toBeInstanceOf(InputAudioRawFrame);
    const audio = frame as InputAudioRawFrame;
    expect(audio.sampleRate).toBe(16000);
    expect(audio.numChannels).toBe(1);
    expect([...audio.audio]).toEqual([...pcm(samples)]);
    expect(audio.numFrames).toBe(samples.length);
  });

  it("reads the official message frame as InputTransportMessageFrame", () => {
    const bytes = official.serializeMessage(RTVI_MESSAGE as never);
    const { frame, failures } = deserializeOrFail(bytes);
    expect(failures).toEqual([]);
    expect(frame).toBeInstanceOf(InputTransportMessageFrame);
    expect((frame as InputTransportMessageFrame).message).toEqual(RTVI_MESSAGE);
  });

  it("reads a 1 MiB message (the client's own cap)", () => {
    const big = { ...RTVI_MESSAGE, data: { t: "big", d: "x".repeat(1024 * 1024 - 200) } };
    const bytes = official.serializeMessage(big as never);
    expect(bytes.byteLength).toBeGreaterThan(1024 * 1024 - 200);
    const { frame } = deserializeOrFail(bytes);
    expect((frame as InputTransportMessageFrame).message).toEqual(big);
  });
});

describe("ours → official client", () => {
  it("writes audio the official client decodes to the same samples", async () => {
    const samples = [5, -5, 1000, -1000, 0, 42, 32767, -32768];
    const frame = new TTSAudioRawFrame({ audio: pcm(samples), sampleRate: 24000, numChannels: 1 });
    const bytes = ours.serialize(frame);
    expect(bytes).toBeInstanceOf(Uint8Array);
    const decoded = await official.deserialize(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    expect(decoded.type).toBe("audio");
    expect([...(decoded as { audio: Int16Array }).audio]).toEqual(samples);
  });

  it("writes urgent and queued transport messages the official client decodes", async () => {
    for (const frame of [
      new OutputTransportMessageUrgentFrame(RTVI_MESSAGE),
      new OutputTransportMessageFrame(RTVI_MESSAGE),
    ]) {
      const bytes = ours.serialize(frame) as Uint8Array<ArrayBuffer>;
      const decoded = await official.deserialize(new Blob([bytes]));
      expect(decoded).toEqual({ type: "message", message: RTVI_MESSAGE });
    }
  });

  it("writes the same bytes as the official client for the same message", () => {
    const theirs = official.serializeMessage(RTVI_MESSAGE as never);
    const mine = ours.serialize(new OutputTransportMessageUrgentFrame(RTVI_MESSAGE));
    expect(Buffer.from(mine as Uint8Array).equals(Buffer.from(theirs))).toBe(true);
  });

  it("carries pts only when set and non-zero", () => {
    const frame = new OutputAudioRawFrame({ audio: pcm([1]), sampleRate: 24000 });
    const without = ours.serialize(frame) as Uint8Array;
    frame.pts = 123_456_789_000;
    const withPts = ours.serialize(frame) as Uint8Array;
    expect(withPts.byteLength).toBeGreaterThan(without.byteLength);
    // Field 6 (pts) is tag 0x30 inside the AudioRawFrame.
    expect([...withPts]).toContain(0x30);
    expect((ours.deserialize(withPts) as InputAudioRawFrame).pts).toBe(123_456_789_000);
  });
});

/** Protobuf bytes written by hand from the schema table (pipecat-live.md §2). */
function lengthDelimited(tag: number, body: number[]): number[] {
  return [tag, body.length, ...body];
}
const utf8 = (s: string): number[] => [...Buffer.from(s, "utf8")];

describe("frame kinds the official client lacks (text, transcription, interruption)", () => {
  it("writes TextFrame as oneof field 1 with id, name and text", () => {
    const frame = new TextFrame("hi");
    const bytes = ours.serialize(frame) as Uint8Array;
    const name = utf8(frame.name);
    const inner = [
      0x08,
      ...varint(frame.id),
      ...lengthDelimited(0x12, name),
      0x1a,
      2,
      ...utf8("hi"),
    ];
    expect([...bytes]).toEqual(lengthDelimited(0x0a, inner));
    const back = ours.deserialize(bytes);
    expect(back).toBeInstanceOf(TextFrame);
    expect((back as TextFrame).text).toBe("hi");
  });

  it("writes TranscriptionFrame as oneof field 3 and reads it back", () => {
    const frame = new TranscriptionFrame("hello there", "user-1", "2026-01-02T03:04:05.000Z");
    const bytes = ours.serialize(frame) as Uint8Array;
    expect(bytes[0]).toBe(0x1a);
    const back = ours.deserialize(bytes) as TranscriptionFrame;
    expect(back).toBeInstanceOf(TranscriptionFrame);
    expect([back.text, back.userId, back.timestamp]).toEqual([
      "hello there",
      "user-1",
      "2026-01-02T03:04:05.000Z",
    ]);
  });

  it("writes InterruptionFrame as oneof field 5 only when asked", () => {
    const frame = new InterruptionFrame();
    expect(ours.serialize(frame)).toBeUndefined();
    const withInterruptions = new ProtobufFrameSerializer({ interruptions: true });
    const bytes = withInterruptions.serialize(frame) as Uint8Array;
    const inner = [0x08, ...varint(frame.id), ...lengthDelimited(0x12, utf8(frame.name))];
    expect([...bytes]).toEqual(lengthDelimited(0x2a, inner));
    expect(ours.deserialize(bytes)).toBeInstanceOf(InterruptionFrame);
  });

  it("is rejected by the official client 1.7.1, which is why the transport never sends them by default", async () => {
    for (const frame of [new TextFrame("x"), new TranscriptionFrame("y")]) {
      const bytes = ours.serialize(frame) as Uint8Array<ArrayBuffer>;
      await expect(official.deserialize(new Blob([bytes]))).rejects.toThrow("Unknown frame kind");
    }
  });

  it("does not write subclasses Pipecat does not write (LLMTextFrame, TTSTextFrame)", () => {
    expect(ours.serialize(new LLMTextFrame("a"))).toBeUndefined();
    expect(ours.serialize(new TTSTextFrame("a", "sentence"))).toBeUndefined();
  });
});

describe("malformed input", () => {
  it("gives undefined and a typed reason, never a throw", () => {
    const cases: Array<[Uint8Array | string, DeserializeFailure["kind"], string?]> = [
      ["not binary", "text-message"],
      [new Uint8Array([0x12, 0x50, 0x01]), "malformed-protobuf"],
      [
        new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        "malformed-protobuf",
      ],
      [new Uint8Array([]), "empty-frame"],
      [
        new Uint8Array(lengthDelimited(0x22, lengthDelimited(0x0a, utf8("{nope")))),
        "malformed-json",
      ],
      [
        new Uint8Array(lengthDelimited(0x12, [0x1a, 2, 1, 2, 0x28, 1])),
        "invalid-field",
        "audio.sample_rate",
      ],
      [
        new Uint8Array(lengthDelimited(0x12, [0x1a, 3, 1, 2, 3, 0x20, 0x80, 0x7d, 0x28, 1])),
        "invalid-field",
        "audio.audio",
      ],
      [
        new Uint8Array(lengthDelimited(0x12, [0x1a, 2, 1, 2, 0x20, 0x80, 0x7d])),
        "invalid-field",
        "audio.num_channels",
      ],
    ];
    for (const [input, kind, field] of cases) {
      const { frame, failures } = deserializeOrFail(input);
      expect(frame, `${kind}`).toBeUndefined();
      expect(failures.map((f) => f.kind)).toEqual([kind]);
      if (field) expect(failures[0]?.field).toBe(field);
      expect(failures[0]?.message.length).toBeGreaterThan(0);
    }
  });

  it("never echoes the payload in the reason", () => {
    const secret = "sk-not-a-real-key-0123456789";
    const bytes = new Uint8Array(lengthDelimited(0x22, lengthDelimited(0x0a, utf8(`{${secret}`))));
    const { failures } = deserializeOrFail(bytes);
    expect(failures[0]?.message).not.toContain(secret);
  });

  it("skips messages that cannot be JSON (a BigInt) instead of throwing", () => {
    expect(ours.serialize(new OutputTransportMessageUrgentFrame({ n: 1n }))).toBeUndefined();
    expect(ours.serialize(new OutputTransportMessageUrgentFrame(undefined))).toBeUndefined();
  });
});

describe("packaging", () => {
  it("ships proto/frames.proto in the package next to dist", async () => {
    requireBuild();
    // --ignore-scripts: without it npm runs the `prepare` script, a full rebuild (tsc + esbuild)
    // that took most of the time (past 30 s under load) and rewrote dist/ while other test files
    // were loading it. npm test has just built dist/; list what would be packed from it.
    const { stdout } = await promisify(execFile)(
      "npm",
      ["pack", "--dry-run", "--ignore-scripts", "--json"],
      { cwd: ROOT, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 },
    );
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map(
      (f) => f.path,
    );
    // The serializer reads the schema at ../../proto/frames.proto from its own module.
    expect(files).toContain("dist/serializers/protobuf.js");
    expect(files).toContain("proto/frames.proto");
  });
});

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
