// WebsocketClient (Pipecat's FastAPIWebsocketClient): one accepted `ws` WebSocket and the limits
// that keep a client from costing the server more than it should. It is what the websocket input
// and output transports read from and write to.
//
// Inbound: messages larger than maxMessageBytes close the connection with 1009; more than
// maxMessagesPerSecond (a token bucket, one second of burst) closes it with 1008; malformed
// payloads are logged, and more than maxMalformedMessages of them within a minute close it with
// 1007. Outbound: audio waits while the socket holds more than sendBufferHighWaterBytes unsent
// (the output's audio clock pauses), and a client that has not drained it within maxSendStallSecs
// is closed with 1008; any send that would take the unsent bytes past sendBufferLimitBytes closes
// it with 1008 too. Every close is logged on one line, never with a payload. What is sent in one
// turn of the event loop goes out in one write (the socket is corked until the next turn).
import type { DeserializeFailure } from "../../serializers/base-serializer.js";
import { describeError } from "../../utils/errors.js";
import { logger } from "../../utils/logger.js";
import { type OutputClock, realClock } from "../clock.js";

/** The client may send up to 1 MiB of JSON (its own cap); the protobuf envelope adds a few bytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 1024;
/** Pipecat's web client sends about 31–63 audio frames per second plus a few messages. */
export const DEFAULT_MAX_MESSAGES_PER_SECOND = 200;
/** Malformed messages tolerated within MALFORMED_WINDOW_MS before the connection is closed. */
export const DEFAULT_MAX_MALFORMED_MESSAGES = 10;
const MALFORMED_WINDOW_MS = 60_000;
/** About 2.7 s of 24 kHz mono audio. */
export const DEFAULT_SEND_BUFFER_HIGH_WATER_BYTES = 256 * 1024;
export const DEFAULT_SEND_BUFFER_LIMIT_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_SEND_STALL_SECS = 10;
/** How often a paused audio sender looks at the socket's unsent bytes. */
const SEND_BUFFER_POLL_MS = 20;

/** WebSocket close codes this package uses. */
export const CloseCode = {
  NORMAL: 1000,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  TRY_AGAIN_LATER: 1013,
} as const;

/** What a connection may cost the server. Every field is optional; defaults above. */
export interface WebsocketConnectionLimits {
  /** Largest inbound message, bytes (at least 1 MiB: the client sends up to that). */
  maxMessageBytes?: number;
  /** Inbound messages (audio included) per second, with one second of burst. */
  maxMessagesPerSecond?: number;
  /** Malformed inbound messages tolerated within a minute; 0 = the first one closes the connection. */
  maxMalformedMessages?: number;
  /** Unsent bytes past which audio waits (the audio clock pauses). */
  sendBufferHighWaterBytes?: number;
  /** Unsent bytes past which the connection is closed. */
  sendBufferLimitBytes?: number;
  /** How long audio may wait for the client to read before the connection is closed. */
  maxSendStallSecs?: number;
}

/** The part of a `ws` WebSocket the client uses (so tests can stand one in). */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array, options: { binary: boolean }, callback?: (error?: Error) => void): void;
  close(code?: number, reason?: string): void;
  pause(): void;
  resume(): void;
  on(event: "message", listener: (data: unknown, isBinary: boolean) => void): unknown;
  on(event: "close", listener: (code: number, reason: Buffer) => void): unknown;
  on(event: "error", listener: (error: Error & { code?: string }) => void): unknown;
}

const OPEN = 1;

/** The socket under a `ws` WebSocket, as far as coalescing writes needs it. */
interface CorkableSocket {
  cork(): void;
  uncork(): void;
}

/**
 * The network socket a `ws` WebSocket writes to (its `_socket`), or undefined for anything else
 * (a stand-in in tests): writes are then not coalesced, and nothing else changes.
 */
function corkableSocketOf(ws: WebSocketLike): CorkableSocket | undefined {
  const socket = (ws as { _socket?: Partial<CorkableSocket> | null })._socket;
  return typeof socket?.cork === "function" && typeof socket.uncork === "function"
    ? (socket as CorkableSocket)
    : undefined;
}

export type InboundHandler = (data: Uint8Array | string) => void;

/** Clamps and fills in the limits; throws a RangeError naming a bad one. */
function resolveLimits(limits: WebsocketConnectionLimits): Required<WebsocketConnectionLimits> {
  const out = {
    maxMessageBytes: limits.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    maxMessagesPerSecond: limits.maxMessagesPerSecond ?? DEFAULT_MAX_MESSAGES_PER_SECOND,
    maxMalformedMessages: limits.maxMalformedMessages ?? DEFAULT_MAX_MALFORMED_MESSAGES,
    sendBufferHighWaterBytes:
      limits.sendBufferHighWaterBytes ?? DEFAULT_SEND_BUFFER_HIGH_WATER_BYTES,
    sendBufferLimitBytes: limits.sendBufferLimitBytes ?? DEFAULT_SEND_BUFFER_LIMIT_BYTES,
    maxSendStallSecs: limits.maxSendStallSecs ?? DEFAULT_MAX_SEND_STALL_SECS,
  };
  for (const [field, value] of Object.entries(out)) {
    // 0 malformed messages tolerated: the first one closes the connection.
    if (field === "maxMalformedMessages") {
      if (!(Number.isInteger(value) && value >= 0))
        throw new RangeError(`${field} must be an integer >= 0, got ${String(value)}`);
    } else if (!(Number.isFinite(value) && value > 0))
      throw new RangeError(`${field} must be a number > 0, got ${String(value)}`);
  }
  return out;
}

export { resolveLimits as resolveWebsocketLimits };

export interface WebsocketClientOptions extends WebsocketConnectionLimits {
  /** Names the connection in log lines (e.g. "ws#3 127.0.0.1:51234"). */
  label?: string;
  /** The clock audio backpressure waits on. */
  clock?: OutputClock;
}

export class WebsocketClient {
  readonly label: string;
  readonly limits: Required<WebsocketConnectionLimits>;
  readonly #ws: WebSocketLike;
  readonly #clock: OutputClock;
  #handler: InboundHandler | undefined;
  /** Messages that arrived before startReading() (ws may emit a few after pause()). */
  #backlog: Array<Uint8Array | string> = [];
  #reading: "not yet" | "yes" | "stopped" = "not yet";
  #closing = false;
  #closed = false;
  #closeCode: number | undefined;
  readonly #closedPromise: Promise<number>;
  #resolveClosed!: (code: number) => void;
  readonly #closeListeners: Array<(code: number, byUs: boolean) => void> = [];
  #tokens: number;
  #refilledAt = performance.now();
  #malformedAt: number[] = [];
  #stalled = false;
  /** The socket, corked since the first send of this turn of the event loop. */
  #corked: CorkableSocket | undefined;
  readonly #uncork = (): void => {
    const socket = this.#corked;
    this.#corked = undefined;
    socket?.uncork();
  };

  constructor(ws: WebSocketLike, options: WebsocketClientOptions = {}) {
    this.#ws = ws;
    this.label = options.label ?? "websocket client";
    this.limits = resolveLimits(options);
    this.#clock = options.clock ?? realClock;
    this.#tokens = this.limits.maxMessagesPerSecond;
    this.#closedPromise = new Promise((resolve) => (this.#resolveClosed = resolve));
    // Nothing is read until a transport is ready for it.
    ws.pause();
    ws.on("message", (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on("error", (error) => this.#onError(error));
    ws.on("close", (code) => this.#onClose(code));
  }

  /** True while the socket is open and we have not started closing it. */
  get isOpen(): boolean {
    return !this.#closing && !this.#closed && this.#ws.readyState === OPEN;
  }

  /** Settles with the close code once the socket is closed. */
  get closed(): Promise<number> {
    return this.#closedPromise;
  }

  /** The close code, once closed. */
  get closeCode(): number | undefined {
    return this.#closeCode;
  }

  /** Bytes written but not yet handed to the network. */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  /** Called once the socket is closed; `byUs` is false when the client (or the network) closed it. */
  onClose(listener: (code: number, byUs: boolean) => void): void {
    this.#closeListeners.push(listener);
  }

  /** Starts delivering inbound messages (those that arrived meanwhile first). */
  startReading(handler: InboundHandler): void {
    this.#handler = handler;
    this.#reading = "yes";
    const backlog = this.#backlog;
    this.#backlog = [];
    for (const data of backlog) if (this.#reading === "yes") this.#deliver(data);
    if (this.isOpen) this.#ws.resume();
  }

  /** Stops delivering inbound messages (later ones are dropped). */
  stopReading(): void {
    this.#reading = "stopped";
    this.#handler = undefined;
    this.#backlog = [];
  }

  /** Logs a payload the serializer rejected; too many within a minute close the connection. */
  reportMalformed(failure: DeserializeFailure): void {
    const now = performance.now();
    this.#malformedAt = this.#malformedAt.filter((t) => now - t < MALFORMED_WINDOW_MS);
    this.#malformedAt.push(now);
    const count = this.#malformedAt.length;
    logger.warn(`${this.label}: ignored a ${failure.kind} message: ${failure.message}`);
    if (count > this.limits.maxMalformedMessages) {
      this.close(
        CloseCode.INVALID_PAYLOAD,
        "too many malformed messages",
        `${count} malformed messages within ${MALFORMED_WINDOW_MS / 1000} s (limit ${this.limits.maxMalformedMessages})`,
      );
    }
  }

  /**
   * Sends one binary message. Returns false (and sends nothing) when the socket is not open, or
   * when the unsent bytes would pass sendBufferLimitBytes, which closes the connection.
   */
  send(payload: Uint8Array): boolean {
    if (!this.isOpen) return false;
    if (this.#ws.bufferedAmount + payload.byteLength > this.limits.sendBufferLimitBytes) {
      this.close(
        CloseCode.POLICY_VIOLATION,
        "client not reading",
        `${this.#ws.bufferedAmount} bytes unsent (limit ${this.limits.sendBufferLimitBytes})`,
      );
      return false;
    }
    try {
      this.#coalesce();
      this.#ws.send(payload, { binary: true }, (error) => {
        if (error) logger.debug(`${this.label}: send failed: ${describeError(error)}`);
      });
      return true;
    } catch (error) {
      logger.debug(`${this.label}: send failed: ${describeError(error)}`);
      return false;
    }
  }

  /**
   * Corks the socket until the next turn of the event loop (once per turn): a bot that sends a
   * few messages at once (an image, the next scene's progress, the end of a run) costs one write
   * and one packet rather than one each. A message waits at most for the turn to end.
   */
  #coalesce(): void {
    if (this.#corked !== undefined) return;
    const socket = corkableSocketOf(this.#ws);
    if (socket === undefined) return;
    this.#corked = socket;
    socket.cork();
    setImmediate(this.#uncork);
  }

  /**
   * Waits while more than sendBufferHighWaterBytes are unsent (backpressure for audio). Resolves
   * true when the client caught up, false when the socket closed or the client stalled longer
   * than maxSendStallSecs (which closes it). Rejects when `signal` aborts.
   */
  async waitWritable(signal?: AbortSignal): Promise<boolean> {
    if (!this.isOpen) return false;
    if (this.#ws.bufferedAmount <= this.limits.sendBufferHighWaterBytes) return true;
    const since = this.#clock.now();
    if (!this.#stalled) {
      this.#stalled = true;
      logger.warn(
        `${this.label}: client is not reading (${this.#ws.bufferedAmount} bytes unsent); pausing audio`,
      );
    }
    while (this.#ws.bufferedAmount > this.limits.sendBufferHighWaterBytes) {
      if (!this.isOpen) return false;
      const waited = this.#clock.now() - since;
      if (waited >= this.limits.maxSendStallSecs * 1000) {
        this.close(
          CloseCode.POLICY_VIOLATION,
          "client not reading",
          `${this.#ws.bufferedAmount} bytes unsent after ${Math.round(waited)} ms`,
        );
        return false;
      }
      await this.#clock.sleep(SEND_BUFFER_POLL_MS, signal);
    }
    this.#stalled = false;
    logger.info(`${this.label}: client caught up; audio resumes`);
    return this.isOpen;
  }

  /** Closes the connection (once), logging why. */
  close(code: number = CloseCode.NORMAL, reason = "", detail?: string): void {
    if (this.#closing || this.#closed) return;
    this.#closing = true;
    this.#reading = "stopped";
    const line = `${this.label}: closing (${code}${reason ? ` ${reason}` : ""})${detail ? `: ${detail}` : ""}`;
    if (code === CloseCode.NORMAL) logger.debug(line);
    else logger.warn(line);
    try {
      this.#ws.close(code, reason);
    } catch (error) {
      logger.debug(`${this.label}: close failed: ${describeError(error)}`);
    }
  }

  #onMessage(data: unknown, isBinary: boolean): void {
    if (this.#closing || this.#closed) return;
    const bytes = toBytes(data);
    const size = bytes.byteLength;
    if (size > this.limits.maxMessageBytes) {
      this.close(
        CloseCode.MESSAGE_TOO_BIG,
        "message too big",
        `a ${size}-byte message (limit ${this.limits.maxMessageBytes})`,
      );
      return;
    }
    if (!this.#takeToken()) {
      this.close(
        CloseCode.POLICY_VIOLATION,
        "too many messages",
        `more than ${this.limits.maxMessagesPerSecond} messages per second`,
      );
      return;
    }
    const payload = isBinary ? bytes : Buffer.from(bytes).toString("utf8");
    if (this.#reading === "yes") this.#deliver(payload);
    else if (this.#reading === "not yet") this.#backlog.push(payload);
  }

  #deliver(payload: Uint8Array | string): void {
    try {
      this.#handler?.(payload);
    } catch (error) {
      logger.error(`${this.label}: handling a message failed: ${describeError(error)}`);
    }
  }

  /** Token bucket: maxMessagesPerSecond tokens, refilled continuously. */
  #takeToken(): boolean {
    const now = performance.now();
    const rate = this.limits.maxMessagesPerSecond;
    this.#tokens = Math.min(rate, this.#tokens + ((now - this.#refilledAt) / 1000) * rate);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  #onError(error: Error & { code?: string }): void {
    if (error.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH") {
      // ws refused a frame over maxPayload and closes with 1009 itself.
      logger.warn(
        `${this.label}: closing (1009 message too big): a message over ${this.limits.maxMessageBytes} bytes`,
      );
      this.#closing = true;
      return;
    }
    logger.warn(`${this.label}: connection error: ${describeError(error)}`);
  }

  #onClose(code: number): void {
    if (this.#closed) return;
    const byUs = this.#closing;
    this.#closed = true;
    this.#closeCode = code;
    this.#reading = "stopped";
    this.#handler = undefined;
    this.#backlog = [];
    logger.debug(`${this.label}: closed (${code})`);
    this.#resolveClosed(code);
    for (const listener of this.#closeListeners) {
      try {
        listener(code, byUs);
      } catch (error) {
        logger.error(`${this.label}: close listener failed: ${describeError(error)}`);
      }
    }
  }
}

/** ws hands over a Buffer (binaryType "nodebuffer"), an ArrayBuffer or fragments. */
function toBytes(data: unknown): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data as Buffer[]);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data instanceof Uint8Array) return data;
  return Buffer.from(String(data));
}
