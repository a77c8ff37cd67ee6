// Speech from espeak-ng (Debian's `espeak-ng` package), run as a separate program: it is GPL, so
// it is never linked or bundled, only spawned. The text goes in on stdin (`--stdin`), never on the
// command line and never through a shell, so a text such as "-v xx --help" is spoken, not obeyed.
// espeak-ng writes a WAV to stdout (`--stdout`) while it speaks; its samples (22050 Hz mono) are
// resampled to the asked rate and handed out as they arrive.
//
// Every run is bounded: the AbortSignal, a wall-clock limit and a limit on the audio produced all
// kill the process (SIGKILL); so does a consumer that stops reading. The child gets a minimal
// environment (PATH and espeak-ng's own variables), so API keys never reach it.
import { type ChildProcess, spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";
import { PCM16_BYTES_PER_SAMPLE } from "../../frames/audio.js";
import { describeError } from "../../utils/errors.js";
import { downmixToMono, pcm16ToSamples, samplesToPcm16 } from "../pcm.js";
import { LinearResampler } from "../resampler.js";
import { WavStreamDecoder } from "../wav.js";
import {
  DEFAULT_MAX_TEXT_CHARS,
  SpeechSynthesisError,
  type SpeechSynthesizer,
  type SynthesisRequest,
  checkSynthesisRequest,
} from "./speech-synthesizer.js";
import { resolveSpeechVoice } from "./voices.js";

/** The program looked up on PATH by default. */
export const ESPEAK_PROGRAM = "espeak-ng";
/** Default wall-clock limit of one synthesis (espeak-ng speaks ~100× faster than real time). */
export const DEFAULT_ESPEAK_TIMEOUT_MS = 30_000;
/** Default limit on the audio one synthesis may produce, in seconds. */
export const DEFAULT_MAX_AUDIO_SECONDS = 600;
/** Limit of the `--version` probe. */
const PROBE_TIMEOUT_MS = 5_000;
/** stderr kept for error messages. */
const MAX_STDERR_CHARS = 2_000;
/** espeak-ng's own amplitude (`-a`) at volume 1 (its default is 100, range 0–200). */
const ESPEAK_AMPLITUDE = 100;
/** Environment variables passed through to the child. */
const ENVIRONMENT_KEYS = ["PATH", "ESPEAK_DATA_PATH", "LANG", "LC_ALL", "LC_CTYPE"];

export interface EspeakSynthesizerOptions {
  /** The espeak-ng executable (an absolute path; see findEspeak). */
  program: string;
  /** The version espeak-ng reported, for describe(). */
  version: string;
  /** Wall-clock limit of one synthesis; default 30 s. */
  timeoutMs?: number;
  /** Limit on the audio one synthesis may produce; default 600 s. */
  maxAudioSeconds?: number;
  /** Longest text accepted, in characters; default 10000. */
  maxTextChars?: number;
}

/** Where `program` is: itself when it is a path, else the first executable of that name on PATH. */
export async function findExecutable(program: string): Promise<string | undefined> {
  const candidates =
    isAbsolute(program) || program.includes("/")
      ? [program]
      : (process.env.PATH ?? "")
          .split(delimiter)
          .filter(Boolean)
          .map((dir) => join(dir, program));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there, or not executable: try the next one
    }
  }
  return undefined;
}

/** Runs `program --version` and returns the version number, or throws why it could not. */
export async function probeEspeakVersion(program: string): Promise<string> {
  const { stdout, code } = await runToEnd(program, ["--version"], PROBE_TIMEOUT_MS);
  const match = /text-to-speech:\s*([\w.+-]+)/.exec(stdout);
  if (code !== 0 || !match) {
    throw new SpeechSynthesisError(
      `${program} --version did not answer as espeak-ng does (exit ${code}): ${stdout.slice(0, 200)}`,
      "server",
    );
  }
  return match[1] as string;
}

/** Locates and probes espeak-ng; undefined (with the reason) when it can't be used. */
export async function findEspeak(
  program: string = ESPEAK_PROGRAM,
): Promise<{ program: string; version: string } | { reason: string }> {
  const path = await findExecutable(program);
  if (!path) return { reason: `${program} not found` };
  try {
    return { program: path, version: await probeEspeakVersion(path) };
  } catch (error) {
    return { reason: `${path} unusable: ${describeError(error)}` };
  }
}

export class EspeakSynthesizer implements SpeechSynthesizer {
  readonly engine = "espeak-ng" as const;
  readonly program: string;
  readonly version: string;
  readonly #timeoutMs: number;
  readonly #maxAudioSeconds: number;
  readonly #maxTextChars: number;

  constructor(options: EspeakSynthesizerOptions) {
    this.program = options.program;
    this.version = options.version;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_ESPEAK_TIMEOUT_MS;
    this.#maxAudioSeconds = options.maxAudioSeconds ?? DEFAULT_MAX_AUDIO_SECONDS;
    this.#maxTextChars = options.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;
  }

  describe(): string {
    return `speech: espeak-ng ${this.version} (external program, ${this.program})`;
  }

  async *synthesize(request: SynthesisRequest): AsyncGenerator<Uint8Array> {
    const { speed, volume } = checkSynthesisRequest(request, this.#maxTextChars);
    const voice = resolveSpeechVoice(request.voice);
    const signal = request.signal;
    if (signal?.aborted) throw signal.reason;
    if (request.text.trim() === "") return;

    const args = [
      "--stdout",
      "--stdin",
      "-b",
      "1", // the input is UTF-8
      "-v",
      voice.espeak.voice,
      "-p",
      String(voice.espeak.pitch),
      "-s",
      String(Math.round(voice.espeak.wordsPerMinute * speed)),
      "-a",
      String(Math.round(ESPEAK_AMPLITUDE * volume)),
    ];
    const child = spawn(this.program, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: childEnvironment(),
      shell: false,
      windowsHide: true,
    });
    const run = watch(child);
    let stopReason: { error: unknown } | undefined;
    const stop = (error: unknown): void => {
      stopReason ??= { error };
      child.kill("SIGKILL");
    };
    const onAbort = (): void => stop(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      () =>
        stop(
          new SpeechSynthesisError(
            `espeak-ng took longer than ${this.#timeoutMs} ms; killed`,
            "timeout",
          ),
        ),
      this.#timeoutMs,
    );
    // A child that exits before reading its stdin makes writes fail with EPIPE; the exit code tells.
    child.stdin?.on("error", () => {});
    child.stdin?.end(request.text, "utf8");

    const decoder = new WavStreamDecoder();
    let resampler: LinearResampler | undefined;
    let channels = 1;
    let maxBytes = Number.POSITIVE_INFINITY;
    let produced = 0;
    let readError: unknown;
    try {
      try {
        for await (const piece of child.stdout as AsyncIterable<Buffer>) {
          const pcm = decoder.push(piece);
          if (!resampler && decoder.format) {
            channels = decoder.format.numChannels;
            resampler = new LinearResampler(decoder.format.sampleRate, request.sampleRate);
            maxBytes =
              this.#maxAudioSeconds * decoder.format.sampleRate * channels * PCM16_BYTES_PER_SAMPLE;
          }
          if (pcm.byteLength === 0 || !resampler) continue;
          produced += pcm.byteLength;
          if (produced > maxBytes) {
            stop(
              new SpeechSynthesisError(
                `espeak-ng produced more than ${this.#maxAudioSeconds} s of audio; killed`,
                "validation",
              ),
            );
            break;
          }
          const mono =
            channels === 1 ? pcm : samplesToPcm16(downmixToMono(pcm16ToSamples(pcm), channels));
          const out = resampler.process(mono);
          if (out.byteLength > 0) yield out;
        }
      } catch (error) {
        // Unreadable output (not a WAV) or a process that could not start: stop it, then say why.
        readError = error;
        child.kill("SIGKILL");
      }
      const exit = await run.exited;
      if (stopReason) throw stopReason.error;
      if (run.spawnError) {
        throw new SpeechSynthesisError(
          `could not run ${this.program}: ${describeError(run.spawnError)}`,
          "server",
          run.spawnError,
        );
      }
      if (readError !== undefined) {
        throw new SpeechSynthesisError(
          `unreadable output from espeak-ng: ${describeError(readError)}`,
          "server",
          readError,
        );
      }
      if (exit.code !== 0) {
        throw new SpeechSynthesisError(
          `espeak-ng failed (${exit.signal ?? `exit ${exit.code}`}): ${run.stderr().trim() || "no message"}`,
          "server",
        );
      }
      decoder.end();
      const tail = resampler?.flush();
      if (tail && tail.byteLength > 0) yield tail;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      // The consumer stopped early, or something failed: the process must not outlive the request.
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  }
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Follows a child: its exit, its stderr (bounded) and a failure to start. */
function watch(child: ChildProcess): {
  exited: Promise<Exit>;
  stderr: () => string;
  readonly spawnError: Error | undefined;
} {
  let stderr = "";
  let spawnError: Error | undefined;
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (text: string) => {
    if (stderr.length < MAX_STDERR_CHARS) stderr += text.slice(0, MAX_STDERR_CHARS - stderr.length);
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once("error", (error) => {
      spawnError = error;
      resolve({ code: null, signal: null });
    });
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  return {
    exited,
    stderr: () => stderr,
    get spawnError() {
      return spawnError;
    },
  };
}

/** Runs a short command to its end (for probes), bounded in time, without a shell. */
function runToEnd(
  program: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      stdio: ["ignore", "pipe", "ignore"],
      env: childEnvironment(),
      shell: false,
    });
    let stdout = "";
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (text: string) => {
      if (stdout.length < MAX_STDERR_CHARS) stdout += text;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ stdout, code });
    });
  });
}

function childEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ENVIRONMENT_KEYS) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}
