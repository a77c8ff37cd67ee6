// examples/04-sync-speech-and-image.mjs (Pipecat's example, ported whole), run as a user would,
// offline (no key in its environment): 3 months → 3 PNGs and 3 WAVs of real speech, in month
// order, and a page that plays them in that order. Needs `npm run build` first (npm test does).
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { calendarPrompt } from "../../src/app/calendar.js";
import { pcm16Rms } from "../../src/audio/pcm.js";
import { decodeWav } from "../../src/audio/wav.js";
import { ROOT, type RunResult, cleanEnv, requireBuild, runNode } from "../helpers/run-node.js";

const EXAMPLE = join(ROOT, "examples", "04-sync-speech-and-image.mjs");
/** RMS of speech is far above this (espeak-ng ≈ 0.1, the built-in synthesizer ≈ 0.05); silence is 0. */
const MIN_SPEECH_RMS = 0.02;
/** The example's WAVs: Cartesia's 24 kHz, as in the original. */
const SAMPLE_RATE_HZ = 24_000;
/** A month's sentence spoken lasts longer than this. */
const MIN_SPEECH_SECONDS = 1;
const MONTHS = ["january", "february", "march"];

let work: string;
let out: string;
let run: RunResult;
beforeAll(async () => {
  requireBuild();
  work = await mkdtemp(join(tmpdir(), "pipecat-calendar-"));
  out = join(work, "calendar");
  run = await runNode([EXAMPLE, "--months", "3", "--out", out], { timeoutMs: 60_000 });
}, 70_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("04-sync-speech-and-image.mjs --months 3 (offline)", () => {
  it("exits 0 and says, once per service, that it runs on the local twins", () => {
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const notices = run.stderr.trim().split("\n");
    expect(notices).toHaveLength(3);
    expect(notices[0]).toMatch(
      /^No OPENAI_API_KEY set: using the embedded local OpenAI twin at http:\/\/127\.0\.0\.1:(\d+)\/v1 \(a scripted LLM, not a model\)$/,
    );
    expect(notices[1]).toMatch(
      /^No CARTESIA_API_KEY set: using the embedded local Cartesia twin at http:\/\/127\.0\.0\.1:\d+ \(speech: (espeak-ng|built-in)/,
    );
    expect(notices[2]).toMatch(
      /^No FAL_KEY set: using the embedded local fal server at http:\/\/127\.0\.0\.1:\d+ \(preview renderer, not a model\)$/,
    );
    // One server for all three.
    const ports = notices.map((line) => /127\.0\.0\.1:(\d+)/.exec(line)?.[1]);
    expect(new Set(ports).size).toBe(1);
  });

  it("writes exactly a PNG and a WAV per month, and the page", async () => {
    const files = (await readdir(out)).sort();
    expect(files).toEqual([
      "01-january.png",
      "01-january.wav",
      "02-february.png",
      "02-february.wav",
      "03-march.png",
      "03-march.wav",
      "index.html",
    ]);
  });

  it("the PNGs are 1024x1024 (square_hd, as in the original)", async () => {
    for (const [i, month] of MONTHS.entries()) {
      const meta = await sharp(join(out, `0${i + 1}-${month}.png`)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(["png", 1024, 1024]);
    }
  });

  it("the WAVs are 24 kHz mono speech, over a second long and far from silent", async () => {
    for (const [i, month] of MONTHS.entries()) {
      const wav = decodeWav(new Uint8Array(await readFile(join(out, `0${i + 1}-${month}.wav`))));
      expect(wav.sampleRate).toBe(SAMPLE_RATE_HZ);
      expect(wav.numChannels).toBe(1);
      const seconds = wav.pcm.byteLength / 2 / SAMPLE_RATE_HZ; // 16-bit samples
      expect(seconds, month).toBeGreaterThan(MIN_SPEECH_SECONDS);
      expect(pcm16Rms(wav.pcm), month).toBeGreaterThan(MIN_SPEECH_RMS);
    }
  });

  it("prints each month's spoken sentence and its files, in month order", () => {
    const spoken = run.stdout.split("\n").filter((line) => /^[A-Z][a-z]+: /.test(line));
    expect(spoken.map((line) => line.split(":")[0])).toEqual(["January", "February", "March"]);
    for (const [i, month] of MONTHS.entries()) {
      expect(run.stdout).toMatch(
        new RegExp(`  -> 0${i + 1}-${month}\\.png, 0${i + 1}-${month}\\.wav \\(\\d+\\.\\d s\\)`),
      );
    }
    expect(run.stdout).toMatch(/Wrote 3 months \(3 images, 3 WAVs\) to .+\. Open .+index\.html/);
  });

  it("the page lists the months in order, each image with its own speech, and loads nothing from the network", async () => {
    const html = await readFile(join(out, "index.html"), "utf8");
    const entries = [
      ...html.matchAll(
        /<li id="entry-(\d)"[^>]*><figure><img src="([^"]+)"[^>]*><figcaption><strong>(\w+)<\/strong>[^<]*<\/figcaption><\/figure><audio [^>]*src="([^"]+)"/g,
      ),
    ].map((m) => m.slice(1));
    expect(entries).toEqual([
      ["1", "01-january.png", "January", "01-january.wav"],
      ["2", "02-february.png", "February", "02-february.wav"],
      ["3", "03-march.png", "March", "03-march.wav"],
    ]);
    expect(html).toMatch(
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self'; media-src 'self'; style-src 'sha256-[^']+'; script-src 'sha256-[^']+'/,
    );
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).toContain("Words: the scripted LLM twin (not a model)");
    expect(html).toContain("Pictures: the local preview renderer (placeholders, not a model)");
  });
});

describe("04-sync-speech-and-image.mjs: options and faithfulness", () => {
  it("one month is counted in the singular: 1 month (1 image, 1 WAV)", async () => {
    const r = await runNode([EXAMPLE, "--months", "1", "--out", join(work, "one")], {
      env: cleanEnv({}),
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Wrote 1 month \(1 image, 1 WAV\) to /);
  });

  it("a bad --months or a bad base URL is one usage line and exit 2 (nothing written)", async () => {
    for (const [args, env, message] of [
      [["--months", "13"], {}, /--months must be a whole number from 1 to 12, got "13"/],
      [["--months", "two"], {}, /--months must be a whole number from 1 to 12, got "two"/],
      [["--colour", "red"], {}, /Unknown option '--colour'/],
      [[], { OPENAI_BASE_URL: "localhost:8787" }, /Invalid value for "OPENAI_BASE_URL"/],
    ] as const) {
      const target = join(work, "never");
      const r = await runNode([EXAMPLE, "--out", target, ...args], {
        env: cleanEnv(env),
      });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^Usage: node examples\/04-sync-speech-and-image\.mjs/m);
      expect(existsSync(target)).toBe(false);
    }
  });

  it("keeps the original's structure: its classes, its prompt, its pipeline", async () => {
    const source = await readFile(EXAMPLE, "utf8");
    for (const name of ["MonthFrame", "MarkImageForPlaybackSync", "MonthPrepender"])
      expect(source).toMatch(new RegExp(`^class ${name} extends `, "m"));
    // The prompt, word for word (calendarPrompt is checked against the original's text), with
    // the month left to the loop.
    expect(source).toContain(calendarPrompt("\u0024{month}"));
    expect(source).toContain("textAggregationMode: TextAggregationMode.TOKEN");
    expect(source).toContain("{ frameOrder: FrameOrder.PIPELINE }");
    expect(source).toContain('imageSize: "square_hd"');
  });
});
