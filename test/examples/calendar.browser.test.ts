// The calendar's page in a real browser (Debian's Chromium driven by playwright-core), opened from
// the folder the example wrote (--months 3, offline): played from the keyboard, each month's image
// is on the stage while that month's audio plays, and only then; the months follow one another in
// order; pause and resume keep the place; nothing is fetched but the page's own files, and the
// strict CSP lets them through. Saves test-output/calendar.png and calendar-mobile.png (375 px).
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/chromium.js";
import { ROOT, requireBuild, runNode } from "../helpers/run-node.js";

const OUTPUT = fileURLToPath(new URL("../../test-output/", import.meta.url));
const MONTHS = ["01-january", "02-february", "03-march"];

let work: string;
let pageUrl: string;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium(); // first: a missing Chromium fails before the example runs
  requireBuild();
  await mkdir(OUTPUT, { recursive: true });
  work = await mkdtemp(join(tmpdir(), "pipecat-calendar-page-"));
  const out = join(work, "calendar");
  const run = await runNode(
    [join(ROOT, "examples", "04-sync-speech-and-image.mjs"), "--months", "3", "--out", out],
    { timeoutMs: 60_000 },
  );
  if (run.code !== 0) throw new Error(`the example failed:\n${run.stdout}\n${run.stderr}`);
  pageUrl = pathToFileURL(join(out, "index.html")).href;
}, 90_000);

afterAll(async () => {
  await browser?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** What the page shows and plays at one moment. */
interface Sample {
  stage: string | null;
  /** Index of the entry marked current. */
  current: number;
  playing: number[];
  times: number[];
  button: string;
  pressed: string | null;
}

function sample(page: Page): Promise<Sample> {
  return page.evaluate(() => {
    const audios = Array.from(document.querySelectorAll<HTMLAudioElement>("#months audio"));
    const items = Array.from(document.querySelectorAll("#months > li"));
    const play = document.getElementById("play") as HTMLButtonElement;
    return {
      stage: document.getElementById("stage-image")?.getAttribute("src") ?? null,
      current: items.findIndex((li) => li.getAttribute("aria-current") === "true"),
      playing: audios.flatMap((a, i) => (a.paused ? [] : [i])),
      times: audios.map((a) => a.currentTime),
      button: play.textContent ?? "",
      pressed: play.getAttribute("aria-pressed"),
    };
  });
}

/** Waits until entry `index`'s audio plays and has advanced past `seconds`. */
async function untilPlaying(page: Page, index: number, seconds = 0.15): Promise<void> {
  await page.waitForFunction(
    ([i, s]) => {
      const audio = document.querySelectorAll<HTMLAudioElement>("#months audio")[i as number];
      return audio !== undefined && !audio.paused && audio.currentTime > (s as number);
    },
    [index, seconds],
    { timeout: 15_000 },
  );
}

async function openPage(viewport: { width: number; height: number }) {
  const page = await browser.newPage({ viewport, deviceScaleFactor: 1, reducedMotion: "reduce" });
  const requests: string[] = [];
  const problems: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("console", (message) => {
    if (message.type() === "error" || /Content Security Policy/i.test(message.text()))
      problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(pageUrl);
  await page.waitForFunction(() => !(document.getElementById("stage") as HTMLElement).hidden);
  return { page, requests, problems };
}

describe("the calendar page (Chromium)", () => {
  it("plays the months in order, each image on the stage while its own audio plays", async () => {
    const { page, requests, problems } = await openPage({ width: 1280, height: 900 });
    try {
      // Every image decoded under the CSP; before playing, the stage shows the first month.
      const widths = await page.evaluate(() =>
        Array.from(document.images).map((img) => img.naturalWidth),
      );
      expect(widths).toEqual([1024, 1024, 1024, 1024]);
      const before = await sample(page);
      expect(before).toMatchObject({ stage: `${MONTHS[0]}.png`, playing: [], button: "Play" });

      // Keyboard only: focus the button and press Space.
      await page.focus("#play");
      await page.keyboard.press("Space");

      for (const [index, month] of MONTHS.entries()) {
        await untilPlaying(page, index);
        let last = -1;
        for (let n = 0; n < 3; n++) {
          const now = await sample(page);
          expect(now.stage, `sample ${n} of ${month}`).toBe(`${month}.png`);
          expect(now.playing).toEqual([index]);
          expect(now.current).toBe(index);
          expect(now.button).toBe("Pause");
          expect(now.pressed).toBe("true");
          expect(now.times[index]).toBeGreaterThan(last);
          last = now.times[index] as number;
          await page.waitForTimeout(120);
        }
        if (index === 1) {
          // Pause and resume from the keyboard ("k" anywhere but on a control): the place is kept.
          await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
          await page.keyboard.press("k");
          await page.waitForFunction(() => document.getElementById("play")?.textContent === "Play");
          const paused = await sample(page);
          expect(paused).toMatchObject({ stage: `${month}.png`, playing: [], pressed: "false" });
          await page.waitForTimeout(200);
          expect((await sample(page)).times[index]).toBe(paused.times[index]);
          await page.keyboard.press("k");
          await untilPlaying(page, index, paused.times[index]);
          expect((await sample(page)).stage).toBe(`${month}.png`);
        }
        // Skip to the last moments of this month's speech: the next month follows by itself.
        await page.evaluate((i) => {
          const audio = document.querySelectorAll<HTMLAudioElement>("#months audio")[i];
          if (audio) audio.currentTime = Math.max(0, audio.duration - 0.1);
        }, index);
      }
      await page.waitForFunction(() => document.getElementById("play")?.textContent === "Play");
      const done = await sample(page);
      expect(done).toMatchObject({ stage: `${MONTHS[2]}.png`, playing: [], pressed: "false" });

      await page.screenshot({ path: join(OUTPUT, "calendar.png"), fullPage: true });
      expect(problems).toEqual([]);
      // Nothing but the page's own files.
      expect(requests.filter((url) => !url.startsWith("file://"))).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it("fits 375 px without sideways scrolling, and a month's own player takes over the stage", async () => {
    const { page, problems } = await openPage({ width: 375, height: 812 });
    try {
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width).toBeLessThanOrEqual(375);
      // Playing the third month from its own control shows its image on the stage.
      await page.evaluate(() =>
        document.querySelectorAll<HTMLAudioElement>("#months audio")[2]?.play(),
      );
      await untilPlaying(page, 2, 0.05);
      expect(await sample(page)).toMatchObject({ stage: `${MONTHS[2]}.png`, playing: [2] });
      await page.screenshot({ path: join(OUTPUT, "calendar-mobile.png") });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  }, 30_000);
});
