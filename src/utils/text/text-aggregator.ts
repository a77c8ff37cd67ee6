// What a text aggregator is (Pipecat's utils/text/base_text_aggregator.py): something that takes
// streamed text (LLM tokens) and hands back the pieces worth speaking, e.g. whole sentences. TTS
// services use one to decide when to synthesize; SentenceAggregator uses one as a processor.

/** How text was cut into pieces before synthesis (Pipecat's AggregationType, plus free strings). */
export type AggregationType = "sentence" | "word" | "token" | (string & {});

/** One piece of aggregated text and how it was cut (Pipecat's Aggregation). */
export interface Aggregation {
  /** The text, stripped of leading and trailing spaces (token pieces are passed as they came). */
  readonly text: string;
  readonly type: AggregationType;
}

/**
 * Pipecat's BaseTextAggregator. Synchronous here: every aggregator Pipecat ships decides from the
 * text alone, so there is nothing to await, and a plain array keeps the hot path allocation-light.
 */
export interface TextAggregator {
  /** How this aggregator cuts text. */
  readonly aggregationType: AggregationType;
  /** The text held so far, not yet handed out. */
  readonly text: Aggregation;
  /** Adds `text` and returns the pieces it completed, in order (often none). */
  aggregate(text: string): Aggregation[];
  /** Hands out whatever is held (end of an LLM reply), or undefined when nothing is. */
  flush(): Aggregation | undefined;
  /** An interruption: what is held will never be spoken. */
  handleInterruption(): void;
  /** Back to the empty state. */
  reset(): void;
}
