// Speech frames: what TTS services emit around their audio, and the bot-speaking events the output
// transport reports (Pipecat's TTSStartedFrame, TTSTextFrame, BotStartedSpeakingFrame, ...).
import type { AggregationType } from "../utils/text/text-aggregator.js";
import { ControlFrame, DataFrame, SystemFrame } from "./base.js";
import { TextFrame } from "./text.js";

export type { AggregationType };

/** Text aggregated from smaller TextFrames (e.g. a sentence made of LLM tokens). */
export class AggregatedTextFrame extends TextFrame {
  readonly aggregatedBy: AggregationType;
  readonly contextId: string | undefined;
  /** Set by the TTS service just before it synthesizes this text. */
  willBeSpoken = false;
  constructor(text: string, aggregatedBy: AggregationType, contextId?: string) {
    super(text);
    this.aggregatedBy = aggregatedBy;
    this.contextId = contextId;
  }
}

/** The text a TTS service spoke, pushed after its audio (so it stays in step with playback). */
export class TTSTextFrame extends AggregatedTextFrame {}

/** Asks a TTS service to speak this text as it is (no aggregation, no LLM). */
export class TTSSpeakFrame extends DataFrame {
  constructor(readonly text: string) {
    super();
  }
  override toString(): string {
    return `${this.name}(text: ${JSON.stringify(this.text)})`;
  }
}

/** Opens one TTS response: the TTSAudioRawFrames that follow belong to it until TTSStoppedFrame. */
export class TTSStartedFrame extends ControlFrame {
  constructor(readonly contextId?: string) {
    super();
  }
}

/** Closes one TTS response. */
export class TTSStoppedFrame extends ControlFrame {
  constructor(readonly contextId?: string) {
    super();
  }
}

/** The output transport started playing the bot's speech. */
export class BotStartedSpeakingFrame extends SystemFrame {}

/** The output transport finished (or was interrupted in) playing the bot's speech. */
export class BotStoppedSpeakingFrame extends SystemFrame {}

/** Sent while the bot speaks, at most every 200 ms (a keep-alive for turn logic). */
export class BotSpeakingFrame extends SystemFrame {}
