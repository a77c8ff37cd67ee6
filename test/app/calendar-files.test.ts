// The calendar written to a folder (src/app/calendar-files.ts) and its page (calendar-page.ts):
// segments by month and part, files written whole, speech written only when spoken whole, names
// and texts escaped, and a CSP that names exactly the page's own style and script.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MonthFrame } from "../../src/app/calendar.js";
import {
  CalendarRecorder,
  type CalendarSegment,
  monthSlug,
  writeFileWhole,
} from "../../src/app/calendar-files.js";
import { CALENDAR_PAGE_CSP, calendarPage } from "../../src/app/calendar-page.js";
import { decodeWav } from "../../src/audio/wav.js";
import { TTSAudioRawFrame } from "../../src/frames/audio.js";
import type { Frame } from "../../src/frames/base.js";
import { OutputImageRawFrame, URLImageRawFrame } from "../../src/frames/image.js";
import { TTSTextFrame } from "../../src/frames/speech.js";
import { runTest } from "../helpers/run-test.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pipecat-calendar-files-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function png(width: number, height: number): Promise<Uint8Array> {
  const raw = { width, height, channels: 3 } as const;
  return new Uint8Array(
    await sharp(new Uint8Array(width * height * 3).fill(200), { raw })
      .png()
      .toBuffer(),
  );
}

async function image(prompt: string, mimeType = "image/png"): Promise<URLImageRawFrame> {
  const encoded =
    mimeType === "image/png"
      ? await png(8, 4)
      : new Uint8Array(
          await sharp(new Uint8Array(8 * 4 * 3), { raw: { width: 8, height: 4, channels: 3 } })
            .jpeg()
            .toBuffer(),
        );
  return new URLImageRawFrame({
    size: { width: 8, height: 4 },
    url: undefined,
    encoded,
    mimeType,
    prompt,
  });
}

function audio(samples: number, rate = 24_000): TTSAudioRawFrame {
  const pcm = new Uint8Array(samples * 2);
  for (let i = 0; i < samples; i++) new DataView(pcm.buffer).setInt16(i * 2, (i % 50) * 300, true);
  return new TTSAudioRawFrame({ audio: pcm, sampleRate: rate });
}

async function record(frames: Frame[]): Promise<CalendarSegment[]> {
  const recorder = new CalendarRecorder({ outDir: dir });
  await runTest(recorder, { framesToSend: frames });
  return [...recorder.segments];
}

describe("CalendarRecorder", () => {
  it("per month a PNG and a WAV (the audio after the image, whole), numbered by month", async () => {
    const segments = await record([
      new MonthFrame("January"),
      await image("Snow on pines."),
      audio(12_000),
      audio(12_000),
      new TTSTextFrame("January: Snow on pines.", "sentence"),
      new MonthFrame("February"),
      await image("Snowdrops.", "image/jpeg"),
      audio(24_000),
      new TTSTextFrame("February: Snowdrops.", "sentence"),
    ]);
    expect(
      segments.map((s) => [s.month, s.part, s.image?.file, s.audio?.file, s.problems]),
    ).toEqual([
      ["January", 1, "01-january.png", "01-january.wav", []],
      ["February", 1, "02-february.png", "02-february.wav", []],
    ]);
    expect(segments[0]?.audio?.seconds).toBe(1);
    expect(segments[0]?.spoken).toBe("January: Snow on pines.");
    const wav = decodeWav(new Uint8Array(await readFile(join(dir, "01-january.wav"))));
    expect([wav.sampleRate, wav.numChannels, wav.pcm.byteLength]).toEqual([24_000, 1, 48_000]);
    // A JPEG from the image service is re-encoded: every image file is a PNG.
    expect((await sharp(join(dir, "02-february.png")).metadata()).format).toBe("png");
    expect((await readdir(dir)).filter((f) => f.endsWith(".partial"))).toEqual([]);
  });

  it("a second sentence is a second part of the month; speech that never finished is not written", async () => {
    const segments = await record([
      new MonthFrame("March"),
      await image("One."),
      audio(2400),
      new TTSTextFrame("March: One.", "sentence"),
      await image("Two."),
      audio(2400),
      // no TTSTextFrame: the synthesis failed part-way
      new MonthFrame("April"),
      audio(2400),
      new TTSTextFrame("April: no picture.", "sentence"),
    ]);
    expect(segments.map((s) => [s.month, s.part, s.image?.file, s.audio?.file])).toEqual([
      ["March", 1, "01-march.png", "01-march.wav"],
      ["March", 2, "01-march-2.png", undefined],
      ["April", 1, undefined, "02-april.wav"],
    ]);
    expect(segments[1]?.problems).toEqual(["the speech did not finish"]);
    expect(segments[2]?.problems).toEqual(["no image"]);
    expect((await readdir(dir)).sort()).toEqual([
      "01-march-2.png",
      "01-march.png",
      "01-march.wav",
      "02-april.wav",
    ]);
  });

  it("speech whose rate changes part-way is not written as one WAV", async () => {
    const [segment] = await record([
      new MonthFrame("May"),
      await image("x"),
      audio(100, 24_000),
      audio(100, 16_000),
      new TTSTextFrame("May: x", "sentence"),
    ]);
    expect(segment?.audio).toBeUndefined();
    expect(segment?.problems).toEqual(["the speech changed its sample rate part-way"]);
  });

  it("raw pixels are written in their own layout (LA has 2 channels); an unknown layout is a problem, not a wrong PNG", async () => {
    const la = new OutputImageRawFrame({
      image: new Uint8Array(6 * 2 * 2).fill(128),
      size: { width: 6, height: 2 },
      format: "LA",
    });
    const odd = new OutputImageRawFrame({
      image: new Uint8Array(12),
      size: { width: 2, height: 2 },
      format: "CMYK",
    });
    const segments = await record([new MonthFrame("May"), la, new MonthFrame("June"), odd]);
    const { data, info } = await sharp(join(dir, "01-may.png"))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([6, 2]);
    expect([...data.subarray(0, info.channels)].at(-1)).toBe(128); // the alpha came through
    expect(segments[1]?.image).toBeUndefined();
    expect(segments[1]?.problems[0]).toMatch(/02-june\.png was not written: .*"CMYK"/);
  });

  it("monthSlug keeps file names plain", () => {
    expect(monthSlug("January")).toBe("january");
    expect(monthSlug("../../etc/passwd")).toBe("etc-passwd");
    expect(monthSlug("Décembre")).toBe("decembre");
    expect(monthSlug("???")).toBe("month");
    expect(monthSlug("x".repeat(100))).toHaveLength(40);
  });

  it("writeFileWhole replaces a file at once and leaves nothing behind when it cannot write", async () => {
    const path = join(dir, "a.txt");
    await writeFileWhole(path, "first");
    await writeFileWhole(path, "second");
    expect(await readFile(path, "utf8")).toBe("second");
    await expect(writeFileWhole(join(dir, "missing", "b.txt"), "x")).rejects.toThrow();
    expect(await readdir(dir)).toEqual(["a.txt"]);
  });
});

describe("calendarPage", () => {
  it("escapes texts and file names, and its CSP allows exactly its own style and script", () => {
    const html = calendarPage(
      [
        {
          month: 'May <script>alert("x")</script>',
          part: 1,
          image: "05-may x.png",
          width: 8,
          height: 4,
          audio: "05-may.wav",
          text: `May: "quotes" & <b>tags</b>`,
          seconds: 2,
        },
      ],
      { credits: ["Words: <twin>"] },
    );
    expect(html).not.toContain("<script>alert");
    expect(html).toContain("May &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).toContain('src="05-may%20x.png"');
    expect(html).toContain("&lt;b&gt;tags&lt;/b&gt;");
    expect(html).toContain("<li>Words: &lt;twin&gt;</li>");
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] as string;
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] as string;
    const hash = (text: string) => createHash("sha256").update(text).digest("base64");
    expect(CALENDAR_PAGE_CSP).toBe(
      `default-src 'none'; img-src 'self'; media-src 'self'; style-src 'sha256-${hash(style)}'; script-src 'sha256-${hash(script)}'; base-uri 'none'; form-action 'none'`,
    );
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it("a month without image or speech says so instead of a broken element", () => {
    const html = calendarPage([
      {
        month: "June",
        part: 2,
        image: undefined,
        width: 1024,
        height: 1024,
        audio: undefined,
        text: "June",
        seconds: 0,
      },
    ]);
    expect(html).toContain("No image for June (2).");
    expect(html).toContain("No speech for June (2).");
    expect(html).not.toContain("<audio");
  });
});
