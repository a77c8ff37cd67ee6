// The headless Chromium the browser tests drive (Debian's package through playwright-core): where
// it is, and the one way the tests start it.
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium, or CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Starts headless Chromium; throws a message saying how to install it when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      // No update checks or other traffic of its own: a test sees only what the page fetches.
      "--disable-background-networking",
      // The pages play audio without a click first.
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
}
