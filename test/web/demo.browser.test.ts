// The demo pages in a real browser (Debian's Chromium driven by playwright-core), built on
// Pipecat's official web client bundled by esbuild, talking RTVI over the bot server's /ws.
// Storyboard: panels render in scene order, Stop cancels the rest, a size change mid-run reaches
// the later panels, the download holds every image, 375 px fits, and the fal key never reaches the
// page. Calendar (2 months): the speech is received and played, and each month's image message
// arrives before that month's first audio chunk. No CSP violation anywhere. Screenshots go to
// test-output/.
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalFalServer, type LocalFalServer } from "../../src/local/fal/index.js";
import { type DemoServer, startDemoServer } from "../../src/web/demo.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OUTPUT = fileURLToPath(new URL("../../test-output/", import.meta.url));
// Passed to the demo server explicitly; the local fal server requires it, so every request the
// bot makes carries it. It must never show up in the page or in what the page receives.
const KEY = "fal-test-secret-6f1d2c9a8b7e4d3c-key";

const STORY = [
  "A small lighthouse on a rocky island at dawn, soft pastel sky",
  "An orange cat named Pip watches a paper boat drift past the door",
  "Pip leaps into the paper boat and sails out across the calm sea",
  "A friendly whale rises beside the tiny boat, spraying sparkling water",
  "Night falls and the lighthouse beam sweeps over Pip, guiding him home",
  "Pip curls up asleep by the warm lamp, stars outside the window",
];

let fal: LocalFalServer;
let demo: DemoServer;
let calendar: DemoServer;
let browser: Browser;
/** Console errors of every page (CSP violations show up here). */
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  await mkdir(OUTPUT, { recursive: true });
  fal = await startLocalFalServer({ port: 0, inferenceMs: 300, workers: 2, requiredKey: KEY });
  demo = await startDemoServer({ port: 0, key: KEY, baseUrl: fal.url, maxConcurrency: 3 });
  calendar = await startDemoServer({
    bot: "calendar",
    backend: "local",
    months: 2,
    port: 0,
    twins: { cartesia: { engine: "builtin" }, fal: { inferenceMs: 20 } },
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  await calendar?.close();
  await fal?.close();
});

interface LoggedEvent {
  kind: string;
  at: number;
  type?: string;
  index?: number;
  samples?: number;
  text?: string;
}

async function openPage(
  server: DemoServer = demo,
  viewport = { width: 1280, height: 900 },
): Promise<Page> {
  const page = await browser.newPage({ viewport, deviceScaleFactor: 1, reducedMotion: "reduce" });
  page.on("console", (message) => {
    // The page refuses the microphone on purpose (Permissions-Policy); that line is expected.
    if (message.type() === "error" && !/microphone is not allowed/.test(message.text()))
      consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(`pageerror: ${error.message}`));
  await page.goto(`${server.url}/`);
  return page;
}

/** The page's event log (connection.ts). */
function events(page: Page): Promise<LoggedEvent[]> {
  return page.evaluate(
    () =>
      (window as unknown as { pipecatDemo?: { events: LoggedEvent[] } }).pipecatDemo?.events ?? [],
  );
}

async function writeStory(page: Page, lines: string[]): Promise<void> {
  await page.fill("#story", lines.join("\n"));
}

/**
 * Runs `action` in the page the moment panel `index` is done (a MutationObserver), so the step
 * lands mid-run however slow the test machine is. Returns at once.
 */
async function whenPanelDone(
  page: Page,
  index: number,
  action: "stop" | { size: string },
): Promise<void> {
  await page.evaluate(
    ({ index, action }) => {
      const fire = (): void => {
        if (action === "stop") {
          (document.getElementById("stop") as HTMLButtonElement).click();
        } else {
          const select = document.getElementById("size") as HTMLSelectElement;
          select.value = action.size;
          select.dispatchEvent(new Event("change", { bubbles: true }));
        }
      };
      const observer = new MutationObserver(() => {
        const panel = document.querySelector(`.panel[data-index="${index}"]`) as HTMLElement | null;
        if (panel?.dataset.stage === "done") {
          observer.disconnect();
          fire();
        }
      });
      observer.observe(document.getElementById("panels") as HTMLElement, {
        subtree: true,
        attributes: true,
        attributeFilter: ["data-stage"],
        childList: true,
      });
    },
    { index, action },
  );
}

/** Waits until no panel is still queued / in queue / in progress. */
async function waitForRunEnd(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const panels = [...document.querySelectorAll(".panel")];
      return (
        panels.length === n &&
        panels.every((p) =>
          ["done", "error", "cancelled"].includes((p as HTMLElement).dataset.stage ?? ""),
        ) &&
        (document.getElementById("stop") as HTMLButtonElement).disabled
      );
    },
    count,
    { timeout: 30_000 },
  );
}

interface PanelInfo {
  stage: string;
  chip: string;
  prompt: string;
  /** The facts line under the panel (size · model · seed). */
  meta: string;
  /** The frame's --ratio (the panel's shape). */
  ratio: string | undefined;
  alt: string | null;
  naturalWidth: number;
  naturalHeight: number;
}

async function panels(page: Page): Promise<PanelInfo[]> {
  // Images that are done may still be decoding: wait for every <img> to finish loading.
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll<HTMLImageElement>(".panel img")].every(
        (img) => img.complete && img.naturalWidth > 0,
      ),
    undefined,
    { timeout: 10_000 },
  );
  return page.$$eval(".panel", (items) =>
    items.map((li) => {
      const img = li.querySelector("img");
      return {
        stage: (li as HTMLElement).dataset.stage ?? "",
        chip: li.querySelector(".chip")?.textContent ?? "",
        prompt: li.querySelector(".prompt")?.textContent ?? "",
        meta: li.querySelector(".meta")?.textContent ?? "",
        ratio: (li.querySelector(".frame") as HTMLElement | null)?.style.getPropertyValue(
          "--ratio",
        ),
        alt: img?.getAttribute("alt") ?? null,
        naturalWidth: img?.naturalWidth ?? 0,
        naturalHeight: img?.naturalHeight ?? 0,
      };
    }),
  );
}

/** The indexes of the image messages the page received since `from`, in arrival order. */
async function imageOrder(page: Page, from = 0): Promise<number[]> {
  return (await events(page))
    .slice(from)
    .filter((e) => e.kind === "server-message" && e.type === "image")
    .map((e) => e.index as number);
}

describe("storyboard page on Pipecat's client", { timeout: 90_000 }, () => {
  it("three lines give three images, in order (Ctrl+Enter generates); the download holds them", async () => {
    const page = await openPage();
    try {
      // The backend is shown before connecting; the page connects at the first Generate.
      await expect.poll(() => page.textContent("#backend")).toMatch(/fal-compatible server/);
      const lines = STORY.slice(0, 3);
      await writeStory(page, lines);
      await expect.poll(() => page.textContent("#scene-count")).toBe("3 scenes");
      await page.focus("#story");
      await page.keyboard.press("Control+Enter");
      await page.waitForSelector(".panel[data-index='2']");
      await waitForRunEnd(page, 3);
      const info = await panels(page);
      expect(info.map((p) => p.stage)).toEqual(["done", "done", "done"]);
      expect(info.map((p) => p.prompt)).toEqual(lines);
      info.forEach((p, i) => {
        expect(p.alt).toBe(`Scene ${i + 1}: ${lines[i]}`);
        expect([p.naturalWidth, p.naturalHeight]).toEqual([1024, 768]);
        // Size, the model as the model menu names it, and fal's seed.
        expect(p.meta).toMatch(/^1024×768 · Fast SDXL · seed \d+$/);
        expect(p.ratio).toBe("1024 / 768");
      });
      expect(await imageOrder(page)).toEqual([0, 1, 2]);
      await expect.poll(() => page.textContent("#progress-text")).toMatch(/All 3 panels done/);
      expect(await page.isDisabled("#stop")).toBe(true);
      expect(await page.textContent("#backend")).toBe("fal-compatible server");

      // The download is one self-contained HTML file with the images embedded.
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click("#download"),
      ]);
      expect(download.suggestedFilename()).toBe("storyboard.html");
      const html = await readFile(await download.path(), "utf8");
      expect(html.match(/<img src="data:image\/png;base64,/g)).toHaveLength(3);
      expect(html).toContain(lines[2]);

      await page.screenshot({ path: `${OUTPUT}demo-storyboard.png`, fullPage: true });
      expect(await page.content()).not.toContain(KEY);
    } finally {
      await page.close();
    }
  });

  it("Stop mid-run cancels the rest: done panels first, then only cancelled ones", async () => {
    const page = await openPage();
    try {
      await writeStory(page, STORY);
      await page.selectOption("#size", "square");
      await whenPanelDone(page, 0, "stop"); // the user presses Stop as soon as the first panel is in
      await page.click("#generate");
      await waitForRunEnd(page, STORY.length);
      const info = await panels(page);
      const stages = info.map((p) => p.stage);
      const firstCancelled = stages.indexOf("cancelled");
      expect(stages[0]).toBe("done");
      expect(firstCancelled, stages.join(",")).toBeGreaterThan(0);
      expect(
        stages.slice(firstCancelled).every((s) => s === "cancelled"),
        stages.join(","),
      ).toBe(true);
      for (const p of info.slice(firstCancelled)) expect(p.chip).toBe("Cancelled");
      for (const p of info.filter((x) => x.stage === "done")) expect(p.naturalWidth).toBe(512);
      await expect
        .poll(() => page.textContent("#progress-text"))
        .toMatch(/^Stopped: \d of 6 done · \d cancelled$/);
      await page.screenshot({ path: `${OUTPUT}demo-storyboard-stopped.png`, fullPage: true });

      // The session still works after a stop.
      const mark = (await events(page)).length;
      await writeStory(page, STORY.slice(0, 2));
      await page.click("#generate");
      await waitForRunEnd(page, 2);
      expect((await panels(page)).map((p) => p.stage)).toEqual(["done", "done"]);
      expect(await imageOrder(page, mark)).toEqual([0, 1]);
    } finally {
      await page.close();
    }
  });

  it("a size change mid-run applies to the later panels, from the one the bot says", async () => {
    const page = await openPage();
    try {
      const story = [
        ...STORY,
        "Morning comes and Pip waves to the whale",
        "The paper boat dries on the windowsill",
        "The end, written in the sand",
      ];
      await writeStory(page, story);
      await page.selectOption("#size", "square");
      // The user picks another size as soon as the first panel is in.
      await whenPanelDone(page, 0, { size: "landscape_16_9" });
      await page.click("#generate");
      await page.waitForSelector(".panel[data-index='0'][data-stage='done']", { timeout: 15_000 });
      // A look at a board mid-run: done panels, queue positions, panels in progress.
      await page.screenshot({ path: `${OUTPUT}demo-storyboard-running.png`, fullPage: true });
      await waitForRunEnd(page, story.length);
      const info = await panels(page);
      expect(info.map((p) => p.stage)).toEqual(story.map(() => "done"));
      const sizes = info.map((p) => `${p.naturalWidth}x${p.naturalHeight}`);
      expect(sizes[0]).toBe("512x512");
      expect(sizes[8]).toBe("1024x576");
      const switchAt = sizes.indexOf("1024x576");
      expect(
        sizes.slice(0, switchAt).every((s) => s === "512x512"),
        sizes.join(","),
      ).toBe(true);
      expect(
        sizes.slice(switchAt).every((s) => s === "1024x576"),
        sizes.join(","),
      ).toBe(true);
      // The bot's answer said from which scene on the change applies.
      expect(await page.getAttribute("#panels", "data-settings-from")).toBe(String(switchAt));
      expect(await imageOrder(page)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    } finally {
      await page.close();
    }
  });

  it("fits a phone screen (375 px), works from the keyboard, and reports bad input on the page", async () => {
    const page = await openPage(demo, { width: 375, height: 812 });
    try {
      await writeStory(page, STORY.slice(0, 2));
      await page.selectOption("#size", "square");
      // Keyboard only: Tab to Generate, Enter.
      await page.focus("#seed");
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("generate");
      await page.keyboard.press("Enter");
      await waitForRunEnd(page, 2);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: `${OUTPUT}demo-storyboard-mobile.png`, fullPage: true });

      await page.fill("#seed", "not a number");
      await page.click("#generate");
      await expect.poll(() => page.textContent("#notice")).toMatch(/seed must be a whole number/);
    } finally {
      await page.close();
    }
  });

  it("never lets the fal key reach the page; the page loads nothing but its own origin", async () => {
    const page = await openPage();
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    try {
      await writeStory(page, STORY.slice(0, 1));
      await page.click("#generate");
      await waitForRunEnd(page, 1);
      const log = JSON.stringify(await events(page));
      expect(log).not.toContain(KEY);
      expect(await page.content()).not.toContain(KEY);
      const foreign = requests.filter(
        (url) => !url.startsWith(demo.url) && !url.startsWith("blob:") && !url.startsWith("data:"),
      );
      expect(foreign).toEqual([]);
    } finally {
      await page.close();
    }
    expect(fal.stats().unauthorized).toBe(0);
    for (const path of ["/", "/app.js", "/style.css", "/healthz"]) {
      const text = await (await fetch(`${demo.url}${path}`)).text();
      expect(text).not.toContain(KEY);
    }
    expect(consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });
});

describe("calendar page on Pipecat's client (2 months)", { timeout: 120_000 }, () => {
  it("plays the speech and shows each month's image as its audio starts, with its sentence", async () => {
    const page = await openPage(calendar);
    try {
      await page.click("#start");
      // Mid-narration: a month on screen, speaking.
      await page.waitForSelector("#months li[data-index='0']", { timeout: 30_000 });
      await page.waitForFunction(
        () => (document.querySelector("#now-frame img") as HTMLImageElement | null)?.complete,
      );
      await page.screenshot({ path: `${OUTPUT}demo-calendar.png`, fullPage: true });
      await page.waitForFunction(
        () => document.getElementById("status")?.dataset.state === "done",
        undefined,
        { timeout: 100_000 },
      );
      const log = await events(page);
      // Each month's image message before that month's first audio chunk, and after the previous
      // month's last: image0, audio..., image1, audio..., with bot-tts-text of month 0 in between.
      const shape: string[] = [];
      for (const e of log) {
        const step =
          e.kind === "audio"
            ? "audio"
            : e.kind === "server-message" && e.type === "image"
              ? `image${e.index}`
              : e.kind === "bot-tts-text"
                ? "text"
                : undefined;
        if (step !== undefined && !(step === "audio" && shape.at(-1) === "audio")) shape.push(step);
      }
      expect(shape).toEqual(["image0", "audio", "text", "image1", "audio", "text"]);
      // The page showed each month as its image arrived: before that month's first chunk.
      const shown = log.filter((e) => e.kind === "month-shown").map((e) => e.at);
      const firstAudio = (after: number): number =>
        log.find((e) => e.kind === "audio" && e.at >= after)?.at ?? Number.POSITIVE_INFINITY;
      const imageAt = log
        .filter((e) => e.kind === "server-message" && e.type === "image")
        .map((e) => e.at);
      expect(shown).toHaveLength(2);
      for (const [i, at] of shown.entries())
        expect(at).toBeLessThanOrEqual(firstAudio(imageAt[i] as number));
      // The audio was received (24 kHz chunks) and played by the client's player.
      const received = log
        .filter((e) => e.kind === "audio")
        .reduce((n, e) => n + (e.samples ?? 0), 0);
      expect(received / 24_000).toBeGreaterThan(2);
      const played = await page.evaluate(() =>
        (
          window as unknown as { pipecatDemo: { played: () => Promise<number> } }
        ).pipecatDemo.played(),
      );
      // Sampled every 250 ms while it plays, so the last moments of each utterance may be missed.
      expect(played).toBeGreaterThan(received * 0.6);
      // Both months on the page, each captioned with its sentence.
      const months = await page.$$eval("#months li", (items) =>
        items.map((li) => li.textContent?.trim()),
      );
      expect(months).toEqual(["January", "February"]);
      const caption = await page.textContent("#now-caption");
      const lastText = log.filter((e) => e.kind === "bot-tts-text").at(-1)?.text;
      expect(lastText).toBe(`February: ${caption}`);
      expect(await page.isDisabled("#start")).toBe(false);
      await page.screenshot({ path: `${OUTPUT}demo-calendar-done.png`, fullPage: true });
      // A phone screen (375 px) fits the calendar too.
      await page.setViewportSize({ width: 375, height: 812 });
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: `${OUTPUT}demo-calendar-mobile.png`, fullPage: true });
    } finally {
      await page.close();
    }
    expect(consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
    expect(consoleErrors.filter((e) => /pageerror/.test(e))).toEqual([]);
  });
});
