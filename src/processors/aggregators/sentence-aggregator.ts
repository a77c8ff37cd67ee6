// SentenceAggregator: turns streamed text (LLM tokens) into one TextFrame per sentence (Pipecat's
// processors/aggregators/sentence.py), so that what follows — an image service, a TTS — gets
// whole sentences. The cutting is SimpleTextAggregator's (matchEndOfSentence after a lookahead
// character), the way Pipecat's TTS services cut text.
//
// Frame behaviour:
// - Downstream TextFrames (LLMTextFrame, TranscriptionFrame, ...) are consumed; each complete
//   sentence goes on as a new plain TextFrame, stripped of surrounding spaces.
// - Downstream InterimTranscriptionFrames are dropped, as in Pipecat.
// - LLMFullResponseEndFrame and EndFrame first flush the held text as a last sentence, then go on.
// - InterruptionFrame and CancelFrame discard the held text (it will never be spoken), then go on.
// - Everything else, and every upstream frame, passes unchanged.
//
// Differences from Pipecat's standalone SentenceAggregator, which pushes its whole buffer as soon
// as matchEndOfSentence finds a sentence in it, flushes only at EndFrame and never clears:
// - a sentence goes out when the character after its punctuation arrives (or at a flush), so
//   "$29." followed by "95" is not cut; Pipecat's TTS aggregator works this way too;
// - the held text is flushed at LLMFullResponseEndFrame, so the end of one reply never leaks into
//   the next, and it is cleared on interruption;
// - sentences are stripped of surrounding spaces ("Hello, world." where Pipecat pushes
//   "Hello, world. "), and whitespace-only remainders are not pushed.
import type { Frame } from "../../frames/base.js";
import { CancelFrame, EndFrame, InterruptionFrame } from "../../frames/lifecycle.js";
import { LLMFullResponseEndFrame } from "../../frames/llm.js";
import { InterimTranscriptionFrame, TextFrame } from "../../frames/text.js";
import { SimpleTextAggregator } from "../../utils/text/simple-text-aggregator.js";
import { FrameDirection } from "../direction.js";
import { FrameProcessor, type FrameProcessorOptions } from "../frame-processor.js";

export type SentenceAggregatorOptions = FrameProcessorOptions;

export class SentenceAggregator extends FrameProcessor {
  readonly #aggregator = new SimpleTextAggregator({ aggregationType: "sentence" });

  constructor(options: SentenceAggregatorOptions = {}) {
    super(options);
  }

  /** The text held, waiting for the end of its sentence. */
  get pendingText(): string {
    return this.#aggregator.text.text;
  }

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (direction === FrameDirection.DOWNSTREAM) {
      if (frame instanceof InterimTranscriptionFrame) return;
      if (frame instanceof TextFrame) {
        for (const sentence of this.#aggregator.aggregate(frame.text))
          await this.pushFrame(new TextFrame(sentence.text));
        return;
      }
      if (frame instanceof LLMFullResponseEndFrame || frame instanceof EndFrame) {
        const rest = this.#aggregator.flush();
        if (rest && rest.text.trim() !== "") await this.pushFrame(new TextFrame(rest.text));
      }
    }
    if (frame instanceof InterruptionFrame || frame instanceof CancelFrame)
      this.#aggregator.handleInterruption();
    await this.pushFrame(frame, direction);
  }
}
