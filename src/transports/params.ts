// TransportParams (Pipecat's transports/base_transport.py): what a transport's input and output
// do with audio. As in Pipecat, audio is off unless enabled.
import { SettingsValidationError } from "../utils/errors.js";

/** Output audio is cut into chunks of this many 10 ms slices at most (40 ms). */
export const MAX_AUDIO_OUT_10MS_CHUNKS = 4;
/** Pipecat's default: 4 × 10 ms = 40 ms chunks. */
export const DEFAULT_AUDIO_OUT_10MS_CHUNKS = 4;
/** How much audio (seconds) the output may hold queued before it makes the pipeline wait. */
export const DEFAULT_MAX_QUEUED_AUDIO_SECS = 300;
/** BotStoppedSpeaking after this long with nothing to play (Pipecat's fallback, 3 s). */
export const DEFAULT_BOT_STOPPED_SPEAKING_TIMEOUT_SECS = 3;

export interface TransportParams {
  /** Accept audio from the client and push it downstream. Default false (as in Pipecat). */
  audioInEnabled?: boolean;
  /** Sample rate of input audio; default: the StartFrame's `audioInSampleRate` (16000). */
  audioInSampleRate?: number;
  /** Push input audio downstream (there is no VAD or filter in between). Default true. */
  audioInPassthrough?: boolean;
  /** Send output audio to the client. Default false (as in Pipecat): audio frames are dropped with a warning. */
  audioOutEnabled?: boolean;
  /**
   * Sample rate the client plays; default: the StartFrame's `audioOutSampleRate` (24000). Frames
   * at another rate are resampled (linear). Pipecat's web client plays everything as 24 kHz.
   */
  audioOutSampleRate?: number;
  /** Output channels; frames with another count are refused with an ErrorFrame. Default 1. */
  audioOutChannels?: number;
  /** Output chunk length in 10 ms slices: 1–4 (10–40 ms). Default 4 (40 ms). */
  audioOut10msChunks?: number;
  /**
   * Audio (seconds) the output may hold queued; past it the output's frame processing waits
   * until the queue drains, which bounds memory when the client stalls. Default 300.
   */
  maxQueuedAudioSecs?: number;
  /** BotStoppedSpeakingFrame after this long with nothing queued, even without TTSStoppedFrame. Default 3. */
  botStoppedSpeakingTimeoutSecs?: number;
}

export type ResolvedTransportParams = Required<
  Omit<TransportParams, "audioInSampleRate" | "audioOutSampleRate">
> &
  Pick<TransportParams, "audioInSampleRate" | "audioOutSampleRate">;

function positive(field: string, value: number | undefined, allowed: string): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0))
    throw new SettingsValidationError(field, value, allowed);
}

/** Fills in defaults; throws a SettingsValidationError naming the first bad field. */
export function resolveTransportParams(params: TransportParams = {}): ResolvedTransportParams {
  const chunks = params.audioOut10msChunks ?? DEFAULT_AUDIO_OUT_10MS_CHUNKS;
  if (!Number.isInteger(chunks) || chunks < 1 || chunks > MAX_AUDIO_OUT_10MS_CHUNKS) {
    throw new SettingsValidationError(
      "audioOut10msChunks",
      chunks,
      `an integer from 1 to ${MAX_AUDIO_OUT_10MS_CHUNKS} (10–${MAX_AUDIO_OUT_10MS_CHUNKS * 10} ms chunks)`,
    );
  }
  for (const field of ["audioInSampleRate", "audioOutSampleRate"] as const) {
    const rate = params[field];
    if (rate !== undefined && !(Number.isInteger(rate) && rate >= 8000 && rate <= 192_000))
      throw new SettingsValidationError(field, rate, "an integer from 8000 to 192000 (Hz)");
  }
  const channels = params.audioOutChannels ?? 1;
  if (!Number.isInteger(channels) || channels < 1 || channels > 8)
    throw new SettingsValidationError("audioOutChannels", channels, "an integer from 1 to 8");
  positive("maxQueuedAudioSecs", params.maxQueuedAudioSecs, "a number of seconds > 0");
  positive(
    "botStoppedSpeakingTimeoutSecs",
    params.botStoppedSpeakingTimeoutSecs,
    "a number of seconds > 0",
  );
  return {
    audioInEnabled: params.audioInEnabled ?? false,
    audioInSampleRate: params.audioInSampleRate,
    audioInPassthrough: params.audioInPassthrough ?? true,
    audioOutEnabled: params.audioOutEnabled ?? false,
    audioOutSampleRate: params.audioOutSampleRate,
    audioOutChannels: channels,
    audioOut10msChunks: chunks,
    maxQueuedAudioSecs: params.maxQueuedAudioSecs ?? DEFAULT_MAX_QUEUED_AUDIO_SECS,
    botStoppedSpeakingTimeoutSecs:
      params.botStoppedSpeakingTimeoutSecs ?? DEFAULT_BOT_STOPPED_SPEAKING_TIMEOUT_SECS,
  };
}
