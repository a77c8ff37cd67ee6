// CartesiaHttpTTSService end to end against the local Cartesia twin (real speech from espeak-ng
// or the built-in engine): audible audio whose length follows the text, the key check, and the
// twin's faults seen through the service's retries and errors.
import { afterEach, describe, expect, it } from "vitest";
import { concatBytes, pcm16Rms } from "../../../src/audio/pcm.js";
import { TTSAudioRawFrame } from "../../../src/frames/audio.js";
import type { Frame } from "../../../src/frames/base.js";
import { ErrorFrame } from "../../../src/frames/error.js";
import { LLMFullResponseEndFrame, LLMFullResponseStartFrame } from "../../../src/frames/llm.js";
import { TTSSpeakFrame, TTSStoppedFrame, TTSTextFrame } from "../../../src/frames/speech.js";
import { LLMTextFrame } from "../../../src/frames/text.js";
import {
  type LocalCartesiaServer,
  startLocalCartesiaServer,
} from "../../../src/local/cartesia/index.js";
import { CartesiaHttpTTSService } from "../../../src/services/cartesia/tts.js";
import { runTest } from "../../helpers/run-test.js";
import { silenceLogs } from "../../helpers/test-processors.js";

const VOICE = "71a7ad14-091c-4e8e-a314-022ece01c121";
const KEY = "sk_car_e2e_key_0001";
const servers: LocalCartesiaServer[] = [];
let restoreLogs: (() => void) | undefined;

afterEach(async () => {
  restoreLogs?.();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(): Promise<{ server: LocalCartesiaServer; tts: CartesiaHttpTTSService }> {
  const server = await startLocalCartesiaServer({ requiredKey: KEY });
  servers.push(server);
  const tts = new CartesiaHttpTTSService({
    apiKey: KEY,
    baseUrl: server.url,
    settings: new CartesiaHttpTTSService.Settings({ voice: VOICE }),
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
  });
  return { server, tts };
}

/** Seconds of audio per context (TTSTextFrame text → its audio). */
function audioByText(frames: Frame[]): Map<string, { seconds: number; pcm: Uint8Array }> {
  const out = new Map<string, { seconds: number; pcm: Uint8Array }>();
  let pending: TTSAudioRawFrame[] = [];
  for (const frame of frames) {
    if (frame instanceof TTSAudioRawFrame) pending.push(frame);
    else if (frame instanceof TTSTextFrame) {
      out.set(frame.text, {
        seconds: pending.reduce((s, f) => s + f.durationSeconds, 0),
        pcm: concatBytes(pending.map((f) => f.audio)),
      });
      pending = [];
    }
  }
  return out;
}

describe("CartesiaHttpTTSService against the local Cartesia twin", () => {
  it("speaks an LLM turn: audible audio per sentence, longer for a longer sentence", async () => {
    const { server, tts } = await setup();
    const short = "Snow falls.";
    const long =
      "In January, a quiet pine forest stands under fresh snow while the pale sun rises.";
    const { down, up } = await runTest(tts, {
      framesToSend: [
        new LLMFullResponseStartFrame(),
        new LLMTextFrame(`${short} `),
        new LLMTextFrame(long),
        new LLMFullResponseEndFrame(),
      ],
    });
    expect(up.filter((f) => f instanceof ErrorFrame)).toEqual([]);
    const spoken = audioByText(down);
    expect([...spoken.keys()]).toEqual([short, long]);
    const a = spoken.get(short) as { seconds: number; pcm: Uint8Array };
    const b = spoken.get(long) as { seconds: number; pcm: Uint8Array };
    expect(a.seconds).toBeGreaterThan(0.3);
    expect(b.seconds).toBeGreaterThan(a.seconds * 3);
    expect(pcm16Rms(a.pcm)).toBeGreaterThan(0.01);
    expect(pcm16Rms(b.pcm)).toBeGreaterThan(0.01);
    // Bounded frames at the pipeline's rate.
    const frames = down.filter((f): f is TTSAudioRawFrame => f instanceof TTSAudioRawFrame);
    expect(frames.every((f) => f.sampleRate === 24000 && f.audio.byteLength <= 1920)).toBe(true);
    expect(down.filter((f) => f instanceof TTSStoppedFrame)).toHaveLength(1);
    expect(server.stats()).toMatchObject({ syntheses: 2, unauthorized: 0 });
  });

  it("retries the twin's 503 (Retry-After 0) and reports its broken stream as a network error", async () => {
    restoreLogs = silenceLogs();
    const { server, tts } = await setup();
    server.setFaults([
      { operation: "tts", status: 503, headers: { "retry-after": "0" }, times: 1 },
    ]);
    const first = await runTest(tts, { framesToSend: [new TTSSpeakFrame("Once more.")] });
    expect(first.up.filter((f) => f instanceof ErrorFrame)).toEqual([]);
    expect(server.stats().byStatus).toMatchObject({ "503": 1, "200": 1 });

    server.setFaults([{ operation: "tts", truncateBody: true, times: 1 }]);
    const second = await runTest(tts, {
      framesToSend: [new TTSSpeakFrame("This answer breaks halfway through.")],
    });
    const error = second.up.find((f): f is ErrorFrame => f instanceof ErrorFrame);
    expect(error?.category).toBe("network");
    expect(second.down.some((f) => f instanceof TTSTextFrame)).toBe(false);
  });

  it("is refused without the key, as an authentication ErrorFrame", async () => {
    restoreLogs = silenceLogs();
    const { server } = await setup();
    const stranger = new CartesiaHttpTTSService({
      apiKey: "sk_wrong",
      baseUrl: server.url,
      settings: new CartesiaHttpTTSService.Settings({ voice: VOICE }),
    });
    const { up } = await runTest(stranger, { framesToSend: [new TTSSpeakFrame("Hello?")] });
    const error = up.find((f): f is ErrorFrame => f instanceof ErrorFrame);
    expect(error?.category).toBe("authentication");
    expect(error?.error).toMatch(/HTTP 401: Unauthorized: Missing or invalid API key/);
  });
});
