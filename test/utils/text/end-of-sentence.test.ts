// matchEndOfSentence. The first five blocks port every case of Pipecat's tests/test_utils_string.py
// (TestUtilsString); the last block adds cases for the rules that stand in for NLTK punkt.
import { describe, expect, it } from "vitest";
import {
  SENTENCE_ENDING_PUNCTUATION,
  UNAMBIGUOUS_SENTENCE_ENDING_PUNCTUATION,
  matchEndOfSentence,
} from "../../../src/utils/text/end-of-sentence.js";

describe("matchEndOfSentence (Pipecat tests/test_utils_string.py)", () => {
  it("test_endofsentence", () => {
    expect(matchEndOfSentence("This is a sentence.")).toBe(19);
    expect(matchEndOfSentence("This is a sentence!")).toBe(19);
    expect(matchEndOfSentence("This is a sentence?")).toBe(19);
    expect(matchEndOfSentence("This is a sentence;")).toBe(19);
    expect(matchEndOfSentence("This is a sentence...")).toBe(21);
    expect(matchEndOfSentence("This is a sentence. This is another one")).toBe(19);
    expect(matchEndOfSentence("This is for Mr. and Mrs. Jones.")).toBe(31);
    expect(matchEndOfSentence("Meet the new Mr. and Mrs.")).toBe(25);
    expect(matchEndOfSentence("U.S.A. and N.A.S.A.")).toBe(19);
    expect(matchEndOfSentence("USA and NASA.")).toBe(13);
    expect(matchEndOfSentence("My number is 123-456-7890.")).toBe(26);
    expect(matchEndOfSentence("For information, call 411.")).toBe(26);
    expect(matchEndOfSentence("My emails are foo@pipecat.ai and bar@pipecat.ai.")).toBe(48);
    expect(matchEndOfSentence("My email is foo.bar@pipecat.ai.")).toBe(31);
    expect(matchEndOfSentence("My email is spell(foo.bar@pipecat.ai).")).toBe(38);
    expect(matchEndOfSentence("My email is <spell>foo.bar@pipecat.ai</spell>.")).toBe(46);
    expect(matchEndOfSentence("The number pi is 3.14159.")).toBe(25);
    expect(matchEndOfSentence("Valid scientific notation 1.23e4.")).toBe(33);
    expect(matchEndOfSentence("Valid scientific notation 0.e4.")).toBe(31);
    expect(matchEndOfSentence("It still early, it's 3:00 a.m.")).toBe(30);
    expect(matchEndOfSentence("This is not a sentence")).toBe(0);
    expect(matchEndOfSentence("This is not a sentence,")).toBe(0);
    expect(matchEndOfSentence("This is not a sentence, ")).toBe(0);
    expect(matchEndOfSentence("Ok, Mr. Smith let's ")).toBe(0);
    expect(matchEndOfSentence("Dr. Walker, I presume ")).toBe(0);
    expect(matchEndOfSentence("Prof. Walker, I presume ")).toBe(0);
    expect(matchEndOfSentence("zweitens, und 3")).toBe(0);
    expect(matchEndOfSentence("Heute ist Dienstag, der 3")).toBe(0); // 3. Juli 2024
    expect(matchEndOfSentence("America, or the U.S")).toBe(0); // U.S.A.
    expect(matchEndOfSentence("My emails are foo@pipecat.ai and bar@pipecat.ai")).toBe(0);
    expect(matchEndOfSentence("The number pi is 3.14159")).toBe(0);
  });

  it("test_endofsentence_multilingual", () => {
    const complete: Array<[string, string[]]> = [
      // Arabic script: Arabic question mark, Arabic semicolon, Urdu full stop
      ["Arabic/Urdu", ["مرحبا؟", "السلام عليكم؛", "یہ اردو ہے۔"]],
      ["Chinese", ["你好。", "你好！", "吃了吗？", "安全第一；"]],
      ["Hindi", ["हैलो।", "हैलो！", "आप खाये हैं？", "सुरक्षा पहले।"]],
      ["Japanese", ["こんにちは。", "元気ですか？", "ありがとう！"]],
      ["Korean", ["안녕하세요。", "어떻게 지내세요？"]],
      ["Thai", ["สวัสดี।"]], // Thai with Devanagari-style punctuation
      ["Myanmar", ["မင်္ဂလာပါ၊", "ကျေးဇူးတင်ပါတယ်။"]],
      ["Bengali", ["নমস্কার।", "আপনি কেমন আছেন？"]],
      ["Tamil", ["வணக்கம்।", "நீங்கள் எப்படி இருக்கிறீர்கள்？"]],
      ["Armenian", ["Բարև։", "Ինչպես եք՞", "Շնորհակալություն՜"]],
      ["Amharic", ["ሰላም።", "እንዴት ነዎት፧"]],
      // Languages using Latin punctuation: Spanish, French, German, Russian, Greek, Hebrew, Georgian
      [
        "Latin script",
        ["Hola.", "Bonjour!", "Guten Tag?", "Привет.", "Γεια σας.", "שלום.", "გამარჯობა."],
      ],
    ];
    for (const [language, sentences] of complete) {
      for (const sentence of sentences) {
        expect(matchEndOfSentence(sentence), `${language}: ${sentence}`).toBeGreaterThan(0);
      }
    }
    expect(matchEndOfSentence("مرحبا،"), "Arabic comma should not end sentence").toBe(0);
    expect(matchEndOfSentence("你好，")).toBe(0);
    expect(matchEndOfSentence("हैलो，")).toBe(0);
  });

  it("test_endofsentence_cjk_with_lookahead", () => {
    // Japanese: sentence + lookahead character
    expect(matchEndOfSentence("こんにちは。元")).toBe(6);
    expect(matchEndOfSentence("元気ですか？は")).toBe(6);
    expect(matchEndOfSentence("ありがとう！次")).toBe(6);
    // Chinese
    expect(matchEndOfSentence("你好世界。下")).toBe(5);
    expect(matchEndOfSentence("你好吗？我")).toBe(4);
    // Korean
    expect(matchEndOfSentence("안녕하세요。다")).toBe(6);
    // Multiple CJK sentences with lookahead: the first sentence
    expect(matchEndOfSentence("こんにちは。元気ですか？は")).toBe(6);
    // Indic script with lookahead
    expect(matchEndOfSentence("हैलो।अ")).toBe(5);
    // Arabic with lookahead
    expect(matchEndOfSentence("مرحبا؟ك")).toBe(6);
  });

  it("test_endofsentence_latin_not_affected_by_fallback", () => {
    expect(matchEndOfSentence("Mr. S")).toBe(0);
    expect(matchEndOfSentence("Ok, Mr. Smith let's ")).toBe(0);
    expect(matchEndOfSentence("The number pi is 3.14159")).toBe(0);
    expect(matchEndOfSentence("America, or the U.S")).toBe(0);
    expect(matchEndOfSentence("This is a sentence. This is another one")).toBe(19);
    expect(matchEndOfSentence("For information, call 411.")).toBe(26);
  });

  it("test_endofsentence_streaming_tokens", () => {
    for (const token of ["Hello", "world", "The", "quick"]) {
      expect(matchEndOfSentence(token), "Single token should not be sentence").toBe(0);
    }
    expect(matchEndOfSentence("Hello world"), "No punctuation = incomplete").toBe(0);
    expect(matchEndOfSentence("Hello world."), "With punctuation = complete").toBe(12);

    const tokens = ["The", " quick", " brown", " fox", " jumps", "."];
    let accumulated = "";
    tokens.forEach((token, i) => {
      accumulated += token;
      if (i < tokens.length - 1) {
        expect(matchEndOfSentence(accumulated), `incomplete at ${i}: "${accumulated}"`).toBe(0);
      } else {
        expect(matchEndOfSentence(accumulated)).toBe(accumulated.length);
      }
    });
    expect(matchEndOfSentence("First sentence. Second incomplete")).toBe(15);
  });
});

describe("matchEndOfSentence: the rules standing in for punkt", () => {
  it("returns 0 for empty and whitespace-only text, and ignores trailing whitespace", () => {
    expect(matchEndOfSentence("")).toBe(0);
    expect(matchEndOfSentence("   \n")).toBe(0);
    expect(matchEndOfSentence("Done.  \n")).toBe(5);
  });

  it("counts leading whitespace in the length (it is a position in the text)", () => {
    expect(matchEndOfSentence("  Hello. World")).toBe(8);
  });

  it("always breaks after ? and !, and treats a run of marks as one", () => {
    expect(matchEndOfSentence("Really? yes")).toBe(7);
    expect(matchEndOfSentence("Wow!!! Next")).toBe(6);
    expect(matchEndOfSentence("What?! No")).toBe(6);
  });

  it("never breaks at ; or … inside the text (punkt does not), only at its end", () => {
    expect(matchEndOfSentence("First part; second part")).toBe(0);
    expect(matchEndOfSentence("Wait… Then")).toBe(0);
    expect(matchEndOfSentence("Wait… then what?")).toBe(16);
  });

  it("keeps prices and decimals whole until a space follows the period", () => {
    expect(matchEndOfSentence("Only $29.")).toBe(9);
    expect(matchEndOfSentence("Only $29.9")).toBe(0);
    expect(matchEndOfSentence("Only $29. Next")).toBe(9);
    expect(matchEndOfSentence("It is 3.5 metres")).toBe(0);
  });

  it("numbers: no break before a lowercase word, a break before a capitalized one", () => {
    expect(matchEndOfSentence("Call 411. and ask")).toBe(0);
    expect(matchEndOfSentence("Call 411. Then ask.")).toBe(9);
    expect(matchEndOfSentence("We met in 2024. It rained.")).toBe(15);
  });

  it("titles and e.g.-like abbreviations never break", () => {
    expect(matchEndOfSentence("Ask Dr. Who about it")).toBe(0);
    expect(matchEndOfSentence("Fruits, e.g. The apple, are sweet")).toBe(0);
    expect(matchEndOfSentence("Visit St. Louis soon")).toBe(0);
    expect(matchEndOfSentence("It was Gen. Grant.")).toBe(18);
  });

  it("other abbreviations break only before a frequent sentence starter", () => {
    expect(matchEndOfSentence("Apples, pears, etc. The rest")).toBe(19);
    expect(matchEndOfSentence("Apples, pears, etc. and more")).toBe(0);
    expect(matchEndOfSentence("Meet at 5 p.m. Then go")).toBe(14);
    expect(matchEndOfSentence("Meet at 5 p.m. Sharp")).toBe(0);
    expect(matchEndOfSentence("He works at Acme Inc. We do not")).toBe(21);
    expect(matchEndOfSentence("I live in the U.S. It is big")).toBe(18);
    expect(matchEndOfSentence("The U.S. Navy is big")).toBe(0);
  });

  it("initials stay with the name that follows", () => {
    expect(matchEndOfSentence("J. S. Bach wrote it")).toBe(0);
    expect(matchEndOfSentence("I got an A. Then I left")).toBe(11);
    expect(matchEndOfSentence("Plan B. and then")).toBe(0);
  });

  it("an ellipsis breaks before a capitalized word only", () => {
    expect(matchEndOfSentence("Well... Maybe")).toBe(7);
    expect(matchEndOfSentence("Well... maybe not")).toBe(0);
  });

  it("an ordinary word and a period break whatever follows (as punkt does)", () => {
    expect(matchEndOfSentence("It is done. and so")).toBe(11);
    expect(matchEndOfSentence("Hello.\n\nWorld")).toBe(6);
  });

  it("closing quotes and brackets stay with the sentence they close", () => {
    expect(matchEndOfSentence('He said "Hi." Then left')).toBe(13);
    expect(matchEndOfSentence("(It rained.) Then it stopped")).toBe(12);
    expect(matchEndOfSentence("“Stop!” she said")).toBe(7);
    expect(matchEndOfSentence("'Yes.'' Next")).toBe(7);
    // A quote with nothing after it: one sentence that does not end in punctuation, as Pipecat.
    expect(matchEndOfSentence('He said "Hi."')).toBe(0);
  });

  it("an opening quote before the next word does not hide its capital", () => {
    expect(matchEndOfSentence('See etc. "The end" now')).toBe(8);
  });

  it("emails, URLs and versions are not cut at their dots", () => {
    expect(matchEndOfSentence("Go to pipecat.ai and see")).toBe(0);
    expect(matchEndOfSentence("Version 1.2.3 is out")).toBe(0);
  });

  it("a Latin break found by punkt wins over an earlier CJK mark, as in Pipecat", () => {
    expect(matchEndOfSentence("你好。我 said hi. Then")).toBe(13);
    expect(matchEndOfSentence("Hello. 你好。")).toBe(6);
  });

  it("the punctuation sets match Pipecat's", () => {
    expect(SENTENCE_ENDING_PUNCTUATION.size).toBe(30);
    for (const latin of [".", "!", "?", ";", "…"]) {
      expect(SENTENCE_ENDING_PUNCTUATION.has(latin)).toBe(true);
      expect(UNAMBIGUOUS_SENTENCE_ENDING_PUNCTUATION.has(latin)).toBe(false);
    }
    expect(UNAMBIGUOUS_SENTENCE_ENDING_PUNCTUATION.size).toBe(25);
    expect(UNAMBIGUOUS_SENTENCE_ENDING_PUNCTUATION.has("。")).toBe(true);
  });
});
