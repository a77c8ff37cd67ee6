// The WebSocket transports over real sockets on 127.0.0.1: frames both ways, the Host/Origin
// policy on upgrades, message size and rate limits, malformed input, backpressure, and the
// single-client server.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { InputAudioRawFrame, TTSAudioRawFrame } from "../../src/frames/audio.js";
import type { Frame } from "../../src/frames/base.js";
import { OutputImageRawFrame } from "../../src/frames/image.js";
import { EndFrame, InterruptionFrame, StartFrame } from "../../src/frames/lifecycle.js";
import { TTSStoppedFrame } from "../../src/frames/speech.js";
import {
  InputTransportMessageFrame,
  OutputTransportMessageUrgentFrame,
} from "../../src/frames/transport.js";
import { Pipeline } from "../../src/pipeline/pipeline.js";
import { PipelineTask } from "../../src/pipeline/task.js";
import { FrameDirection } from "../../src/processors/direction.js";
import { ProtobufFrameSerializer } from "../../src/serializers/protobuf.js";
import { createHostPolicy } from "../../src/server/host-guard.js";
import { WebsocketClient, type WebSocketLike } from "../../src/transports/websocket/client.js";
import { WebsocketServerTransport } from "../../src/transports/websocket/server.js";
import {
  WebsocketTransport,
  type WebsocketTransportParams,
} from "../../src/transports/websocket/transport.js";
import { createWebsocketUpgradeHandler } from "../../src/transports/websocket/upgrade.js";
import { type Logger, setLogger } from "../../src/utils/logger.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { RecorderProcessor } from "../helpers/run-test.js";

const serializer = new ProtobufFrameSerializer();
const SECRET = "sk-live-SECRET-0123456789";

let logs: string[];
let restore: Logger;
beforeEach(() => {
  logs = [];
  const record = (level: string) => (message: string) => logs.push(`${level} ${message}`);
  restore = setLogger({
    debug: record("debug"),
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
  });
});
afterEach(() => {
  setLogger(restore);
  expect(logs.join("\n")).not.toContain(SECRET);
});

const until = async (check: () => boolean, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

function message(data: unknown): Uint8Array {
  return serializer.serialize(new OutputTransportMessageUrgentFrame(data)) as Uint8Array;
}

interface Session {
  transport: WebsocketTransport;
  task: PipelineTask;
  down: RecorderProcessor;
  running: Promise<void>;
}

/** An HTTP server on 127.0.0.1 that gives each WebSocket at /ws its own pipeline. */
async function startApp(params: WebsocketTransportParams = {}) {
  const sessions: Session[] = [];
  const server: Server = createServer((_req, res) => res.end("page"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const policy = createHostPolicy({ bindAddress: "127.0.0.1", port });
  const upgrade = createWebsocketUpgradeHandler({ policy, path: "/ws" }, (ws) => {
    const transport = new WebsocketTransport(ws, { params });
    const down = new RecorderProcessor(FrameDirection.DOWNSTREAM, "Down");
    const task = new PipelineTask(new Pipeline([transport.input(), down, transport.output()]));
    transport.on("clientDisconnected", () => task.cancel("client left"));
    sessions.push({ transport, task, down, running: task.run() });
  });
  server.on("upgrade", upgrade);
  const close = async (): Promise<void> => {
    for (const s of sessions) await s.task.cancel();
    await Promise.all(sessions.map((s) => s.running));
    upgrade.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { port, sessions, close, url: `ws://127.0.0.1:${port}/ws` };
}

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once("close", (code) => resolve(code)));
}

function received(ws: WebSocket): Frame[] {
  const frames: Frame[] = [];
  ws.on("message", (data: Buffer) => {
    const frame = serializer.deserialize(new Uint8Array(data));
    if (frame) frames.push(frame);
  });
  return frames;
}

describe("WebsocketTransport (one connection, one pipeline)", () => {
  it("brings client messages into the pipeline and sends pipeline messages to the client", async () => {
    const app = await startApp();
    const ws = await connect(app.url);
    const inbox = received(ws);
    ws.send(message({ label: "rtvi-ai", type: "client-ready", id: "1" }));
    await until(
      () =>
        app.sessions[0]?.down.frames.some((f) => f instanceof InputTransportMessageFrame) ?? false,
    );
    const got = app.sessions[0]!.down.frames.find((f) => f instanceof InputTransportMessageFrame);
    expect((got as InputTransportMessageFrame).message).toEqual({
      label: "rtvi-ai",
      type: "client-ready",
      id: "1",
    });
    await app.sessions[0]!.task.queueFrame(new OutputTransportMessageUrgentFrame({ hi: "there" }));
    await until(() => inbox.length > 0);
    expect((inbox[0] as InputTransportMessageFrame).message).toEqual({ hi: "there" });
    ws.close();
    await app.close();
  });

  it("keeps messages sent before the pipeline started", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    let transport: WebsocketTransport | undefined;
    const upgrade = createWebsocketUpgradeHandler(
      { policy: createHostPolicy({ bindAddress: "127.0.0.1", port }) },
      (ws) => (transport = new WebsocketTransport(ws)),
    );
    server.on("upgrade", upgrade);
    const ws = await connect(`ws://127.0.0.1:${port}/`);
    for (let i = 0; i < 3; i += 1) ws.send(message({ n: i }));
    await until(() => transport !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const down = new RecorderProcessor(FrameDirection.DOWNSTREAM, "Down");
    const task = new PipelineTask(new Pipeline([transport!.input(), down, transport!.output()]));
    const running = task.run();
    await until(
      () => down.frames.filter((f) => f instanceof InputTransportMessageFrame).length === 3,
    );
    expect(
      down.frames
        .filter((f) => f instanceof InputTransportMessageFrame)
        .map((f) => (f as InputTransportMessageFrame).message),
    ).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    const closed = closeCode(ws);
    await task.queueFrame(new EndFrame());
    await running;
    expect(await closed).toBe(1000);
    upgrade.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it("sends paced audio, and closes with 1000 after EndFrame once it has been played", async () => {
    const app = await startApp({ audioOutEnabled: true });
    const ws = await connect(app.url);
    const inbox = received(ws);
    const closed = closeCode(ws);
    await until(() => app.sessions.length === 1);
    const { task, running } = app.sessions[0]!;
    const audio = new Uint8Array(200 * 48); // 200 ms at 24 kHz
    await task.queueFrame(new TTSAudioRawFrame({ audio, sampleRate: 24000 }));
    await task.queueFrame(new EndFrame());
    expect(await closed).toBe(1000);
    await running;
    const chunks = inbox.filter((f) => !(f instanceof InputTransportMessageFrame));
    expect(chunks).toHaveLength(5);
    await app.close();
  });
});

describe("what the client receives, in order", () => {
  it("sends a sync image's message after the audio before it and before the audio after it", async () => {
    const app = await startApp({
      audioOutEnabled: true,
      imageToMessage: (frame) => ({
        label: "rtvi-ai",
        type: "server-message",
        data: { image: frame.size },
      }),
    });
    const ws = await connect(app.url);
    const inbox = received(ws);
    await until(() => app.sessions.length === 1);
    const { task } = app.sessions[0]!;
    const image = new OutputImageRawFrame({
      image: new Uint8Array(4),
      size: { width: 1, height: 1 },
      format: "RGBA",
    });
    image.syncWithAudio = true;
    const speech = (ms: number) =>
      new TTSAudioRawFrame({ audio: new Uint8Array(ms * 48), sampleRate: 24000 });
    await task.queueFrame(speech(120));
    await task.queueFrame(image);
    await task.queueFrame(speech(80));
    await task.queueFrame(new TTSStoppedFrame());
    await until(() => inbox.length === 6);
    expect(inbox.map((f) => (f instanceof InputAudioRawFrame ? "audio" : "message"))).toEqual([
      "audio",
      "audio",
      "audio",
      "message",
      "audio",
      "audio",
    ]);
    expect((inbox[3] as InputTransportMessageFrame).message).toMatchObject({
      data: { image: { width: 1, height: 1 } },
    });
    ws.close();
    await app.close();
  });

  it("writes interruption frames only when the serializer is asked to", async () => {
    for (const interruptions of [false, true]) {
      const app = await startApp({ serializer: new ProtobufFrameSerializer({ interruptions }) });
      const ws = await connect(app.url);
      const inbox = received(ws);
      await until(() => app.sessions.length === 1);
      await app.sessions[0]!.task.queueFrame(new InterruptionFrame());
      await app.sessions[0]!.task.queueFrame(new OutputTransportMessageUrgentFrame({ after: 1 }));
      await until(() => inbox.some((f) => f instanceof InputTransportMessageFrame));
      expect(inbox.some((f) => f instanceof InterruptionFrame)).toBe(interruptions);
      ws.close();
      await app.close();
    }
  });

  it("drops client audio unless audioInEnabled, and passes it through when enabled", async () => {
    for (const audioInEnabled of [false, true]) {
      const app = await startApp({ audioInEnabled });
      const ws = await connect(app.url);
      const audio = new Uint8Array(
        new ProtobufFrameSerializer().serialize(
          new TTSAudioRawFrame({ audio: new Uint8Array(512), sampleRate: 16000 }),
        ) as Uint8Array,
      );
      ws.send(audio);
      ws.send(message({ marker: true }));
      await until(
        () =>
          app.sessions[0]?.down.frames.some((f) => f instanceof InputTransportMessageFrame) ??
          false,
      );
      const got = app.sessions[0]!.down.frames.filter((f) => f instanceof InputAudioRawFrame);
      expect(got).toHaveLength(audioInEnabled ? 1 : 0);
      ws.close();
      await app.close();
    }
  });
});

describe("the Host/Origin policy on upgrades", () => {
  it("refuses a foreign Host, a cross-site Origin and a wrong path; logs no token", async () => {
    const app = await startApp();
    await expect(
      connect(`${app.url}?token=${SECRET}`, { host: `evil.example:${app.port}` }),
    ).rejects.toThrow("HTTP 403");
    await expect(
      connect(`${app.url}?token=${SECRET}`, { origin: "http://evil.example" }),
    ).rejects.toThrow("HTTP 403");
    await expect(connect(`ws://127.0.0.1:${app.port}/other`)).rejects.toThrow("HTTP 404");
    expect(logs.filter((l) => l.includes("refused a WebSocket upgrade"))).toHaveLength(2);
    // The page's own origin is welcome.
    const ws = await connect(app.url, { origin: `http://127.0.0.1:${app.port}` });
    ws.close();
    await app.close();
  });
});

describe("inbound limits", () => {
  it("closes with 1009 on a message over the limit, and says so in the log", async () => {
    const app = await startApp();
    const ws = await connect(app.url);
    const closed = closeCode(ws);
    ws.on("error", () => undefined);
    ws.send(new Uint8Array(2 * 1024 * 1024));
    expect(await closed).toBe(1009);
    await until(() => logs.some((l) => l.includes("1009")));
    await app.close();
  });

  it("accepts a message of 1 MiB (the client's own cap)", async () => {
    const app = await startApp();
    const ws = await connect(app.url);
    const big = {
      label: "rtvi-ai",
      type: "client-message",
      id: "x",
      data: { t: "t", d: "y".repeat(1024 * 1024 - 100) },
    };
    ws.send(message(big));
    await until(
      () =>
        app.sessions[0]?.down.frames.some((f) => f instanceof InputTransportMessageFrame) ?? false,
    );
    ws.close();
    await app.close();
  });

  it("logs malformed messages, and closes with 1007 when they keep coming", async () => {
    const app = await startApp({ maxMalformedMessages: 3 });
    const ws = await connect(app.url);
    const closed = closeCode(ws);
    ws.send(new Uint8Array([0xff, 0xff, 0xff]));
    ws.send("a text frame");
    await until(() => logs.filter((l) => l.includes("ignored a")).length === 2);
    expect(logs.some((l) => l.includes("malformed-protobuf"))).toBe(true);
    expect(logs.some((l) => l.includes("text-message"))).toBe(true);
    // Still open, and still working.
    ws.send(message({ ok: true }));
    await until(
      () =>
        app.sessions[0]?.down.frames.some((f) => f instanceof InputTransportMessageFrame) ?? false,
    );
    ws.send(new Uint8Array([0x22, 0x03, 0x0a, 0x01, 0x7b]));
    ws.send(new Uint8Array([0x12, 0x50]));
    expect(await closed).toBe(1007);
    await app.close();
  });

  it("closes with 1008 when a client floods", async () => {
    const app = await startApp({ maxMessagesPerSecond: 20 });
    const ws = await connect(app.url);
    const closed = closeCode(ws);
    for (let i = 0; i < 100; i += 1) ws.send(message({ i }));
    expect(await closed).toBe(1008);
    expect(logs.some((l) => l.includes("too many messages"))).toBe(true);
    // The transport told the app the client is gone; the app cancelled the session.
    await app.sessions[0]!.running;
    expect(app.sessions[0]!.task.hasFinished()).toBe(true);
    await app.close();
  });
});

/** A stand-in socket whose unsent bytes the test sets. */
class FakeSocket implements WebSocketLike {
  readyState = 1;
  bufferedAmount = 0;
  sent: Uint8Array[] = [];
  closedWith: number | undefined;
  #listeners = new Map<string, Array<(...args: never[]) => void>>();
  send(data: Uint8Array): void {
    this.sent.push(data);
  }
  close(code?: number): void {
    this.closedWith = code;
    this.readyState = 3;
    for (const l of this.#listeners.get("close") ?? []) (l as (c: number) => void)(code ?? 1000);
  }
  pause(): void {}
  resume(): void {}
  on(event: string, listener: (...args: never[]) => void): this {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return this;
  }
}

describe("backpressure", () => {
  it("pauses audio while the client is not reading, and resumes when it catches up", async () => {
    const clock = new ManualClock();
    const socket = new FakeSocket();
    const transport = new WebsocketTransport(socket, {
      params: { audioOutEnabled: true, sendBufferHighWaterBytes: 10_000, maxSendStallSecs: 5 },
      clock,
    });
    const task = new PipelineTask(new Pipeline([transport.input(), transport.output()]));
    const running = task.run();
    await until(() => transport.output().started);
    await task.queueFrame(
      new TTSAudioRawFrame({ audio: new Uint8Array(48 * 1000), sampleRate: 24000 }),
    );
    await clock.advance(100);
    const sentBefore = socket.sent.length;
    expect(sentBefore).toBeGreaterThan(2);
    socket.bufferedAmount = 20_000; // the client stopped reading
    await clock.advance(2000);
    expect(socket.sent.length).toBeLessThanOrEqual(sentBefore + 1);
    expect(logs.some((l) => l.includes("pausing audio"))).toBe(true);
    socket.bufferedAmount = 0; // caught up
    await clock.advance(2000);
    expect(socket.sent.length).toBeGreaterThan(sentBefore + 5);
    expect(socket.closedWith).toBeUndefined();
    await task.cancel();
    await running;
  });

  it("closes with 1008 when the client stalls past maxSendStallSecs", async () => {
    const clock = new ManualClock();
    const socket = new FakeSocket();
    const client = new WebsocketClient(socket, {
      sendBufferHighWaterBytes: 1000,
      maxSendStallSecs: 2,
      clock,
    });
    socket.bufferedAmount = 5000;
    const waiting = client.waitWritable();
    await clock.advance(2100);
    expect(await waiting).toBe(false);
    expect(socket.closedWith).toBe(1008);
    expect(logs.some((l) => l.includes("1008 client not reading"))).toBe(true);
  });

  it("closes with 1008 rather than buffer past sendBufferLimitBytes", () => {
    const socket = new FakeSocket();
    const client = new WebsocketClient(socket, { sendBufferLimitBytes: 4096 });
    expect(client.send(new Uint8Array(1000))).toBe(true);
    socket.bufferedAmount = 4000;
    expect(client.send(new Uint8Array(1000))).toBe(false);
    expect(socket.closedWith).toBe(1008);
    expect(client.send(new Uint8Array(10))).toBe(false);
  });
});

describe("coalesced writes", () => {
  it("sends what is sent in one turn of the event loop in one write, in order", async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const policy = createHostPolicy({ bindAddress: "127.0.0.1", port });
    let writes = 0;
    const accepted = new Promise<WebsocketClient>((resolve) => {
      const upgrade = createWebsocketUpgradeHandler({ policy, path: "/ws" }, (ws) => {
        // Count the writes that reach the network socket (one per write(2)/writev(2)).
        const socket = (ws as unknown as { _socket: Record<string, (...a: unknown[]) => void> })
          ._socket;
        for (const name of ["_write", "_writev"]) {
          const original = socket[name] as (...a: unknown[]) => void;
          socket[name] = function (this: unknown, ...args: unknown[]) {
            writes += 1;
            return original.apply(this, args);
          };
        }
        resolve(new WebsocketClient(ws));
      });
      server.on("upgrade", upgrade);
    });
    const ws = await connect(`ws://127.0.0.1:${port}/ws`);
    const frames = received(ws);
    const client = await accepted;
    const turn = () => new Promise((resolve) => setImmediate(resolve));

    for (const n of [1, 2, 3]) expect(client.send(message({ n }))).toBe(true);
    expect(writes).toBe(0); // held until the turn ends
    await turn();
    expect(writes).toBe(1);
    client.send(message({ n: 4 }));
    await turn();
    expect(writes).toBe(2);
    await until(() => frames.length === 4);
    expect(frames.map((f) => (f as OutputTransportMessageUrgentFrame).message)).toEqual([
      { n: 1 },
      { n: 2 },
      { n: 3 },
      { n: 4 },
    ]);
    ws.terminate();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
});

describe("WebsocketServerTransport (one client at a time)", () => {
  async function startServer() {
    const transport = new WebsocketServerTransport({ port: 0 });
    const down = new RecorderProcessor(FrameDirection.DOWNSTREAM, "Down");
    const task = new PipelineTask(new Pipeline([transport.input(), down, transport.output()]));
    let ready!: (port: number) => void;
    const port = new Promise<number>((resolve) => (ready = resolve));
    transport.on("websocketReady", (_t, address) => ready(address.port));
    const running = task.run();
    return { transport, down, task, running, port: await port };
  }

  it("refuses a second client with 1013, then serves the next one after the first leaves", async () => {
    const { transport, down, task, running, port } = await startServer();
    const url = `ws://127.0.0.1:${port}/`;
    const disconnected: number[] = [];
    transport.on("clientDisconnected", () => disconnected.push(1));
    const first = await connect(url);
    const second = await connect(url);
    expect(await closeCode(second)).toBe(1013);
    first.send(message({ from: "first" }));
    await until(() => down.frames.some((f) => f instanceof InputTransportMessageFrame));
    first.close();
    await until(() => disconnected.length === 1);
    const third = await connect(url);
    const inbox = received(third);
    third.send(message({ from: "third" }));
    await until(
      () => down.frames.filter((f) => f instanceof InputTransportMessageFrame).length === 2,
    );
    await task.queueFrame(new OutputTransportMessageUrgentFrame({ to: "third" }));
    await until(() => inbox.length === 1);
    const closed = closeCode(third);
    await task.queueFrame(new EndFrame());
    await running;
    expect(await closed).toBe(1000);
    // The server stopped listening.
    await expect(connect(url)).rejects.toThrow();
    expect(down.frames.some((f) => f instanceof StartFrame)).toBe(true);
  });

  it("answers plain HTTP with 426 and a foreign Host with 403", async () => {
    const { task, running, port } = await startServer();
    const plain = await fetch(`http://127.0.0.1:${port}/`);
    expect(plain.status).toBe(426);
    await expect(connect(`ws://127.0.0.1:${port}/`, { host: "attacker.example" })).rejects.toThrow(
      "HTTP 403",
    );
    await task.cancel();
    await running;
  });
});
