// The calendar bot's message contract, driven by Pipecat's official client in Node against the
// three local twins: on bot-ready it narrates the months; each month's image is a server-message
// (served by the bot) that arrives before that month's first audio chunk and after the previous
// month's last; the sentences come as bot-tts-text, the speech as paced 24 kHz audio; the end is
// a server-message after the last speech. A disconnect cancels the session's work.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoServer, startDemoServer } from "../../src/web/demo.js";
import {
  type OfficialClient,
  type SeenEvent,
  serverMessage,
  useOfficialClients,
} from "../helpers/pipecat-client.js";

let demo: DemoServer;

beforeAll(async () => {
  demo = await startDemoServer({
    bot: "calendar",
    backend: "local",
    months: 2,
    port: 0,
    twins: { cartesia: { engine: "builtin" }, fal: { inferenceMs: 20 } },
  });
});
afterAll(async () => {
  await demo?.close();
});
const connectTo = useOfficialClients();
const connect = (): Promise<OfficialClient> => connectTo(demo);

/** The log reduced to what the test reasons about: image<i>, audio runs, text<i>, finished. */
function shape(log: readonly SeenEvent[]): string[] {
  const out: string[] = [];
  let texts = 0;
  for (const event of log) {
    if (event.kind === "audio") {
      if (out.at(-1) !== "audio") out.push("audio");
    } else if (event.kind === "server-message") {
      const data = event.data as { type: string; index?: number };
      if (data.type === "image") out.push(`image${data.index}`);
      else out.push(data.type);
    } else if (event.kind === "bot-tts-text") out.push(`text${texts++}`);
  }
  return out;
}

// Two months of real-time speech take about 25 s.
describe("calendar bot: what a Pipecat client gets", { timeout: 120_000 }, () => {
  it("narrates on bot-ready: each month's image arrives just before its audio, sentences as bot-tts-text, speech paced at 24 kHz", async () => {
    const c = await connect();
    expect(c.botReady.about).toMatchObject({
      library: "pipecat-ts",
      bot: "calendar",
      months: ["January", "February"],
      backends: { llm: "local", tts: "local", image: "local" },
    });
    await c.next(serverMessage("calendar-finished"), 100_000);
    // The whole exchange, in order: the start, then per month its image, its audio and (once the
    // audio has played) its sentence. calendar-finished goes out in step with the audio, after the
    // last chunk; the last sentence's bot-tts-text may come just before or just after it (it is
    // sent by the RTVIObserver, on its own schedule).
    const events = shape(c.log);
    expect(events.filter((e) => e !== "calendar-finished")).toEqual([
      "calendar-started",
      "image0",
      "audio",
      "text0",
      "image1",
      "audio",
      "text1",
    ]);
    expect(events.indexOf("calendar-finished")).toBeGreaterThan(events.lastIndexOf("audio"));
    const images = c.serverMessages.filter((m) => m.type === "image");
    expect(images.map((m) => [m.index, m.month])).toEqual([
      [0, "January"],
      [1, "February"],
    ]);
    for (const image of images) {
      expect(image).toMatchObject({ width: 1024, height: 1024, mimeType: "image/png" });
      expect(image.url).toMatch(/^\/images\/[0-9a-f]{32}\.png$/);
      expect(String(image.prompt).length).toBeGreaterThan(20);
      expect((await fetch(`${demo.url}${image.url as string}`)).status).toBe(200);
    }
    // The spoken text is "Month: the image's sentence".
    const texts = c.log.filter((e) => e.kind === "bot-tts-text").map((e) => e.data);
    expect(texts).toEqual([`January: ${images[0]?.prompt}`, `February: ${images[1]?.prompt}`]);
    expect(c.serverMessages.find((m) => m.type === "calendar-finished")).toEqual({
      type: "calendar-finished",
      months: 2,
    });
    expect(c.errors).toEqual([]);

    // The speech: 24 kHz chunks of 40 ms (but each utterance's last), paced, not a burst.
    const chunks = c.media.botAudio;
    expect(chunks.length).toBeGreaterThan(20);
    // 40 ms at 24 kHz, but for each utterance's last (shorter) chunk.
    const full = chunks.filter((chunk) => chunk.samples.length === 960).length;
    expect(full).toBeGreaterThanOrEqual(chunks.length - 2);
    const samples = chunks.reduce((n, chunk) => n + chunk.samples.length, 0);
    const seconds = samples / 24_000;
    const firstImage = c.log.find(serverMessage("image")) as SeenEvent;
    const finished = c.log.find(serverMessage("calendar-finished")) as SeenEvent;
    // Real time: the audio took (about) as long to arrive as it lasts.
    expect((finished.at - firstImage.at) / 1000).toBeGreaterThan(seconds * 0.8);
  });

  it("send-text gets a non-fatal error: the calendar narrates by itself", async () => {
    const c = await connect();
    await c.client.sendText("tell me about March");
    const error = await c.next((e) => e.kind === "error");
    expect(error.data).toEqual({
      error: "The calendar bot narrates by itself: it takes no text.",
      fatal: false,
    });
  });

  it("a client that leaves mid-narration ends its session", async () => {
    const c = await connect();
    await c.next(serverMessage("image"), 30_000);
    await c.client.disconnect();
    await expect.poll(() => demo.sessions, { timeout: 5_000 }).toBe(0);
  });
});
