// RTVIProcessor (Pipecat's processors/frameworks/rtvi/processor.py): the server side of the RTVI
// protocol, placed right after transport.input(). It reads the client's RTVI messages (from
// InputTransportMessageFrames, which it consumes) and answers them; every message it sends goes
// downstream as an OutputTransportMessageUrgentFrame, which the output transport sends at once.
//
// Messages are handled one at a time, in arrival order, off the frame lanes (so a slow handler
// never holds up audio or interruptions). At most `maxPendingMessages` wait; past that a message
// is answered with an error-response at once.
//
// - client-ready → bot-ready {version "2.1.0", about} (unless autoBotReady is false: then call
//   setBotReady()), then the `clientReady` event. A version the server does not speak gets an
//   error-response first, and the handshake goes on, as in Pipecat.
// - send-text → the `sendText` option: "llm-context" (default, Pipecat's behaviour: interrupt when
//   run_immediately, then LLMMessagesAppendFrame([{role: "user", content}], runLlm)),
//   "text-frame" (a TextFrame, no interruption: what image bots want), or a function.
// - client-message {t, d} → the handler registered with onClientMessage(t): its return value
//   becomes a server-response {t, d}, a throw an error-response {error}, both with the request's
//   id. Without a handler, an RTVIClientMessageFrame goes downstream (answer it with an
//   RTVIServerResponseFrame) and `clientMessage` fires.
// - disconnect-bot → EndTaskFrame upstream: the task ends gracefully.
// - any other type → error-response "Unsupported type X"; a bad envelope → a non-fatal `error`; a
//   message that is not RTVI (another label) is ignored with a log line.
import { readFileSync } from "node:fs";
import type { Frame } from "../../../frames/base.js";
import { CancelFrame, EndFrame, EndTaskFrame, StartFrame } from "../../../frames/lifecycle.js";
import { LLMMessagesAppendFrame } from "../../../frames/llm.js";
import { RTVIClientMessageFrame } from "../../../frames/rtvi.js";
import { TextFrame } from "../../../frames/text.js";
import {
  InputTransportMessageFrame,
  OutputTransportMessageUrgentFrame,
} from "../../../frames/transport.js";
import { FrameDirection } from "../../direction.js";
import { FrameProcessor, type FrameProcessorOptions } from "../../frame-processor.js";
import { describeError, describeValue } from "../../../utils/errors.js";
import { logger } from "../../../utils/logger.js";
import {
  clientVersionProblem,
  parseClientMessageData,
  parseClientReadyData,
  parseRTVIMessage,
  parseSendTextData,
  RTVI_LEGACY_SUPPORTED_MAJOR,
  RTVI_PROTOCOL_VERSION,
  rtviBotReady,
  rtviError,
  rtviErrorResponse,
  type RTVIClientReadyData,
  RTVIDataError,
  type RTVIIncomingMessage,
  type RTVIMessage,
  rtviServerMessage,
  rtviServerResponse,
  type RTVISendTextOptions,
} from "./models.js";
import { RTVIObserver, type RTVIObserverParams } from "./observer.js";

/** Messages waiting to be handled, at most, by default. */
export const DEFAULT_MAX_PENDING_RTVI_MESSAGES = 32;

/** What a `send-text` does with the text (see RTVIProcessorOptions.sendText). */
export type RTVISendTextHandler = (
  text: string,
  options: Required<RTVISendTextOptions>,
  rtvi: RTVIProcessor,
) => unknown;

/** What a client-message handler learns about the request. */
export interface RTVIClientMessageContext {
  /** The request's RTVI id (echoed by the answer). */
  id: string;
  /** The app-level type (`t`). */
  type: string;
  rtvi: RTVIProcessor;
}

/**
 * Answers one client-message type: the value returned (or resolved) is the `d` of the
 * server-response; a throw becomes an error-response whose `error` is the error's message.
 */
export type RTVIClientMessageHandler = (
  data: unknown,
  context: RTVIClientMessageContext,
) => unknown;

export interface RTVIProcessorOptions extends FrameProcessorOptions {
  /**
   * What `send-text` does. "llm-context" (default): Pipecat's behaviour, for LLM pipelines;
   * interrupts the bot when `run_immediately` (the client's default), then pushes
   * `LLMMessagesAppendFrame([{ role: "user", content }], run_immediately)`. "text-frame": pushes a
   * `TextFrame(content)` and does not interrupt (image bots take each text as a prompt). Or a
   * function, called with the text and the options with defaults applied (`audio_response` is
   * only meaningful there: the built-in modes do not toggle speech).
   */
  sendText?: "llm-context" | "text-frame" | RTVISendTextHandler;
  /** Send bot-ready as soon as the client is ready. Default true; false: call setBotReady(). */
  autoBotReady?: boolean;
  /** bot-ready's `about`. Default `{ library: "pipecat-ts", library_version }`. */
  about?: Record<string, unknown>;
  /** Messages waiting to be handled, at most; more are refused with an error-response. Default 32. */
  maxPendingMessages?: number;
  /** Answer a client-message no handler took with an error-response. Default false (Pipecat's). */
  rejectUnhandledClientMessages?: boolean;
}

/** Handler arguments of RTVIProcessor's events (`rtvi.on(...)`). */
export interface RTVIProcessorEvents {
  /** The StartFrame went through. */
  botStarted: [rtvi: RTVIProcessor];
  /** The client sent client-ready (bot-ready was already sent, unless autoBotReady is false). */
  clientReady: [rtvi: RTVIProcessor, data: RTVIClientReadyData | undefined];
  /** A client-message no handler took (the RTVIClientMessageFrame was pushed downstream). */
  clientMessage: [rtvi: RTVIProcessor, frame: RTVIClientMessageFrame];
}

let packageVersion: string | undefined;

/** pipecat-ts's version, read once from package.json (same depth from src/ and dist/). */
export function pipecatTsVersion(): string {
  if (packageVersion !== undefined) return packageVersion;
  try {
    const pkg = JSON.parse(
      readFileSync(new URL("../../../../package.json", import.meta.url), "utf8"),
    ) as { version?: unknown };
    packageVersion = typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    packageVersion = "unknown";
  }
  return packageVersion;
}

/**
 * The server side of RTVI, for Pipecat's client SDKs (`@pipecat-ai/client-js`).
 *
 * @example
 * ```ts
 * const rtvi = new RTVIProcessor({ sendText: "text-frame" });
 * rtvi.onClientMessage("settings", (data) => applySettings(data)); // → server-response
 * rtvi.on("clientReady", () => startNarrating());
 * const task = new PipelineTask(
 *   new Pipeline([transport.input(), rtvi, bot, transport.output()]),
 *   { observers: [rtvi.createObserver()] },
 * );
 * ```
 */
export class RTVIProcessor extends FrameProcessor {
  readonly #sendText: "llm-context" | "text-frame" | RTVISendTextHandler;
  readonly #autoBotReady: boolean;
  readonly #about: Record<string, unknown> | undefined;
  readonly #maxPending: number;
  readonly #rejectUnhandled: boolean;
  readonly #handlers = new Map<string, RTVIClientMessageHandler>();

  #pending: RTVIIncomingMessage[] = [];
  #pumping = false;
  #accepting = false;
  #clientReady = false;
  #clientReadyId = "";
  #botReady = false;
  #clientVersion: [number, number, number] = [0, 0, 0];

  constructor(options: RTVIProcessorOptions = {}) {
    super(options);
    this.#sendText = options.sendText ?? "llm-context";
    this.#autoBotReady = options.autoBotReady ?? true;
    this.#about = options.about;
    const max = options.maxPendingMessages ?? DEFAULT_MAX_PENDING_RTVI_MESSAGES;
    if (!(Number.isInteger(max) && max >= 1))
      throw new RangeError(`maxPendingMessages must be an integer >= 1, got ${max}`);
    this.#maxPending = max;
    this.#rejectUnhandled = options.rejectUnhandledClientMessages ?? false;
  }

  /** The client's protocol version as [major, minor, patch]; [0, 0, 0] before client-ready. */
  get clientVersion(): readonly [number, number, number] {
    return this.#clientVersion;
  }

  /** True once the client sent client-ready. */
  get isClientReady(): boolean {
    return this.#clientReady;
  }

  /** True once bot-ready was sent. */
  get isBotReady(): boolean {
    return this.#botReady;
  }

  /** Messages received and not yet handled. */
  get pendingMessages(): number {
    return this.#pending.length;
  }

  /** An RTVIObserver that sends its messages through this processor. */
  createObserver(params?: RTVIObserverParams): RTVIObserver {
    return new RTVIObserver(this, params);
  }

  /**
   * Answers client-messages of type `type` (one handler per type; a new one replaces the old).
   * Returns a function that removes it.
   *
   * @example
   * ```ts
   * rtvi.onClientMessage("settings", (data) => {
   *   const seed = (data as { seed?: unknown }).seed;
   *   if (typeof seed !== "number") throw new Error(`settings.seed: ${seed} is not a number`);
   *   return { applied: { seed } }; // the client's sendClientRequest() resolves with this
   * });
   * ```
   */
  onClientMessage(type: string, handler: RTVIClientMessageHandler): () => void {
    this.#handlers.set(type, handler);
    return () => {
      if (this.#handlers.get(type) === handler) this.#handlers.delete(type);
    };
  }

  override on<E extends keyof RTVIProcessorEvents>(
    event: E,
    handler: (...args: RTVIProcessorEvents[E]) => unknown,
  ): void;
  override on(event: string, handler: (...args: never[]) => unknown): void;
  override on(event: string, handler: (...args: never[]) => unknown): void {
    super.on(event, handler);
  }

  // ---------------------------------------------------------------------------------------------
  // Sending

  /** Sends an RTVI message at once (an OutputTransportMessageUrgentFrame downstream). */
  async pushTransportMessage(message: RTVIMessage): Promise<void> {
    await this.pushFrame(new OutputTransportMessageUrgentFrame(message), FrameDirection.DOWNSTREAM);
  }

  /** Sends bot-ready (answering client-ready's id). Call it yourself with autoBotReady false. */
  async setBotReady(about?: Record<string, unknown>): Promise<void> {
    this.#botReady = true;
    // A 1.x client gets its own version back, as Pipecat does, so it keeps its v1 behaviour.
    const version =
      this.#clientVersion[0] === RTVI_LEGACY_SUPPORTED_MAJOR
        ? this.#clientVersion.join(".")
        : RTVI_PROTOCOL_VERSION;
    const info = about ??
      this.#about ?? { library: "pipecat-ts", library_version: pipecatTsVersion() };
    await this.pushTransportMessage(rtviBotReady(this.#clientReadyId, { version, about: info }));
  }

  /** Sends a `server-message` (the client's onServerMessage) at once. */
  async sendServerMessage(data: unknown): Promise<void> {
    await this.pushTransportMessage(rtviServerMessage(data));
  }

  /** Answers a client request with a `server-response` {t, d}. */
  async sendServerResponse(request: { id: string; type: string }, data: unknown): Promise<void> {
    await this.pushTransportMessage(rtviServerResponse(request.id, request.type, data));
  }

  /** Answers a client request with an `error-response`. */
  async sendErrorResponse(id: string, error: string): Promise<void> {
    await this.pushTransportMessage(rtviErrorResponse(id, error));
  }

  /** Sends an `error` event (non-fatal unless said: a fatal one makes the client hang up). */
  async sendError(error: string, fatal = false): Promise<void> {
    await this.pushTransportMessage(rtviError(error, fatal));
  }

  /** Interrupts the bot (an InterruptionFrame both ways), as send-text does by default. */
  async interruptBot(): Promise<void> {
    await this.broadcastInterruption();
  }

  // ---------------------------------------------------------------------------------------------
  // Frames

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof StartFrame) {
      await this.pushFrame(frame, direction);
      this.#accepting = true;
      await this.emit("botStarted", this);
    } else if (frame instanceof CancelFrame) {
      this.#stopHandling();
      await this.pushFrame(frame, direction);
    } else if (
      frame instanceof InputTransportMessageFrame &&
      direction === FrameDirection.DOWNSTREAM
    ) {
      await this.#receive(frame.message);
    } else if (frame instanceof EndFrame) {
      await this.pushFrame(frame, direction);
      this.#stopHandling();
    } else {
      await this.pushFrame(frame, direction);
    }
  }

  override async cleanup(): Promise<void> {
    await super.cleanup();
    this.#stopHandling();
  }

  #stopHandling(): void {
    this.#accepting = false;
    this.#pending = [];
  }

  async #receive(raw: unknown): Promise<void> {
    const parsed = parseRTVIMessage(raw);
    if (parsed.kind === "not-rtvi") {
      logger.warn(
        `${this.name}: ignoring a message that is not RTVI (label ${describeValue(parsed.label)})`,
      );
      return;
    }
    if (parsed.kind === "invalid") {
      logger.warn(`${this.name}: invalid RTVI message: ${parsed.error}`);
      await this.sendError(`Invalid RTVI transport message: ${parsed.error}`);
      return;
    }
    const message = parsed.message;
    if (!this.#accepting) {
      logger.debug(`${this.name}: not running; ${message.type} ignored`);
      return;
    }
    if (this.#pending.length >= this.#maxPending) {
      logger.warn(
        `${this.name}: ${this.#maxPending} messages already waiting; refused a ${message.type}`,
      );
      await this.sendErrorResponse(
        message.id,
        `Too many pending messages (limit ${this.#maxPending}); try again later`,
      );
      return;
    }
    this.#pending.push(message);
    if (!this.#pumping) void this.#pump();
  }

  /** Handles pending messages one at a time. Never rejects. */
  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      for (;;) {
        const message = this.#pending.shift();
        if (message === undefined) break;
        await this.#handle(message);
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #handle(message: RTVIIncomingMessage): Promise<void> {
    try {
      switch (message.type) {
        case "client-ready":
          await this.#clientReadyReceived(message);
          break;
        case "send-text":
          await this.#sendTextReceived(message);
          break;
        case "client-message":
          await this.#clientMessageReceived(message);
          break;
        case "disconnect-bot":
          await this.pushFrame(
            new EndTaskFrame("client asked to disconnect"),
            FrameDirection.UPSTREAM,
          );
          break;
        default:
          await this.sendErrorResponse(message.id, `Unsupported type ${message.type}`);
      }
    } catch (error) {
      const text =
        error instanceof RTVIDataError
          ? error.message
          : `Exception processing message: ${describeError(error)}`;
      logger.warn(`${this.name}: ${message.type}: ${text}`);
      await this.sendErrorResponse(message.id, text);
    }
  }

  async #clientReadyReceived(message: RTVIIncomingMessage): Promise<void> {
    const data = parseClientReadyData(message.data);
    const problem = clientVersionProblem(data?.version);
    if (problem === undefined && data !== undefined) {
      this.#clientVersion = data.version.split(".").map(Number) as [number, number, number];
    }
    if (problem !== undefined) {
      logger.warn(`${this.name}: ${problem}`);
      await this.sendErrorResponse(message.id, problem);
    }
    this.#clientReadyId = message.id;
    this.#clientReady = true;
    logger.debug(`${this.name}: client ready (version ${data?.version ?? "unknown"})`);
    if (this.#autoBotReady) await this.setBotReady();
    await this.emit("clientReady", this, data);
  }

  async #sendTextReceived(message: RTVIIncomingMessage): Promise<void> {
    const { content, options } = parseSendTextData(message.data);
    const mode = this.#sendText;
    if (typeof mode === "function") {
      await mode(content, options, this);
    } else if (mode === "text-frame") {
      await this.pushFrame(new TextFrame(content));
    } else {
      if (options.run_immediately) await this.interruptBot();
      await this.pushFrame(
        new LLMMessagesAppendFrame([{ role: "user", content }], options.run_immediately),
      );
    }
  }

  async #clientMessageReceived(message: RTVIIncomingMessage): Promise<void> {
    const { t, d } = parseClientMessageData(message.data);
    const handler = this.#handlers.get(t);
    if (handler === undefined) {
      const frame = new RTVIClientMessageFrame(message.id, t, d);
      await this.pushFrame(frame);
      await this.emit("clientMessage", this, frame);
      if (this.#rejectUnhandled)
        await this.sendErrorResponse(message.id, `Unsupported client message type ${t}`);
      return;
    }
    let answer: unknown;
    try {
      answer = await handler(d, { id: message.id, type: t, rtvi: this });
    } catch (error) {
      await this.sendErrorResponse(message.id, describeError(error));
      return;
    }
    await this.sendServerResponse({ id: message.id, type: t }, answer);
  }
}
