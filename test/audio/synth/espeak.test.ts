// espeak-ng as an external program. These tests need Debian's espeak-ng (CI installs it; locally:
// apt-get install espeak-ng) and fail, not skip, without it. The process-control cases (abort,
// timeout, a reader that stops, a broken program) use a small fake program in its place, so they
// can check that the process is really gone.
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { concatBytes, pcm16Rms } from "../../../src/audio/pcm.js";
import { createSpeechSynthesizer } from "../../../src/audio/synth/create.js";
import { EspeakSynthesizer, findEspeak } from "../../../src/audio/synth/espeak.js";
import {
  SpeechSynthesisError,
  type SpeechSynthesizer,
  type SynthesisRequest,
} from "../../../src/audio/synth/speech-synthesizer.js";
import { SPEECH_VOICES } from "../../../src/audio/synth/voices.js";

const SENTENCE = "A quiet snowy village at dusk, with warm lights glowing in every window.";

async function collect(
  synth: SpeechSynthesizer,
  request: SynthesisRequest,
): Promise<{ pcm: Uint8Array; chunks: number }> {
  const parts: Uint8Array[] = [];
  for await (const part of synth.synthesize(request)) parts.push(part);
  return { pcm: concatBytes(parts), chunks: parts.length };
}

const seconds = (pcm: Uint8Array, rate: number): number => pcm.byteLength / 2 / rate;

/** Whether a process with this pid still exists (a reaped child does not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, timeoutMs = 3_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !alive(pid);
}

/** Children of this process running `name` (from /proc). */
function childrenNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (comm === name && ppid === process.pid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe("espeak-ng (the real program)", () => {
  let synth: SpeechSynthesizer;

  beforeAll(async () => {
    const found = await findEspeak();
    if (!("program" in found)) {
      throw new Error(
        `espeak-ng is required by these tests: ${found.reason}. apt-get install espeak-ng`,
      );
    }
    synth = await createSpeechSynthesizer();
  });

  it("is chosen when installed, and says so in one line", () => {
    expect(synth.engine).toBe("espeak-ng");
    expect(synth.describe()).toMatch(/^speech: espeak-ng \d+\.\d+\S* \(external program, \/\S+\)$/);
  });

  it("speaks: non-silent audio of a plausible length at the asked rate", async () => {
    for (const rate of [8_000, 24_000, 48_000]) {
      const { pcm, chunks } = await collect(synth, { text: SENTENCE, sampleRate: rate });
      expect(pcm16Rms(pcm), `rms at ${rate}`).toBeGreaterThan(0.03);
      expect(seconds(pcm, rate), `seconds at ${rate}`).toBeGreaterThan(2);
      expect(seconds(pcm, rate)).toBeLessThan(12);
      expect(chunks).toBeGreaterThan(0);
    }
  });

  it("takes longer for longer text", async () => {
    const short = await collect(synth, { text: "Snow.", sampleRate: 16_000 });
    const long = await collect(synth, { text: `${SENTENCE} ${SENTENCE}`, sampleRate: 16_000 });
    expect(seconds(long.pcm, 16_000)).toBeGreaterThan(seconds(short.pcm, 16_000) * 3);
  });

  it("speaks a text that starts with '-' instead of taking it as options", async () => {
    // As options, "-v xx" would pick a voice that doesn't exist and "--help" would print text
    // instead of a WAV: either way no audio would come out.
    const { pcm } = await collect(synth, { text: "-v xx --help --stdout", sampleRate: 16_000 });
    expect(seconds(pcm, 16_000)).toBeGreaterThan(1);
    expect(pcm16Rms(pcm)).toBeGreaterThan(0.03);
  });

  it("sounds different for different voices", async () => {
    const a = await collect(synth, {
      text: SENTENCE,
      sampleRate: 16_000,
      voice: SPEECH_VOICES[0]?.id,
    });
    const b = await collect(synth, {
      text: SENTENCE,
      sampleRate: 16_000,
      voice: SPEECH_VOICES[2]?.id,
    });
    expect(Buffer.from(a.pcm).equals(Buffer.from(b.pcm))).toBe(false);
  });

  it("follows speed", async () => {
    const normal = await collect(synth, { text: SENTENCE, sampleRate: 16_000 });
    const fast = await collect(synth, { text: SENTENCE, sampleRate: 16_000, speed: 2 });
    expect(seconds(fast.pcm, 16_000)).toBeLessThan(seconds(normal.pcm, 16_000) * 0.75);
  });

  it("makes no audio, and starts no process, for blank text", async () => {
    expect((await collect(synth, { text: "  ", sampleRate: 16_000 })).pcm.byteLength).toBe(0);
  });

  it("abort kills the process and rejects with the signal's reason", async () => {
    const controller = new AbortController();
    const reason = new Error("interrupted");
    let pids: number[] = [];
    const long = `${SENTENCE} `.repeat(120); // minutes of speech: still running at the first chunk
    await expect(
      (async () => {
        for await (const _ of synth.synthesize({
          text: long,
          sampleRate: 16_000,
          signal: controller.signal,
        })) {
          pids = childrenNamed("espeak-ng");
          controller.abort(reason);
        }
      })(),
    ).rejects.toBe(reason);
    expect(pids.length).toBe(1);
    expect(await waitGone(pids[0] as number)).toBe(true);
  });

  it("bounds the audio produced", async () => {
    const limited = await createSpeechSynthesizer({ maxAudioSeconds: 1 });
    const error = await collect(limited, {
      text: `${SENTENCE} ${SENTENCE}`,
      sampleRate: 16_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpeechSynthesisError);
    expect((error as SpeechSynthesisError).category).toBe("validation");
    expect((error as Error).message).toMatch(/more than 1 s of audio/);
    expect(childrenNamed("espeak-ng")).toEqual([]);
  });
});

describe("espeak-ng process control (a fake program in its place)", () => {
  let dir: string;
  let program: string;
  const pidFile = (): string => join(dir, "pid");
  const envFile = (): string => join(dir, "env.json");

  /** Writes a fake espeak-ng: answers --version, then behaves as `mode` says. */
  function fake(mode: "hang" | "flood" | "garbage" | "fail" | "ok"): string {
    const script = `#!${process.execPath}
const fs = require("node:fs");
if (process.argv.includes("--version")) {
  console.log("eSpeak NG text-to-speech: 9.99-fake  Data at: /nowhere");
  process.exit(0);
}
fs.writeFileSync(${JSON.stringify(pidFile())}, String(process.pid));
fs.writeFileSync(${JSON.stringify(envFile())}, JSON.stringify(process.env));
const header = Buffer.alloc(44);
header.write("RIFF", 0); header.writeUInt32LE(0x7ffff024, 4); header.write("WAVEfmt ", 8);
header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(1, 22);
header.writeUInt32LE(22050, 24); header.writeUInt32LE(44100, 28); header.writeUInt16LE(2, 32);
header.writeUInt16LE(16, 34); header.write("data", 36); header.writeUInt32LE(0x7ffff000, 40);
const tone = Buffer.alloc(4410);
for (let i = 0; i < 2205; i++) tone.writeInt16LE(Math.round(8000 * Math.sin(i / 5)), i * 2);
const mode = ${JSON.stringify(mode)};
if (mode === "fail") { process.stderr.write("boom: no voice"); process.exit(3); }
if (mode === "garbage") { process.stdout.write("this is not a wav file at all"); process.exit(0); }
process.stdout.write(header);
process.stdout.write(tone);
if (mode === "ok") process.exit(0);
if (mode === "hang") setInterval(() => {}, 1000);
if (mode === "flood") { const pump = () => process.stdout.write(tone) ? setImmediate(pump) : process.stdout.once("drain", pump); pump(); }
`;
    const path = join(dir, `espeak-ng-${mode}`);
    writeFileSync(path, script);
    chmodSync(path, 0o755);
    program = path;
    return path;
  }

  const readPid = (): number => Number(readFileSync(pidFile(), "utf8"));
  const espeak = (
    options: { timeoutMs?: number; maxAudioSeconds?: number } = {},
  ): EspeakSynthesizer => new EspeakSynthesizer({ program, version: "9.99-fake", ...options });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "pipecat-ts-espeak-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("abort kills the process", async () => {
    fake("hang");
    const controller = new AbortController();
    const iterator = espeak().synthesize({
      text: "hello",
      sampleRate: 16_000,
      signal: controller.signal,
    });
    const first = await iterator[Symbol.asyncIterator]().next();
    expect(first.done).toBe(false);
    const pid = readPid();
    expect(alive(pid)).toBe(true);
    controller.abort(new Error("stop"));
    await expect(iterator[Symbol.asyncIterator]().next()).rejects.toThrow("stop");
    expect(await waitGone(pid)).toBe(true);
  });

  it("a reader that stops early kills the process", async () => {
    fake("hang");
    for await (const _ of espeak().synthesize({ text: "hello", sampleRate: 16_000 })) break;
    expect(await waitGone(readPid())).toBe(true);
  });

  it("kills a process that runs too long, with a timeout error", async () => {
    fake("hang");
    const error = await collect(espeak({ timeoutMs: 300 }), {
      text: "hello",
      sampleRate: 16_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpeechSynthesisError);
    expect((error as SpeechSynthesisError).category).toBe("timeout");
    expect(await waitGone(readPid())).toBe(true);
  });

  it("kills a process that produces too much audio", async () => {
    fake("flood");
    const error = await collect(espeak({ maxAudioSeconds: 2 }), {
      text: "hello",
      sampleRate: 16_000,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/more than 2 s of audio/);
    expect(await waitGone(readPid())).toBe(true);
  });

  it("reports a failing program with its exit code and stderr", async () => {
    fake("fail");
    await expect(collect(espeak(), { text: "hello", sampleRate: 16_000 })).rejects.toThrow(
      /espeak-ng failed \(exit 3\): boom: no voice/,
    );
  });

  it("reports output that is not a WAV", async () => {
    fake("garbage");
    await expect(collect(espeak(), { text: "hello", sampleRate: 16_000 })).rejects.toThrow(
      /unreadable output from espeak-ng/,
    );
  });

  it("passes the text on stdin and gives the child no API keys", async () => {
    fake("ok");
    const saved = process.env.FAL_KEY;
    process.env.FAL_KEY = "secret-fal-key";
    try {
      const { pcm } = await collect(espeak(), { text: "hello", sampleRate: 22_050 });
      expect(pcm.byteLength).toBe(4410); // the fake's tone, at its own rate: nothing resampled away
    } finally {
      if (saved === undefined) delete process.env.FAL_KEY;
      else process.env.FAL_KEY = saved;
    }
    const env = JSON.parse(readFileSync(envFile(), "utf8")) as Record<string, string>;
    const allowed = ["PATH", "ESPEAK_DATA_PATH", "LANG", "LC_ALL", "LC_CTYPE"];
    expect(Object.keys(env).filter((key) => !allowed.includes(key))).toEqual([]);
    expect(env.PATH).toBe(process.env.PATH);
    expect(JSON.stringify(env)).not.toContain("secret-fal-key");
  });

  it("is found and probed at an explicit path", async () => {
    const path = fake("ok");
    expect(await findEspeak(path)).toEqual({ program: path, version: "9.99-fake" });
  });
});

describe("choosing the engine", () => {
  it("falls back to the built-in synthesizer when espeak-ng is absent, and says why", async () => {
    const missing = join(tmpdir(), "no-such-dir", "espeak-ng");
    expect(existsSync(missing)).toBe(false);
    const synth = await createSpeechSynthesizer({ espeakProgram: missing });
    expect(synth.engine).toBe("builtin");
    expect(synth.describe()).toBe(`speech: built-in formant synthesizer (${missing} not found)`);
    const { pcm } = await collect(synth, { text: SENTENCE, sampleRate: 16_000 });
    expect(pcm16Rms(pcm)).toBeGreaterThan(0.05);
  });

  it("falls back when the program is there but is not espeak-ng", async () => {
    const synth = await createSpeechSynthesizer({ espeakProgram: "/bin/false" });
    expect(synth.engine).toBe("builtin");
    expect(synth.describe()).toMatch(/\/bin\/false unusable/);
  });

  it("looks the name up on PATH", async () => {
    const synth = await createSpeechSynthesizer({ espeakProgram: "no-such-espeak-program" });
    expect(synth.describe()).toMatch(/no-such-espeak-program not found/);
  });

  it("fails instead of falling back when espeak-ng is required", async () => {
    await expect(
      createSpeechSynthesizer({ engine: "espeak-ng", espeakProgram: "/nonexistent/espeak-ng" }),
    ).rejects.toThrow(/engine "espeak-ng" was asked for, but \/nonexistent\/espeak-ng not found/);
  });

  it("uses the built-in synthesizer when asked, without looking for espeak-ng", async () => {
    const synth = await createSpeechSynthesizer({ engine: "builtin" });
    expect(synth.describe()).toBe("speech: built-in formant synthesizer (chosen)");
  });

  it("rejects an unknown engine, naming the field", async () => {
    await expect(createSpeechSynthesizer({ engine: "say" as "auto" })).rejects.toThrow(
      /"engine".*"say".*auto, espeak-ng, builtin/,
    );
  });
});
