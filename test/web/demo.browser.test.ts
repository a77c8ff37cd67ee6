// The web storyboard in a real browser (Debian's Chromium driven by playwright-core): panels
// render in prompt order, Stop cancels the rest, a size change mid-run reaches the later panels,
// and the fal key never reaches the page. Saves test-output/demo.png (and demo-mobile.png).
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startLocalFalServer, type LocalFalServer } from "../../src/local/fal/index.js";
import { startDemoServer, type DemoServer } from "../../src/web/server.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OUTPUT = fileURLToPath(new URL("../../test-output/", import.meta.url));
// Passed to the demo server explicitly; the local fal server requires it, so every request the
// demo makes carries it. It must never show up in the page or in WebSocket traffic.
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
let browser: Browser;
const wsFrames: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  await mkdir(OUTPUT, { recursive: true });
  fal = await startLocalFalServer({ port: 0, inferenceMs: 300, workers: 2, requiredKey: KEY });
  demo = await startDemoServer({ port: 0, key: KEY, baseUrl: fal.url, maxConcurrency: 3 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  await fal?.close();
});

async function openPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport, deviceScaleFactor: 1, reducedMotion: "reduce" });
  page.on("websocket", (ws) => {
    ws.on("framesent", (f) => wsFrames.push(String(f.payload)));
    ws.on("framereceived", (f) => wsFrames.push(String(f.payload)));
  });
  await page.goto(`${demo.url}/`);
  // Connected: the backend badge is filled in by the server's hello.
  await page.waitForFunction(() => document.getElementById("backend")?.dataset.state === "server");
  await expectEnabled(page, "#generate");
  return page;
}

async function expectEnabled(page: Page, selector: string): Promise<void> {
  await page.waitForFunction(
    (sel) => !(document.querySelector(sel) as HTMLButtonElement | null)?.disabled,
    selector,
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
        )
      );
    },
    count,
    { timeout: 20_000 },
  );
}

interface PanelInfo {
  stage: string;
  chip: string;
  prompt: string;
  alt: string | null;
  naturalWidth: number;
  naturalHeight: number;
  complete: boolean;
}

async function panels(page: Page): Promise<PanelInfo[]> {
  // Images that are done may still be decoding: wait for every <img> to finish loading.
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll<HTMLImageElement>(".panel img")].every(
        (img) => img.complete && img.naturalWidth > 0,
      ),
    undefined,
    {
      timeout: 10_000,
    },
  );
  return page.$$eval(".panel", (items) =>
    items.map((li) => {
      const img = li.querySelector("img");
      return {
        stage: (li as HTMLElement).dataset.stage ?? "",
        chip: li.querySelector(".chip")?.textContent ?? "",
        prompt: li.querySelector(".prompt")?.textContent ?? "",
        alt: img?.getAttribute("alt") ?? null,
        naturalWidth: img?.naturalWidth ?? 0,
        naturalHeight: img?.naturalHeight ?? 0,
        complete: img?.complete ?? false,
      };
    }),
  );
}

/** The image messages the page received, in arrival order. */
function imageMessages(
  since: number,
): Array<{ index: number; width: number; height: number; run: number }> {
  return wsFrames
    .slice(since)
    .map((f) => {
      try {
        return JSON.parse(f) as {
          type: string;
          index: number;
          width: number;
          height: number;
          run: number;
        };
      } catch {
        return undefined;
      }
    })
    .filter(
      (m): m is { type: string; index: number; width: number; height: number; run: number } =>
        m?.type === "image",
    );
}

describe("web storyboard demo", { timeout: 60_000 }, () => {
  it("renders every panel as a real image, in prompt order (Ctrl+Enter generates)", async () => {
    const page = await openPage();
    try {
      const mark = wsFrames.length;
      await writeStory(page, STORY);
      await expect.poll(() => page.textContent("#scene-count")).toBe("6 scenes");
      await page.focus("#story");
      await page.keyboard.press("Control+Enter");
      // The panels appear at once, queued, with the prompts as captions.
      await page.waitForSelector(".panel[data-index='5']");
      await waitForRunEnd(page, STORY.length);
      const info = await panels(page);
      expect(info.map((p) => p.stage)).toEqual(STORY.map(() => "done"));
      expect(info.map((p) => p.prompt)).toEqual(STORY);
      info.forEach((p, i) => {
        expect(p.alt).toBe(`Scene ${i + 1}: ${STORY[i]}`);
        expect(p.naturalWidth).toBe(1024);
        expect(p.naturalHeight).toBe(768);
      });
      // Images arrived in prompt order.
      expect(imageMessages(mark).map((m) => m.index)).toEqual([0, 1, 2, 3, 4, 5]);
      await expect.poll(() => page.textContent("#progress-text")).toMatch(/All 6 panels done/);
      expect(await page.isDisabled("#download")).toBe(false);
      expect(await page.isDisabled("#stop")).toBe(true);

      // The download is a self-contained HTML file with the images embedded.
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.click("#download"),
      ]);
      expect(download.suggestedFilename()).toBe("storyboard.html");
      const path = await download.path();
      const { readFile } = await import("node:fs/promises");
      const html = await readFile(path, "utf8");
      expect(html.match(/<img src="data:image\/png;base64,/g)).toHaveLength(6);
      expect(html).toContain(STORY[2]);

      await page.screenshot({ path: `${OUTPUT}demo.png`, fullPage: true });
      expect(await page.content()).not.toContain(KEY);
    } finally {
      await page.close();
    }
  });

  it("Stop mid-run marks the remaining panels cancelled", async () => {
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
      // Done panels first, then only cancelled ones (nothing after the stop completed).
      expect(
        stages.slice(firstCancelled).every((s) => s === "cancelled"),
        stages.join(","),
      ).toBe(true);
      for (const p of info.slice(firstCancelled)) expect(p.chip).toBe("Cancelled");
      for (const p of info.filter((x) => x.stage === "done")) expect(p.naturalWidth).toBe(512);
      await expect
        .poll(() => page.textContent("#progress-text"))
        .toMatch(/^Stopped: \d of 6 done · \d cancelled$/);
      expect(await page.isDisabled("#stop")).toBe(true);

      // The session still works after a stop.
      await writeStory(page, STORY.slice(0, 2));
      await page.click("#generate");
      await waitForRunEnd(page, 2);
      expect((await panels(page)).map((p) => p.stage)).toEqual(["done", "done"]);
    } finally {
      await page.close();
    }
  });

  it("a size change mid-run applies to the later panels", async () => {
    const page = await openPage();
    try {
      const mark = wsFrames.length;
      // Nine scenes: the page feeds three at a time, so several are still to come when the change
      // lands.
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
      await page.waitForSelector(".panel[data-index='0'][data-stage='done']", { timeout: 10_000 });
      // A look at a board mid-run: done panels, queue positions, panels in progress.
      await page.screenshot({ path: `${OUTPUT}demo-running.png`, fullPage: true });
      await waitForRunEnd(page, story.length);
      const info = await panels(page);
      expect(info.map((p) => p.stage)).toEqual(story.map(() => "done"));
      const sizes = info.map((p) => `${p.naturalWidth}x${p.naturalHeight}`);
      expect(sizes[0]).toBe("512x512");
      expect(sizes[8]).toBe("1024x576");
      // Once the new size starts, it stays.
      const switchAt = sizes.indexOf("1024x576");
      expect(
        sizes.slice(0, switchAt).every((s) => s === "512x512"),
        sizes.join(","),
      ).toBe(true);
      expect(
        sizes.slice(switchAt).every((s) => s === "1024x576"),
        sizes.join(","),
      ).toBe(true);
      // The server said from which panel on the change applies.
      const notice = wsFrames
        .slice(mark)
        .map((f) => JSON.parse(f) as { type: string; appliesFrom?: number })
        .find((m) => m.type === "settings" && m.appliesFrom !== undefined);
      expect(notice?.appliesFrom).toBe(switchAt);
      expect(imageMessages(mark).map((m) => m.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    } finally {
      await page.close();
    }
  });

  it("fits a phone screen (375 px) and reports bad input on the page", async () => {
    const page = await openPage({ width: 375, height: 812 });
    try {
      await writeStory(page, STORY.slice(0, 2));
      await page.selectOption("#size", "square");
      await page.click("#generate");
      await waitForRunEnd(page, 2);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: `${OUTPUT}demo-mobile.png`, fullPage: true });

      await page.fill("#seed", "not a number");
      await page.click("#generate");
      await expect.poll(() => page.textContent("#notice")).toMatch(/seed must be a whole number/);
    } finally {
      await page.close();
    }
  });

  it("never lets the fal key reach the page or the WebSocket", async () => {
    expect(wsFrames.length).toBeGreaterThan(50);
    for (const frame of wsFrames) expect(frame).not.toContain(KEY);
    // Every request carried the key to the (key-checking) local server, and none was refused.
    expect(fal.stats().unauthorized).toBe(0);
    expect(fal.stats().requests).toBeGreaterThan(0);
    // The static files and the health check do not contain it either.
    for (const path of ["/", "/app.js", "/style.css", "/healthz"]) {
      const text = await (await fetch(`${demo.url}${path}`)).text();
      expect(text).not.toContain(KEY);
    }
    // A WebSocket from another origin (another site in the user's browser) is refused.
    const status = await new Promise<number | string>((resolve) => {
      const ws = new WebSocket(`${demo.url.replace("http", "ws")}/ws`, {
        origin: "http://evil.example",
      });
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => {
        ws.close();
        resolve("open");
      });
      ws.on("error", () => undefined);
    });
    expect(status).toBe(403);
  });
});
