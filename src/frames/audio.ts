// Raw audio frames (Pipecat's AudioRawFrame family): 16-bit little-endian PCM, interleaved.
import { DataFrame, SystemFrame } from "./base.js";

/** Bytes per sample of the only encoding frames carry: signed 16-bit little-endian PCM. */
export const PCM16_BYTES_PER_SAMPLE = 2;

/** What every raw audio frame carries, whatever its kind. */
export interface AudioRawFrameInit {
  /** PCM s16le bytes; an even number of bytes per channel. */
  audio: Uint8Array;
  /** Samples per second, e.g. 24000. */
  sampleRate: number;
  /** 1 = mono. */
  numChannels?: number;
}

/** The audio fields shared by input and output audio frames (Pipecat's AudioRawFrame mixin). */
export interface AudioRawFrame {
  readonly audio: Uint8Array;
  readonly sampleRate: number;
  readonly numChannels: number;
  /** Samples per channel in `audio`. */
  readonly numFrames: number;
}

function numFramesOf(audio: Uint8Array, numChannels: number): number {
  return Math.floor(audio.byteLength / (numChannels * PCM16_BYTES_PER_SAMPLE));
}

function describeAudio(frame: AudioRawFrame & { name: string }): string {
  return `${frame.name}(bytes: ${frame.audio.byteLength}, frames: ${frame.numFrames}, sample_rate: ${frame.sampleRate}, channels: ${frame.numChannels})`;
}

/** Audio for the output transport to play, in order with other data frames. */
export class OutputAudioRawFrame extends DataFrame implements AudioRawFrame {
  readonly audio: Uint8Array;
  readonly sampleRate: number;
  readonly numChannels: number;
  readonly numFrames: number;
  /** The output destination (track) when a transport has several; undefined = the default. */
  transportDestination: string | undefined = undefined;

  constructor(init: AudioRawFrameInit) {
    super();
    this.audio = init.audio;
    this.sampleRate = init.sampleRate;
    this.numChannels = init.numChannels ?? 1;
    this.numFrames = numFramesOf(this.audio, this.numChannels);
  }

  /** Playback length in seconds. */
  get durationSeconds(): number {
    return this.numFrames / this.sampleRate;
  }

  override toString(): string {
    return describeAudio(this);
  }
}

/** Audio made by a TTS service; `contextId` ties it to one TTS turn. */
export class TTSAudioRawFrame extends OutputAudioRawFrame {
  readonly contextId: string | undefined;
  constructor(init: AudioRawFrameInit & { contextId?: string }) {
    super(init);
    this.contextId = init.contextId;
  }
}

/** Audio from the user (a transport's microphone input). A system frame, as in Pipecat. */
export class InputAudioRawFrame extends SystemFrame implements AudioRawFrame {
  readonly audio: Uint8Array;
  readonly sampleRate: number;
  readonly numChannels: number;
  readonly numFrames: number;

  constructor(init: AudioRawFrameInit) {
    super();
    this.audio = init.audio;
    this.sampleRate = init.sampleRate;
    this.numChannels = init.numChannels ?? 1;
    this.numFrames = numFramesOf(this.audio, this.numChannels);
  }

  override toString(): string {
    return describeAudio(this);
  }
}
