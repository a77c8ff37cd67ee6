// SimpleTextAggregator. The first two blocks port every case of Pipecat's
// tests/test_simple_text_aggregator.py (TestSimpleTextAggregator, TestSimpleTextAggregatorTokenMode);
// the last block covers what this port adds or does differently.
import { describe, expect, it } from "vitest";
import { SettingsValidationError } from "../../../src/utils/errors.js";
import { SimpleTextAggregator } from "../../../src/utils/text/simple-text-aggregator.js";

const texts = (aggs: Array<{ text: string }>): string[] => aggs.map((a) => a.text);

describe("SimpleTextAggregator (Pipecat tests/test_simple_text_aggregator.py)", () => {
  it("test_reset_aggregations", () => {
    const aggregator = new SimpleTextAggregator();
    expect(aggregator.aggregate("Hello ")).toEqual([]);
    expect(aggregator.text.text).toBe("Hello");
    aggregator.reset();
    expect(aggregator.text.text).toBe("");
  });

  it("test_simple_sentence", () => {
    const aggregator = new SimpleTextAggregator();
    // Waiting for lookahead after "!"
    expect(aggregator.aggregate("Hello Pipecat!")).toEqual([]);
    const aggregate = aggregator.flush();
    expect(aggregate?.text).toBe("Hello Pipecat!");
    expect(aggregate?.type).toBe("sentence");
    expect(aggregator.text.text).toBe("");
  });

  it("test_multiple_sentences", () => {
    const aggregator = new SimpleTextAggregator();
    const results = aggregator.aggregate("Hello Pipecat! How are you?");
    // The lookahead "H" confirmed the first sentence.
    expect(texts(results)).toEqual(["Hello Pipecat!"]);
    expect(aggregator.flush()?.text).toBe("How are you?");
  });

  it("test_lookahead_decimal_number: $29.95 is not split at $29.", () => {
    const aggregator = new SimpleTextAggregator();
    expect(aggregator.aggregate("Ask me for only $29.95/month.")).toEqual([]);
    expect(aggregator.flush()?.text).toBe("Ask me for only $29.95/month.");
  });

  it("test_lookahead_abbreviation: Mr. Smith is not split at Mr.", () => {
    const aggregator = new SimpleTextAggregator();
    expect(aggregator.aggregate("Hello Mr. Smith.")).toEqual([]);
    expect(aggregator.flush()?.text).toBe("Hello Mr. Smith.");
  });

  it("test_lookahead_actual_sentence_end", () => {
    const aggregator = new SimpleTextAggregator();
    expect(texts(aggregator.aggregate("Hello world. Next sentence"))).toEqual(["Hello world."]);
  });

  it("test_flush_pending_sentence", () => {
    const aggregator = new SimpleTextAggregator();
    expect(aggregator.aggregate("Hello world.")).toEqual([]);
    const result = aggregator.flush();
    expect(result).toBeDefined();
    expect(result?.text).toBe("Hello world.");
    expect(aggregator.flush()).toBeUndefined();
  });

  it("test_flush_with_no_pending: flush returns any remaining text", () => {
    const aggregator = new SimpleTextAggregator();
    expect(aggregator.aggregate("Hello")).toEqual([]);
    const result = aggregator.flush();
    expect(result?.text).toBe("Hello");
    expect(aggregator.text.text).toBe("");
  });

  it("test_flush_after_lookahead_confirmed", () => {
    const aggregator = new SimpleTextAggregator();
    expect(texts(aggregator.aggregate("Hello. W"))).toEqual(["Hello."]);
    expect(aggregator.flush()?.text).toBe("W");
  });

  it("test_japanese_multiple_sentences", () => {
    const aggregator = new SimpleTextAggregator();
    // The first sentence is detected when 元 arrives after 。
    expect(texts(aggregator.aggregate("こんにちは。元気ですか？"))).toEqual(["こんにちは。"]);
    expect(aggregator.flush()?.text).toBe("元気ですか？");
  });

  it("test_japanese_sentence_with_lookahead", () => {
    const aggregator = new SimpleTextAggregator();
    expect(texts(aggregator.aggregate("こんにちは。元"))).toEqual(["こんにちは。"]);
    expect(aggregator.flush()?.text).toBe("元");
  });

  it("test_chinese_streaming_tokens", () => {
    const aggregator = new SimpleTextAggregator();
    const all: string[] = [];
    for (const token of ["你好", "世界", "。", "下一", "句话", "。"])
      all.push(...texts(aggregator.aggregate(token)));
    expect(all).toEqual(["你好世界。"]);
    expect(aggregator.flush()?.text).toBe("下一句话。");
  });

  it("test_japanese_single_sentence_flush", () => {
    const aggregator = new SimpleTextAggregator();
    expect(aggregator.aggregate("こんにちは。")).toEqual([]);
    expect(aggregator.flush()?.text).toBe("こんにちは。");
  });
});

describe("SimpleTextAggregator token mode (Pipecat TestSimpleTextAggregatorTokenMode)", () => {
  it("test_token_passthrough", () => {
    const aggregator = new SimpleTextAggregator({ aggregationType: "token" });
    expect(aggregator.aggregate("Hello")).toEqual([{ text: "Hello", type: "token" }]);
  });

  it("test_token_multiple_calls", () => {
    const aggregator = new SimpleTextAggregator({ aggregationType: "token" });
    expect(aggregator.aggregate("Hello ")).toEqual([{ text: "Hello ", type: "token" }]);
    expect(aggregator.aggregate("world.")).toEqual([{ text: "world.", type: "token" }]);
  });

  it("test_token_empty_text", () => {
    const aggregator = new SimpleTextAggregator({ aggregationType: "token" });
    expect(aggregator.aggregate("")).toEqual([]);
  });

  it("test_token_flush_returns_none", () => {
    const aggregator = new SimpleTextAggregator({ aggregationType: "token" });
    aggregator.aggregate("Hello");
    expect(aggregator.flush()).toBeUndefined();
  });
});

describe("SimpleTextAggregator: this port", () => {
  it("streams LLM-sized tokens into sentences, each out when the next word begins", () => {
    const aggregator = new SimpleTextAggregator();
    const tokens = ["The", " price", " is", " $", "29", ".", "95", ".", " Buy", " now", "!", " Ok"];
    const seen: Array<[number, string]> = [];
    tokens.forEach((token, i) => {
      for (const agg of aggregator.aggregate(token)) seen.push([i, agg.text]);
    });
    expect(seen).toEqual([
      [8, "The price is $29.95."],
      [11, "Buy now!"],
    ]);
    expect(aggregator.flush()?.text).toBe("Ok");
  });

  it("keeps an ellipsis whole (Pipecat cuts 'Wait...' into 'Wait..' and '.')", () => {
    const aggregator = new SimpleTextAggregator();
    expect(texts(aggregator.aggregate("Wait... Then it came."))).toEqual(["Wait..."]);
    expect(aggregator.flush()?.text).toBe("Then it came.");
  });

  it("waits past closing quotes for the deciding word", () => {
    const aggregator = new SimpleTextAggregator();
    expect(texts(aggregator.aggregate('He said "Hi." '))).toEqual([]);
    expect(texts(aggregator.aggregate("Then"))).toEqual(['He said "Hi."']);
    expect(aggregator.flush()?.text).toBe("Then");
  });

  it("hands out every complete sentence held, not only the first", () => {
    const aggregator = new SimpleTextAggregator();
    // At "T" the word after "etc." is just "T", not yet a sentence starter: no break. At "N" the
    // check finds "etc." followed by "The" (a break) and then "The end." complete too.
    expect(texts(aggregator.aggregate("Apples, etc. T"))).toEqual([]);
    expect(texts(aggregator.aggregate("he end. N"))).toEqual(["Apples, etc.", "The end."]);
    expect(aggregator.text.text).toBe("N");
  });

  it("clears on interruption", () => {
    const aggregator = new SimpleTextAggregator();
    aggregator.aggregate("Half a sent");
    aggregator.handleInterruption();
    expect(aggregator.text.text).toBe("");
    expect(aggregator.flush()).toBeUndefined();
    expect(texts(aggregator.aggregate("New. Text"))).toEqual(["New."]);
  });

  it("strips spaces only, keeping newlines inside a sentence", () => {
    const aggregator = new SimpleTextAggregator();
    expect(texts(aggregator.aggregate("  Line one,\nline two. Next"))).toEqual([
      "Line one,\nline two.",
    ]);
  });

  it("never splits a surrogate pair between checks", () => {
    const aggregator = new SimpleTextAggregator();
    expect(texts(aggregator.aggregate("Nice! 😀 ok"))).toEqual(["Nice!"]);
    expect(aggregator.flush()?.text).toBe("😀 ok");
  });

  it("rejects an unknown aggregation type with a typed error naming the field", () => {
    expect(
      () => new SimpleTextAggregator({ aggregationType: "word" as unknown as "token" }),
    ).toThrow(SettingsValidationError);
    expect(
      () => new SimpleTextAggregator({ aggregationType: "word" as unknown as "token" }),
    ).toThrow(/aggregationType.*"word".*sentence, token/);
  });
});
