// The pages' connection to their bot: Pipecat's official client (PipecatClient from
// @pipecat-ai/client-js) over Pipecat's WebSocket transport, to the bot server's /ws, with the
// transport's own WavMediaManager (the default Daily one would fetch Daily's code from a CDN; it
// is not even in the bundle). A fresh client per connection: the player marks its track
// interrupted when a client disconnects, and later audio on it would be dropped.
//
// Every event the page sees is also logged in `window.pipecatDemo.events` (bounded), for the
// browser tests and the curious.
import { type BotReadyData, PipecatClient, type RTVIMessage } from "@pipecat-ai/client-js";
import { WavMediaManager, WebSocketTransport } from "@pipecat-ai/websocket-transport";

/** What a page hears from its bot. */
export interface BotEvents {
  serverMessage?: (data: Record<string, unknown>) => void;
  /** An RTVI `error` (fatal ones end the connection) or a refused request. */
  error?: (message: string, fatal: boolean) => void;
  disconnected?: () => void;
  botTtsText?: (text: string) => void;
  botStartedSpeaking?: () => void;
  botStoppedSpeaking?: () => void;
  /** A chunk of the bot's audio was handed to the player. */
  audio?: (samples: number) => void;
}

/** One entry of the page's event log. */
export interface LoggedEvent {
  kind: string;
  /** performance.now() when it happened. */
  at: number;
  [detail: string]: unknown;
}

const MAX_LOGGED_EVENTS = 5000;

declare global {
  interface Window {
    pipecatDemo?: { events: LoggedEvent[]; played: () => Promise<number> };
  }
}

const eventLog: LoggedEvent[] = [];
/** Adds an entry to the page's event log. */
export function log(kind: string, detail: Record<string, unknown> = {}): void {
  eventLog.push({ kind, at: performance.now(), ...detail });
  if (eventLog.length > MAX_LOGGED_EVENTS) eventLog.splice(0, eventLog.length - MAX_LOGGED_EVENTS);
}

/** What the player exposes about playback (WavStreamPlayer's own method; not in its types). */
interface PlayerOffset {
  offset?: number;
}

/** How often playback progress is sampled while connected. */
const PLAYBACK_SAMPLE_MS = 250;

type PlayerWithOffset = { getTrackSampleOffset?: () => Promise<PlayerOffset | null> };

/**
 * The transport's WavMediaManager, watching the bot's audio as it is handed to the player, and
 * how much of it the player has played. It is the package's own class: only bufferBotAudio() is
 * wrapped, and the player's own getTrackSampleOffset() is asked for progress.
 */
class WatchedMediaManager extends WavMediaManager {
  onAudio: ((samples: number) => void) | undefined;
  /** Samples played by streams that have ended (the player starts a new one after a gap). */
  #playedBefore = 0;
  /** Samples played by the current stream, as last asked. */
  #playedNow = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #sampling = false;

  override bufferBotAudio(data: ArrayBuffer | Int16Array, id?: string): Int16Array {
    const samples = data instanceof Int16Array ? data.length : data.byteLength / 2;
    this.onAudio?.(samples);
    return super.bufferBotAudio(data, id);
  }

  /** Samples of bot audio the player has played so far. */
  get played(): number {
    return this.#playedBefore + this.#playedNow;
  }

  watchPlayback(): void {
    this.#timer ??= setInterval(() => void this.#sample(), PLAYBACK_SAMPLE_MS);
  }

  stopWatching(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #sample(): Promise<void> {
    // One question at a time: the player answers through its worklet.
    if (this.#sampling) return;
    this.#sampling = true;
    try {
      const player = (this as unknown as { _wavStreamPlayer?: PlayerWithOffset })._wavStreamPlayer;
      const offset = (await player?.getTrackSampleOffset?.())?.offset ?? 0;
      // A smaller offset (or none) means the stream ended and another began (or none plays).
      if (offset < this.#playedNow) this.#playedBefore += this.#playedNow;
      const before = this.played;
      this.#playedNow = offset;
      if (this.played !== before) log("played", { samples: this.played });
    } finally {
      this.#sampling = false;
    }
  }
}

/** The bot's WebSocket on this page's own server. */
function botUrl(): string {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/ws`;
}

export class BotConnection {
  readonly #events: BotEvents;
  #client: PipecatClient | undefined;
  #media: WatchedMediaManager | undefined;
  #connecting: Promise<BotReadyData> | undefined;
  /** Samples played, by every connection so far. */
  #played = 0;

  constructor(events: BotEvents) {
    this.#events = events;
    window.pipecatDemo = {
      events: eventLog,
      played: async () => this.#played + (this.#media?.played ?? 0),
    };
  }

  /** True once the bot said it is ready, until the connection ends. */
  get connected(): boolean {
    return this.#client !== undefined && this.#connecting === undefined;
  }

  /**
   * Connects (if not yet connected) and resolves with bot-ready's data. Call it from a click or a
   * key press: the audio player can only start after one.
   */
  async connect(): Promise<BotReadyData | undefined> {
    if (this.#client !== undefined && this.#connecting === undefined) return undefined;
    if (this.#connecting !== undefined) return this.#connecting;
    const media = new WatchedMediaManager();
    media.onAudio = (samples) => {
      media.watchPlayback();
      log("audio", { samples });
      this.#events.audio?.(samples);
    };
    const client = new PipecatClient({
      transport: new WebSocketTransport({ mediaManager: media }),
      // The bots do not listen: no microphone (the page's Permissions-Policy refuses it too).
      enableMic: false,
      enableCam: false,
      callbacks: {
        onServerMessage: (data: unknown) => {
          if (data === null || typeof data !== "object") return;
          const message = data as Record<string, unknown>;
          log("server-message", { type: message.type, index: message.index });
          this.#events.serverMessage?.(message);
        },
        onError: (message: RTVIMessage) => {
          const data = (message.data ?? {}) as { error?: unknown; fatal?: unknown };
          log("error", { error: data.error, fatal: data.fatal });
          this.#events.error?.(String(data.error ?? "Unknown error"), data.fatal === true);
        },
        onMessageError: (message: RTVIMessage) => {
          const data = (message.data ?? {}) as { error?: unknown };
          log("error-response", { error: data.error });
        },
        onBotTtsText: (data) => {
          log("bot-tts-text", { text: data.text });
          this.#events.botTtsText?.(data.text);
        },
        onBotStartedSpeaking: () => {
          log("bot-started-speaking");
          this.#events.botStartedSpeaking?.();
        },
        onBotStoppedSpeaking: () => {
          log("bot-stopped-speaking");
          this.#events.botStoppedSpeaking?.();
        },
        onDisconnected: () => {
          log("disconnected");
          media.stopWatching();
          if (this.#client !== client) return;
          this.#played += media.played;
          this.#client = undefined;
          this.#media = undefined;
          this.#events.disconnected?.();
        },
      },
    });
    this.#client = client;
    this.#media = media;
    log("connecting");
    this.#connecting = client.connect({ wsUrl: botUrl() });
    try {
      const ready = await this.#connecting;
      log("bot-ready", { about: ready.about });
      return ready;
    } catch (error) {
      if (this.#client === client) {
        this.#client = undefined;
        this.#media = undefined;
      }
      throw error;
    } finally {
      this.#connecting = undefined;
    }
  }

  /** Sends text to the bot (RTVI send-text); options as Pipecat's (run_immediately...). */
  async sendText(text: string, options?: { run_immediately?: boolean }): Promise<void> {
    await this.#require().sendText(text, options);
  }

  /** A client-message with an answer: resolves with the server-response's data, rejects with the error-response's text. */
  async request(type: string, data?: unknown): Promise<unknown> {
    try {
      return await this.#require().sendClientRequest(type, data ?? {});
    } catch (error) {
      throw new Error(errorText(error), { cause: error });
    }
  }

  async disconnect(): Promise<void> {
    const client = this.#client;
    this.#played += this.#media?.played ?? 0;
    this.#media?.stopWatching();
    this.#client = undefined;
    this.#media = undefined;
    await client?.disconnect();
  }

  #require(): PipecatClient {
    if (this.#client === undefined) throw new Error("Not connected to the bot.");
    return this.#client;
  }
}

/** The text of a rejected request (an error-response message, or an Error). */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  if (data && typeof data.error === "string") return data.error;
  return String(error);
}
