// Loads Pipecat's official web client packages (@pipecat-ai/client-js 1.13.1 and
// @pipecat-ai/websocket-transport 1.7.1) in Node, as pipecat-live.md §8.14 describes: the client
// reads `window.navigator`, needs a global WebSocket that hands binary messages over as Blobs (as
// browsers do), and must be given a media manager (the default Daily one fetches code from a CDN).
import { afterEach, beforeEach, vi } from "vitest";
import { WebSocket as WsWebSocket } from "ws";
import { type Logger, setLogger, silentLogger } from "../../src/utils/logger.js";

/** A `ws` WebSocket that behaves like a browser's for binary messages (Blob, not Buffer). */
class BrowserLikeWebSocket extends WsWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    // ws 8.18+ supports "blob"; @types/ws does not list it yet.
    (this as { binaryType: string }).binaryType = "blob";
  }
}

let installed = false;

/** Installs `window` and `WebSocket` on globalThis (once) and imports the two packages. */
export async function loadPipecatClient() {
  if (!installed) {
    installed = true;
    const g = globalThis as Record<string, unknown>;
    g.window ??= { navigator: { userAgent: "Node.js" } };
    g.WebSocket ??= BrowserLikeWebSocket;
  }
  const [clientJs, transport] = await Promise.all([
    import("@pipecat-ai/client-js"),
    import("@pipecat-ai/websocket-transport"),
  ]);
  return { clientJs, transport };
}

/**
 * What WebSocketTransport needs of a media manager (pipecat-live.md §8.14): records the bot's
 * audio with arrival times, and lets the test play "microphone" audio.
 */
export class RecordingMediaManager {
  readonly botAudio: Array<{ at: number; samples: Int16Array }> = [];
  #userAudio: ((data: ArrayBuffer) => void) | undefined;
  setUserAudioCallback(callback: (data: ArrayBuffer) => void): void {
    this.#userAudio = callback;
  }
  setClientOptions(): void {}
  async initialize(): Promise<void> {}
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
  async userStartedSpeaking(): Promise<void> {}
  bufferBotAudio(data: Int16Array): Int16Array {
    this.botAudio.push({ at: performance.now(), samples: data });
    return data;
  }
  speak(bytes: number): void {
    this.#userAudio?.(new ArrayBuffer(bytes));
  }
  async getAllMics(): Promise<never[]> {
    return [];
  }
  async getAllCams(): Promise<never[]> {
    return [];
  }
  async getAllSpeakers(): Promise<never[]> {
    return [];
  }
  updateMic(): void {}
  updateCam(): void {}
  updateSpeaker(): void {}
  get selectedMic(): Record<string, never> {
    return {};
  }
  get selectedCam(): Record<string, never> {
    return {};
  }
  get selectedSpeaker(): Record<string, never> {
    return {};
  }
  enableMic(): void {}
  enableCam(): void {}
  enableScreenShare(): void {}
  get isMicEnabled(): boolean {
    return true;
  }
  get isCamEnabled(): boolean {
    return false;
  }
  get isSharingScreen(): boolean {
    return false;
  }
  get supportsScreenShare(): boolean {
    return false;
  }
  tracks(): { local: Record<string, never> } {
    return { local: {} };
  }
}

/** One thing an OfficialClient saw, in arrival order. */
export interface SeenEvent {
  kind: string;
  at: number;
  data?: unknown;
}

/**
 * Pipecat's official client connected to a bot (in Node), recording what it hears: server-messages,
 * errors, refused requests, bot-tts-text, speaking events and audio chunks, in one ordered log.
 */
export interface OfficialClient {
  client: {
    sendText(content: string, options?: Record<string, unknown>): Promise<void>;
    sendClientRequest(type: string, data: unknown, timeout?: number): Promise<unknown>;
    sendClientMessage(type: string, data?: unknown): void;
    disconnect(): Promise<void>;
    connected: boolean;
  };
  media: RecordingMediaManager;
  botReady: { version: string; about?: unknown };
  log: SeenEvent[];
  serverMessages: Array<Record<string, unknown>>;
  errors: Array<{ error: string; fatal: boolean }>;
  messageErrors: string[];
  /** Resolves with the first logged event `match` accepts (looking at past events first). */
  next(match: (event: SeenEvent) => boolean, timeoutMs?: number): Promise<SeenEvent>;
  disconnected: Promise<void>;
}

/** Connects Pipecat's official client to `wsUrl` and waits for bot-ready. */
export async function connectOfficialClient(wsUrl: string): Promise<OfficialClient> {
  const { clientJs, transport: wst } = await loadPipecatClient();
  clientJs.logger.setLevel(clientJs.LogLevel.ERROR);
  const media = new RecordingMediaManager();
  const log: SeenEvent[] = [];
  const waiters: Array<{ match: (e: SeenEvent) => boolean; resolve: (e: SeenEvent) => void }> = [];
  const serverMessages: Array<Record<string, unknown>> = [];
  const errors: Array<{ error: string; fatal: boolean }> = [];
  const messageErrors: string[] = [];
  const record = (kind: string, data?: unknown): void => {
    const event = { kind, at: performance.now(), data };
    log.push(event);
    for (const waiter of [...waiters])
      if (waiter.match(event)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
  };
  const originalBuffer = media.bufferBotAudio.bind(media);
  media.bufferBotAudio = (data: Int16Array) => {
    record("audio", data.length);
    return originalBuffer(data);
  };
  let onGone!: () => void;
  const disconnected = new Promise<void>((resolve) => (onGone = resolve));
  const client = new clientJs.PipecatClient({
    transport: new wst.WebSocketTransport({ mediaManager: media as never }),
    enableMic: false,
    enableCam: false,
    callbacks: {
      onServerMessage: (data: unknown) => {
        serverMessages.push(data as Record<string, unknown>);
        record("server-message", data);
      },
      onError: (message: { data?: unknown }) => {
        const data = message.data as { error: string; fatal: boolean };
        errors.push(data);
        record("error", data);
      },
      onMessageError: (message: { data?: unknown }) => {
        const error = String((message.data as { error?: unknown } | undefined)?.error);
        messageErrors.push(error);
        record("error-response", error);
      },
      onBotTtsText: (data: { text: string }) => record("bot-tts-text", data.text),
      onBotOutput: (data: unknown) => record("bot-output", data),
      onBotStartedSpeaking: () => record("bot-started-speaking"),
      onBotStoppedSpeaking: () => record("bot-stopped-speaking"),
      onDisconnected: () => {
        record("disconnected");
        onGone();
      },
    },
  });
  const botReady = await client.connect({ wsUrl });
  return {
    client: client as unknown as OfficialClient["client"],
    media,
    botReady,
    log,
    serverMessages,
    errors,
    messageErrors,
    disconnected,
    next(match, timeoutMs = 10_000) {
      const seen = log.find(match);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const kinds = log.map((e) => e.kind).join(", ");
          reject(new Error(`no matching event within ${timeoutMs} ms; saw: ${kinds}`));
        }, timeoutMs);
        waiters.push({
          match,
          resolve: (event) => {
            clearTimeout(timer);
            resolve(event);
          },
        });
      });
    },
  };
}

/** An event that is a server-message of `type` (and, optionally, matching `fields`). */
export function serverMessage(type: string, fields: Record<string, unknown> = {}) {
  return (event: SeenEvent): boolean => {
    if (event.kind !== "server-message") return false;
    const data = event.data as Record<string, unknown>;
    return data.type === type && Object.entries(fields).every(([k, v]) => data[k] === v);
  };
}

/**
 * For a test file that drives bots with the official client: silences the library's logs and the
 * client's console chatter during each test, disconnects every client it made after each test,
 * and returns `connect(server)` (a bot server's /ws).
 */
export function useOfficialClients(): (server: { url: string }) => Promise<OfficialClient> {
  const clients: OfficialClient[] = [];
  let restore: Logger;
  beforeEach(() => {
    restore = setLogger(silentLogger);
    // The client's socket wrapper prints its progress on the console.
    for (const method of ["log", "info", "debug"] as const)
      vi.spyOn(console, method).mockImplementation(() => undefined);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) if (c.client.connected) await c.client.disconnect();
    setLogger(restore);
    vi.restoreAllMocks();
  });
  return async (server) => {
    const c = await connectOfficialClient(`${server.url.replace("http", "ws")}/ws`);
    clients.push(c);
    return c;
  };
}
