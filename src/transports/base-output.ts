// BaseOutputTransport (Pipecat's transports/base_output.py, one destination): sends what the
// pipeline produces to the client, with audio paced in real time.
//
// - Audio is resampled to the output rate if needed, cut into chunks of audioOut10msChunks × 10 ms
//   and put in one FIFO. A sender loop takes the FIFO's items in order and writes each chunk, then
//   waits as a sound card would (Pipecat's clock): the first chunk of a run of audio goes out at
//   once, the next one right after it (so the client holds one chunk ahead), then one chunk per
//   chunk duration on a monotonic schedule (next += duration). When the loop falls behind (a gap
//   in the audio, a stalled client) the schedule restarts from now.
// - Every other downstream data or control frame goes into the same FIFO and is handled (and
//   pushed on) only after the audio queued before it has been written: OutputTransportMessageFrame
//   is sent, an OutputImageRawFrame with syncWithAudio is written, TTSStoppedFrame ends the bot's
//   turn, anything else goes to writeTransportFrame(). Images without syncWithAudio are written at
//   once. OutputTransportMessageUrgentFrame (every RTVI message) is sent at once.
// - A partial chunk left at the end of a frame waits for more audio; it is sent as a shorter chunk
//   before any other queued frame (and at TTSStoppedFrame and EndFrame), and thrown away on an
//   interruption.
// - InterruptionFrame: pushed on first, then the FIFO (audio and sync frames) is cleared, the clock
//   reset, and BotStoppedSpeakingFrame broadcast if the bot was speaking.
// - BotStartedSpeakingFrame is broadcast when the first chunk of TTS audio is written,
//   BotSpeakingFrame at most every 200 ms while it speaks, BotStoppedSpeakingFrame when
//   TTSStoppedFrame is reached (after the last chunk), at an interruption, or after
//   botStoppedSpeakingTimeoutSecs with nothing queued.
// - EndFrame waits for the FIFO to drain and for the last chunk written to have played (as the
//   clock reckons it), then stop() runs and the EndFrame goes on. CancelFrame drops everything.
// - The FIFO is bounded (maxQueuedAudioSecs of audio): past it, this processor's frame handling
//   waits until the loop has sent enough, so a stalled client cannot grow it without bound.
import { OutputAudioRawFrame, PCM16_BYTES_PER_SAMPLE, TTSAudioRawFrame } from "../frames/audio.js";
import type { Frame } from "../frames/base.js";
import { OutputImageRawFrame } from "../frames/image.js";
import { CancelFrame, EndFrame, InterruptionFrame, StartFrame } from "../frames/lifecycle.js";
import {
  BotSpeakingFrame,
  BotStartedSpeakingFrame,
  BotStoppedSpeakingFrame,
  TTSStoppedFrame,
} from "../frames/speech.js";
import {
  OutputTransportMessageFrame,
  OutputTransportMessageUrgentFrame,
} from "../frames/transport.js";
import { FrameDirection } from "../processors/direction.js";
import { FrameProcessor, type FrameProcessorOptions } from "../processors/frame-processor.js";
import { describeError } from "../utils/errors.js";
import { logger } from "../utils/logger.js";
import { resamplePcm16 } from "../audio/resampler.js";
import { type OutputClock, realClock } from "./clock.js";
import {
  resolveTransportParams,
  type ResolvedTransportParams,
  type TransportParams,
} from "./params.js";

/** BotSpeakingFrame at most this often while the bot speaks (Pipecat: 0.2 s). */
export const BOT_SPEAKING_FRAME_PERIOD_MS = 200;

export interface BaseOutputTransportOptions extends FrameProcessorOptions {
  /** The pacing clock; tests pass a manual one. Default: performance.now() and setTimeout(). */
  clock?: OutputClock;
}

/** Items of the sender's FIFO. */
type QueueItem =
  | { kind: "audio"; frame: OutputAudioRawFrame; bytes: number; durationMs: number }
  | { kind: "frame"; frame: Frame }
  | { kind: "end"; done: () => void };

/** Thrown inside the sender when an interruption or cancel abandons the item in hand. */
function isAbort(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === "AbortError";
}

function abortError(why: string): DOMException {
  return new DOMException(why, "AbortError");
}

/**
 * The output half of a transport. Subclasses implement the write hooks; pacing, ordering,
 * interruptions and the bot-speaking frames are handled here.
 *
 * @example
 * ```ts
 * class SpeakerOutput extends BaseOutputTransport {
 *   protected override async writeAudioFrame(frame: OutputAudioRawFrame): Promise<boolean> {
 *     speaker.write(frame.audio); // called every 40 ms, in real time
 *     return true;
 *   }
 * }
 * const output = new SpeakerOutput({ audioOutEnabled: true, audioOut10msChunks: 2 });
 * ```
 */
export class BaseOutputTransport extends FrameProcessor {
  protected readonly params: ResolvedTransportParams;
  readonly #clock: OutputClock;

  #sampleRate = 0;
  #chunkBytes = 0;
  #maxQueuedBytes = 0;

  // The FIFO and the sender loop.
  #queue: QueueItem[] = [];
  #queueHead = 0;
  #queuedAudioBytes = 0;
  #wakeSender: (() => void) | undefined;
  #spaceWaiters: Array<() => void> = [];
  #running = false;
  #loop: Promise<void> | undefined;
  /** Aborted (and replaced) at every interruption; aborted for good at cancel/stop. */
  #itemAbort = new AbortController();
  /** Bumped at every interruption: work begun before it must not push its frame. */
  #generation = 0;

  // Audio not yet making a whole chunk.
  #pending: Uint8Array = new Uint8Array(0);
  #pendingTemplate: OutputAudioRawFrame | undefined;

  // The clock: when the next chunk may be written (0: at once).
  #nextSendTime = 0;
  /** The item in hand came out of a queue that had run dry (a gap, not a stall). */
  #afterGap = true;
  #pacingResets = 0;
  #pacingBehindMs = 0;

  #botSpeaking = false;
  #ttsAudioReceived = false;
  #lastSpeakingFrameAt = Number.NEGATIVE_INFINITY;
  #warnedAudioOff = false;

  constructor(params: TransportParams = {}, options: BaseOutputTransportOptions = {}) {
    super(options);
    this.params = resolveTransportParams(params);
    this.#clock = options.clock ?? realClock;
  }

  /** The output sample rate (known once the StartFrame arrived). */
  get sampleRate(): number {
    return this.#sampleRate;
  }

  /** Bytes per full chunk: sampleRate / 100 × channels × 2 × audioOut10msChunks. */
  get audioChunkSize(): number {
    return this.#chunkBytes;
  }

  /** True between the first TTS chunk written and BotStoppedSpeaking. */
  get botSpeaking(): boolean {
    return this.#botSpeaking;
  }

  /** Audio (bytes) queued in the FIFO, not yet written. */
  get queuedAudioBytes(): number {
    return this.#queuedAudioBytes;
  }

  /**
   * How often the audio clock fell behind while audio was queued (a stalled event loop or a
   * client that was not reading) and restarted from now, and the time lost that way (ms): what
   * separates the machine's stalls from the clock's own drift.
   */
  get pacingStats(): { resets: number; behindMs: number } {
    return { resets: this.#pacingResets, behindMs: this.#pacingBehindMs };
  }

  // ---------------------------------------------------------------------------------------------
  // Hooks for transports

  /** Called after the StartFrame was pushed on; subclasses call super.start() first. */
  protected async start(_frame: StartFrame): Promise<void> {
    this.#startSender();
  }

  /** Waits until everything queued was sent and played; subclasses call super.stop() first. */
  protected async stop(_frame: EndFrame): Promise<void> {
    await this.#drain();
    await this.#stopSender();
  }

  /** Drops everything queued; subclasses call super.cancel() first. */
  protected async cancel(_frame: CancelFrame): Promise<void> {
    await this.#stopSender();
  }

  /**
   * Writes one chunk of audio to the client. Return false when it could not be written (no
   * client): the chunk is then not paced and not pushed on. May wait (backpressure); `signal`
   * aborts at an interruption or cancel.
   */
  protected async writeAudioFrame(
    _frame: OutputAudioRawFrame,
    _signal: AbortSignal,
  ): Promise<boolean> {
    return false;
  }

  /** Shows an image (at once, or after the audio before it when `syncWithAudio`). */
  protected async writeImageFrame(_frame: OutputImageRawFrame): Promise<void> {}

  /** Sends a transport message (urgent ones at once, others in order with the audio). */
  protected async sendMessage(
    _frame: OutputTransportMessageFrame | OutputTransportMessageUrgentFrame,
  ): Promise<void> {}

  /** Any other queued frame, once the audio before it has been written (then it is pushed on). */
  protected async writeTransportFrame(_frame: Frame): Promise<void> {}

  /** Called after an InterruptionFrame was pushed on and the queue cleared. */
  protected async handleInterruption(_frame: InterruptionFrame): Promise<void> {}

  // ---------------------------------------------------------------------------------------------
  // Frame processing

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof StartFrame) {
      // Push first so every processor has the StartFrame before anything else.
      await this.pushFrame(frame, direction);
      this.#configure(frame);
      await this.start(frame);
    } else if (frame instanceof EndFrame) {
      this.#flushPending();
      await this.stop(frame);
      await this.pushFrame(frame, direction);
    } else if (frame instanceof CancelFrame) {
      await this.cancel(frame);
      await this.pushFrame(frame, direction);
    } else if (frame instanceof InterruptionFrame) {
      await this.pushFrame(frame, direction);
      await this.#interrupt();
      await this.handleInterruption(frame);
    } else if (frame instanceof OutputTransportMessageUrgentFrame) {
      await this.#safely(`sending ${frame}`, () => this.sendMessage(frame));
    } else if (frame.kind === "system" || direction === FrameDirection.UPSTREAM) {
      await this.pushFrame(frame, direction);
    } else {
      await this.#handleFrame(frame, signal);
    }
  }

  override async cleanup(): Promise<void> {
    await super.cleanup();
    await this.#stopSender();
  }

  #configure(frame: StartFrame): void {
    this.#sampleRate = this.params.audioOutSampleRate ?? frame.audioOutSampleRate;
    const bytes10ms =
      Math.floor(this.#sampleRate / 100) * this.params.audioOutChannels * PCM16_BYTES_PER_SAMPLE;
    this.#chunkBytes = bytes10ms * this.params.audioOut10msChunks;
    this.#maxQueuedBytes =
      Math.ceil(this.params.maxQueuedAudioSecs * this.#sampleRate) *
      this.params.audioOutChannels *
      PCM16_BYTES_PER_SAMPLE;
  }

  async #handleFrame(frame: Frame, signal: AbortSignal): Promise<void> {
    if (frame instanceof OutputAudioRawFrame) {
      await this.#handleAudio(frame, signal);
      return;
    }
    if (frame instanceof OutputImageRawFrame && !frame.syncWithAudio) {
      await this.#safely(`writing ${frame}`, () => this.writeImageFrame(frame));
      await this.pushFrame(frame);
      return;
    }
    // Partial audio queued before this frame goes out before it.
    this.#flushPending();
    await this.#waitForRoom(signal);
    this.#put({ kind: "frame", frame });
  }

  async #handleAudio(frame: OutputAudioRawFrame, signal: AbortSignal): Promise<void> {
    if (!this.params.audioOutEnabled) {
      if (!this.#warnedAudioOff) {
        this.#warnedAudioOff = true;
        logger.warn(
          `${this.name}: audio output is disabled (audioOutEnabled: false); dropping ${frame} and later audio`,
        );
      }
      return;
    }
    const channels = this.params.audioOutChannels;
    if (frame.numChannels !== channels) {
      await this.pushError(
        `${this.name}: refused ${frame}: numChannels ${frame.numChannels}; allowed: ${channels} (audioOutChannels)`,
        { category: "validation" },
      );
      return;
    }
    const frameBytes = PCM16_BYTES_PER_SAMPLE * channels;
    let audio = frame.audio;
    if (audio.byteLength % frameBytes !== 0) {
      logger.warn(`${this.name}: ${frame} ends in a partial sample; dropping the extra bytes`);
      audio = audio.subarray(0, audio.byteLength - (audio.byteLength % frameBytes));
    }
    if (frame.sampleRate !== this.#sampleRate) {
      audio = resamplePcm16(audio, frame.sampleRate, this.#sampleRate, channels);
    }
    let bytes: Uint8Array;
    if (this.#pending.byteLength === 0) {
      bytes = audio;
    } else {
      bytes = new Uint8Array(this.#pending.byteLength + audio.byteLength);
      bytes.set(this.#pending, 0);
      bytes.set(audio, this.#pending.byteLength);
    }
    this.#pendingTemplate = frame;
    const size = this.#chunkBytes;
    let offset = 0;
    while (bytes.byteLength - offset >= size) {
      await this.#waitForRoom(signal);
      this.#putAudio(this.#chunkOf(frame, bytes.subarray(offset, offset + size)));
      offset += size;
    }
    this.#pending = bytes.slice(offset);
  }

  /** A chunk of the same kind as the frame it came from (TTS audio stays TTS audio). */
  #chunkOf(template: OutputAudioRawFrame, audio: Uint8Array): OutputAudioRawFrame {
    const init = { audio, sampleRate: this.#sampleRate, numChannels: this.params.audioOutChannels };
    const chunk =
      template instanceof TTSAudioRawFrame
        ? new TTSAudioRawFrame({ ...init, contextId: template.contextId })
        : new OutputAudioRawFrame(init);
    chunk.transportDestination = template.transportDestination;
    return chunk;
  }

  /** Queues the partial chunk as a shorter one. */
  #flushPending(): void {
    if (this.#pending.byteLength === 0 || this.#pendingTemplate === undefined) return;
    const chunk = this.#chunkOf(this.#pendingTemplate, this.#pending);
    this.#pending = new Uint8Array(0);
    this.#putAudio(chunk);
  }

  #putAudio(frame: OutputAudioRawFrame): void {
    const bytesPerSecond = this.#sampleRate * frame.numChannels * PCM16_BYTES_PER_SAMPLE;
    const bytes = frame.audio.byteLength;
    this.#queuedAudioBytes += bytes;
    this.#put({ kind: "audio", frame, bytes, durationMs: (bytes / bytesPerSecond) * 1000 });
  }

  // ---------------------------------------------------------------------------------------------
  // The FIFO

  #put(item: QueueItem): void {
    this.#queue.push(item);
    const wake = this.#wakeSender;
    this.#wakeSender = undefined;
    wake?.();
  }

  #take(): QueueItem | undefined {
    if (this.#queueHead >= this.#queue.length) return undefined;
    const item = this.#queue[this.#queueHead] as QueueItem;
    (this.#queue as Array<QueueItem | undefined>)[this.#queueHead] = undefined;
    this.#queueHead += 1;
    if (this.#queueHead === this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    } else if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    if (item.kind === "audio") {
      this.#queuedAudioBytes -= item.bytes;
      this.#releaseRoom();
    }
    return item;
  }

  /** Empties the FIFO; keeps a pending EndFrame's marker (EndFrame survives interruptions). */
  #clearQueue(): void {
    const ends = this.#queue.slice(this.#queueHead).filter((item) => item.kind === "end");
    this.#queue = ends;
    this.#queueHead = 0;
    this.#queuedAudioBytes = 0;
    this.#pending = new Uint8Array(0);
    this.#releaseRoom();
  }

  #releaseRoom(): void {
    if (this.#spaceWaiters.length === 0) return;
    if (this.#queuedAudioBytes >= this.#maxQueuedBytes && this.#running) return;
    const waiters = this.#spaceWaiters;
    this.#spaceWaiters = [];
    for (const waiter of waiters) waiter();
  }

  /**
   * Waits while the FIFO holds maxQueuedAudioSecs of audio. Rejects when `signal` aborts, also when
   * there is room: an interruption that came in meanwhile must stop the rest of the frame.
   */
  async #waitForRoom(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw signal.reason;
    while (this.#running && this.#queuedAudioBytes >= this.#maxQueuedBytes) {
      if (signal.aborted) throw signal.reason;
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        this.#spaceWaiters.push(() => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        });
      });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The sender loop

  #startSender(): void {
    if (this.#running) return;
    this.#running = true;
    this.#itemAbort = new AbortController();
    this.#loop = this.#runSender();
  }

  async #stopSender(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#itemAbort.abort(abortError("output transport stopped"));
    this.#clearQueue();
    for (const item of this.#queue) if (item.kind === "end") item.done();
    this.#queue = [];
    const wake = this.#wakeSender;
    this.#wakeSender = undefined;
    wake?.();
    await this.#loop;
    this.#loop = undefined;
  }

  /** Queues an end marker and waits until the loop reaches it (and the last chunk has played). */
  async #drain(): Promise<void> {
    if (!this.#running) return;
    await new Promise<void>((resolve) => this.#put({ kind: "end", done: resolve }));
  }

  async #runSender(): Promise<void> {
    while (this.#running) {
      let item = this.#take();
      if (item === undefined) {
        this.#afterGap = true;
        item = await this.#waitForItem();
      }
      if (!this.#running) return;
      if (item === undefined) {
        // Nothing to play for a while: the bot has stopped speaking.
        await this.#botStoppedSpeaking();
        continue;
      }
      const generation = this.#generation;
      const signal = this.#itemAbort.signal;
      try {
        await this.#handleItem(item, generation, signal);
      } catch (error) {
        if (!isAbort(error)) {
          logger.error(`${this.name}: output failed: ${describeError(error)}`);
        }
      }
    }
  }

  /**
   * Waits for the next item, or `undefined` after the bot-stopped-speaking timeout (armed only
   * while the bot speaks, so an idle session has no timer).
   */
  async #waitForItem(): Promise<QueueItem | undefined> {
    const woken = new Promise<"item">((resolve) => {
      this.#wakeSender = () => resolve("item");
    });
    if (!this.#botSpeaking) {
      await woken;
      return this.#take();
    }
    const timer = new AbortController();
    const timeout = this.#clock
      .sleep(this.params.botStoppedSpeakingTimeoutSecs * 1000, timer.signal)
      .then(
        () => "timeout" as const,
        () => "item" as const,
      );
    const outcome = await Promise.race([woken, timeout]);
    timer.abort();
    this.#wakeSender = undefined;
    return outcome === "timeout" ? undefined : this.#take();
  }

  async #handleItem(item: QueueItem, generation: number, signal: AbortSignal): Promise<void> {
    if (item.kind === "end") {
      // Let the last chunk written play out before the transport stops.
      const wait = this.#nextSendTime - this.#clock.now();
      if (wait > 0) await this.#clock.sleep(wait, signal).catch(() => undefined);
      item.done();
      return;
    }
    if (item.kind === "audio") {
      const frame = item.frame;
      if (frame instanceof TTSAudioRawFrame) {
        this.#ttsAudioReceived = true;
        await this.#botCurrentlySpeaking();
      }
      const written = await this.writeAudioFrame(frame, signal);
      if (!written || generation !== this.#generation) return;
      await this.#pace(item.durationMs, signal);
      if (generation === this.#generation) await this.pushFrame(frame);
      return;
    }
    const frame = item.frame;
    if (frame instanceof OutputTransportMessageFrame) {
      await this.#safely(`sending ${frame}`, () => this.sendMessage(frame));
    } else if (frame instanceof OutputImageRawFrame) {
      await this.#safely(`writing ${frame}`, () => this.writeImageFrame(frame));
    } else if (frame instanceof TTSStoppedFrame) {
      if (this.#ttsAudioReceived) await this.#botStoppedSpeaking();
    } else {
      await this.#safely(`writing ${frame}`, () => this.writeTransportFrame(frame));
    }
    if (generation === this.#generation) await this.pushFrame(frame);
  }

  /**
   * Pipecat's sound-card clock: after a chunk is written, wait until the next send time, then move
   * it one chunk on. When already past it (the first chunk, or after a gap), restart from now.
   */
  async #pace(durationMs: number, signal: AbortSignal): Promise<void> {
    const wait = this.#nextSendTime - this.#clock.now();
    const afterGap = this.#afterGap;
    this.#afterGap = false;
    if (wait <= 0) {
      if (!afterGap && this.#nextSendTime !== 0) {
        this.#pacingResets += 1;
        this.#pacingBehindMs -= wait;
        logger.debug(`${this.name}: audio clock ${Math.round(-wait)} ms behind; restarting it`);
      }
      this.#nextSendTime = this.#clock.now() + durationMs;
      return;
    }
    await this.#clock.sleep(wait, signal);
    this.#nextSendTime += durationMs;
  }

  async #interrupt(): Promise<void> {
    this.#generation += 1;
    this.#itemAbort.abort(abortError("interrupted"));
    this.#itemAbort = new AbortController();
    this.#clearQueue();
    this.#nextSendTime = 0;
    this.#afterGap = true;
    if (this.#queue.length > 0) {
      const wake = this.#wakeSender;
      this.#wakeSender = undefined;
      wake?.();
    }
    await this.#botStoppedSpeaking();
  }

  // ---------------------------------------------------------------------------------------------
  // Bot speaking

  async #botCurrentlySpeaking(): Promise<void> {
    if (!this.#botSpeaking) {
      this.#botSpeaking = true;
      logger.debug(`${this.name}: bot started speaking`);
      await this.broadcastFrame(BotStartedSpeakingFrame);
    }
    const now = this.#clock.now();
    if (now - this.#lastSpeakingFrameAt >= BOT_SPEAKING_FRAME_PERIOD_MS) {
      this.#lastSpeakingFrameAt = now;
      await this.broadcastFrame(BotSpeakingFrame);
    }
  }

  async #botStoppedSpeaking(): Promise<void> {
    if (!this.#botSpeaking) return;
    this.#botSpeaking = false;
    this.#ttsAudioReceived = false;
    this.#lastSpeakingFrameAt = Number.NEGATIVE_INFINITY;
    logger.debug(`${this.name}: bot stopped speaking`);
    await this.broadcastFrame(BotStoppedSpeakingFrame);
  }

  async #safely(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      logger.error(`${this.name}: failed ${what}: ${describeError(error)}`);
    }
  }
}
