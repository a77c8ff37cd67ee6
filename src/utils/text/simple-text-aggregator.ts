// Cuts streamed text into sentences (Pipecat's utils/text/simple_text_aggregator.py): text
// accumulates until sentence-ending punctuation arrives; then the aggregator waits for the next
// non-whitespace character before it asks matchEndOfSentence, because the punctuation alone can't
// tell "$29." (a price, more may follow) from "$29. Next" (a sentence end). Sentences come out
// stripped of surrounding spaces; the rest stays held until more text or a flush.
//
// Differences from Pipecat's, on purpose (same sentences, never later):
// - After the punctuation, further punctuation and closing quotes or brackets are not taken as the
//   deciding character ("..." stays one mark, `"Hi."` waits for the word after the quote). Pipecat
//   decides at the second "." of "..." and so cuts "Wait..." into "Wait.." and ".".
// - After a sentence is cut, the rest is checked again, so a second complete sentence already held
//   (possible when an earlier check said "not yet") comes out at once rather than at the next mark.
import type { AggregationType } from "./text-aggregator.js";
import { SettingsValidationError } from "../errors.js";
import { SENTENCE_ENDING_PUNCTUATION, matchEndOfSentence } from "./end-of-sentence.js";
import type { Aggregation, TextAggregator } from "./text-aggregator.js";

/** The modes SimpleTextAggregator supports: sentences, or each piece as it comes. */
export type SimpleAggregationType = Extract<AggregationType, "sentence" | "token">;

export interface SimpleTextAggregatorOptions {
  /** "sentence" (default) holds text until a sentence is complete; "token" passes text through. */
  aggregationType?: SimpleAggregationType;
}

const AGGREGATION_TYPES: readonly SimpleAggregationType[] = ["sentence", "token"];

/** Closing marks that may follow sentence-ending punctuation and still belong to the sentence. */
const CLOSING_MARKS = new Set([
  '"',
  "'",
  ")",
  "]",
  "}",
  "”",
  "’",
  "»",
  "」",
  "』",
  "）",
  "】",
  "》",
]);

/** Strips spaces only (Python's str.strip(" ")): newlines inside a sentence are the writer's. */
function stripSpaces(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text[start] === " ") start += 1;
  while (end > start && text[end - 1] === " ") end -= 1;
  return text.slice(start, end);
}

export class SimpleTextAggregator implements TextAggregator {
  readonly aggregationType: SimpleAggregationType;
  #text = "";
  #needsLookahead = false;

  constructor(options: SimpleTextAggregatorOptions = {}) {
    const type = options.aggregationType ?? "sentence";
    if (!AGGREGATION_TYPES.includes(type)) {
      throw new SettingsValidationError("aggregationType", type, AGGREGATION_TYPES.join(", "));
    }
    this.aggregationType = type;
  }

  get text(): Aggregation {
    return { text: stripSpaces(this.#text), type: "sentence" };
  }

  aggregate(text: string): Aggregation[] {
    if (this.aggregationType === "token") return text ? [{ text, type: "token" }] : [];
    const out: Aggregation[] = [];
    // By code point, so a surrogate pair is never split between two checks.
    for (const char of text) {
      this.#text += char;
      this.#check(char, out);
    }
    return out;
  }

  flush(): Aggregation | undefined {
    if (this.aggregationType === "token" || this.#text === "") return undefined;
    const text = stripSpaces(this.#text);
    this.reset();
    return { text, type: "sentence" };
  }

  handleInterruption(): void {
    this.reset();
  }

  reset(): void {
    this.#text = "";
    this.#needsLookahead = false;
  }

  #check(char: string, out: Aggregation[]): void {
    if (!this.#needsLookahead) {
      if (SENTENCE_ENDING_PUNCTUATION.has(char)) this.#needsLookahead = true;
      return;
    }
    // Whitespace, more punctuation and closing marks don't decide anything: keep waiting.
    if (char.trim() === "" || SENTENCE_ENDING_PUNCTUATION.has(char) || CLOSING_MARKS.has(char))
      return;
    this.#needsLookahead = false;
    for (let end = matchEndOfSentence(this.#text); end > 0; end = matchEndOfSentence(this.#text)) {
      const sentence = stripSpaces(this.#text.slice(0, end));
      this.#text = this.#text.slice(end);
      if (sentence !== "") out.push({ text: sentence, type: "sentence" });
    }
  }
}
