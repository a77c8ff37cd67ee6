// Frames that start, end, stop, cancel and interrupt a pipeline.
import { ControlFrame, SystemFrame } from "./base.js";

/** Pipecat's default rates: 16 kHz in (microphones, STT) and 24 kHz out (TTS, players). */
export const DEFAULT_AUDIO_IN_SAMPLE_RATE = 16_000;
export const DEFAULT_AUDIO_OUT_SAMPLE_RATE = 24_000;

export interface StartFrameOptions {
  /** Sample rate of audio entering the pipeline; default 16000. */
  audioInSampleRate?: number;
  /** Sample rate the output transport plays; TTS services synthesize at it; default 24000. */
  audioOutSampleRate?: number;
  enableMetrics?: boolean;
  enableUsageMetrics?: boolean;
  reportOnlyInitialTtfb?: boolean;
  metadata?: Record<string, unknown>;
}

/** The first frame through a pipeline; processors do nothing with data frames before it. */
export class StartFrame extends SystemFrame {
  readonly audioInSampleRate: number;
  readonly audioOutSampleRate: number;
  readonly enableMetrics: boolean;
  readonly enableUsageMetrics: boolean;
  readonly reportOnlyInitialTtfb: boolean;
  constructor(options: StartFrameOptions = {}) {
    super();
    this.audioInSampleRate = options.audioInSampleRate ?? DEFAULT_AUDIO_IN_SAMPLE_RATE;
    this.audioOutSampleRate = options.audioOutSampleRate ?? DEFAULT_AUDIO_OUT_SAMPLE_RATE;
    this.enableMetrics = options.enableMetrics ?? false;
    this.enableUsageMetrics = options.enableUsageMetrics ?? false;
    this.reportOnlyInitialTtfb = options.reportOnlyInitialTtfb ?? false;
    if (options.metadata) this.metadata = { ...options.metadata };
  }
}

/** Graceful end: processed after everything queued ahead of it. Survives interruptions. */
export class EndFrame extends ControlFrame {
  constructor(readonly reason?: string) {
    super();
  }
  override get uninterruptible(): boolean {
    return true;
  }
}

/** Like EndFrame, but the task does not clean the processors up afterwards. */
export class StopFrame extends ControlFrame {
  override get uninterruptible(): boolean {
    return true;
  }
}

/** Immediate stop: in-flight work is aborted and queued frames are dropped. */
export class CancelFrame extends SystemFrame {
  constructor(readonly reason?: string) {
    super();
  }
}

/** The user interrupted: in-flight interruptible work is aborted and queued data is flushed. */
export class InterruptionFrame extends SystemFrame {}

/** Pushed by a processor (either direction) to ask the task to end gracefully. */
export class EndTaskFrame extends ControlFrame {
  constructor(readonly reason?: string) {
    super();
  }
  override get uninterruptible(): boolean {
    return true;
  }
}

/** Pushed by a processor (either direction) to ask the task to cancel. */
export class CancelTaskFrame extends SystemFrame {
  constructor(readonly reason?: string) {
    super();
  }
}

/** Pushed by a processor (either direction) to ask the task to inject an InterruptionFrame at the top. */
export class InterruptionTaskFrame extends SystemFrame {}

/** Pipecat's current names for the task-directed frames. */
export {
  EndTaskFrame as EndWorkerFrame,
  CancelTaskFrame as CancelWorkerFrame,
  InterruptionTaskFrame as InterruptionWorkerFrame,
};
