// The scripted LLM behind the local OpenAI twin: the calendar sentence (one sentence, 15–35 words,
// about the month asked for, deterministic per prompt and seed), the honest reply to anything
// else, and the token-sized deltas.
import { describe, expect, it } from "vitest";
import { MONTHS } from "../../../src/local/openai/calendar-vocabulary.js";
import {
  MAX_SENTENCE_WORDS,
  MIN_SENTENCE_WORDS,
  SCRIPTED_MODEL_ID,
  calendarSentence,
  countWords,
  findCalendarMonth,
  scriptedReply,
} from "../../../src/local/openai/scripted-llm.js";
import { splitIntoTokens } from "../../../src/local/openai/tokens.js";
import { matchEndOfSentence } from "../../../src/utils/text/end-of-sentence.js";

/** The user message of Pipecat's 04-sync-speech-and-image example. */
function examplePrompt(month: string): string {
  return `Describe a nature photograph suitable for use in a calendar, for the month of ${month}. Include only the image description with no preamble. Limit the description to one sentence, please.`;
}

function reply(month: string, seed?: number): string {
  return scriptedReply([{ role: "user", content: examplePrompt(month) }], seed).text;
}

describe("the calendar prompt", () => {
  it("recognises the example's prompt and the month it names", () => {
    for (const month of MONTHS) {
      expect(findCalendarMonth(examplePrompt(month))).toBe(month);
      expect(
        scriptedReply([{ role: "user", content: examplePrompt(month) }], undefined),
      ).toMatchObject({
        kind: "calendar",
        month,
      });
    }
    expect(findCalendarMonth("describe a photograph for my october calendar")).toBe("October");
    expect(findCalendarMonth("What is the weather in March?")).toBeUndefined();
  });

  it("answers every month with one sentence of 15 to 35 words, whatever the seed", () => {
    for (const month of MONTHS) {
      for (let seed = 0; seed < 300; seed++) {
        const text = reply(month, seed);
        const words = countWords(text);
        if (words < MIN_SENTENCE_WORDS || words > MAX_SENTENCE_WORDS)
          throw new Error(`${month}/${seed}: ${words} words: ${text}`);
        // One sentence by Pipecat's own rule (what SentenceAggregator splits on).
        if (matchEndOfSentence(text) !== text.length || !/^[A-Z][^.!?;…]*\.$/.test(text))
          throw new Error(`${month}/${seed}: not exactly one sentence: ${text}`);
      }
    }
  });

  it("writes the February sentence docs/local-openai.md quotes", async () => {
    const { readFile } = await import("node:fs/promises");
    const doc = await readFile(new URL("../../../docs/local-openai.md", import.meta.url), "utf8");
    const quoted =
      /and answers it with one plausible sentence about month X, for example \(February\):\n\n((?:> .*\n)+)/.exec(
        doc,
      )?.[1];
    expect(quoted?.replace(/\n> /g, " ").replace(/^> |\n$/g, "")).toBe(reply("February"));
  });

  it("is deterministic: the same prompt and seed give the same sentence", () => {
    expect(reply("July", 7)).toBe(reply("July", 7));
    expect(reply("July")).toBe(reply("July"));
  });

  it("varies with the seed", () => {
    const sentences = new Set(Array.from({ length: 20 }, (_v, seed) => reply("April", seed)));
    expect(sentences.size).toBeGreaterThanOrEqual(10);
  });

  it("gives clearly different sentences for different months", () => {
    const all = MONTHS.map((month) => reply(month, 1));
    expect(new Set(all).size).toBe(12);
    // No two months share a scene: their first six words differ.
    const openings = all.map((text) => text.split(" ").slice(0, 6).join(" "));
    expect(new Set(openings).size).toBe(12);
    // And each month's sentence mentions nothing of another month by name.
    for (const [i, text] of all.entries()) {
      for (const [j, other] of MONTHS.entries()) if (i !== j) expect(text).not.toContain(other);
    }
    // Wintry words for January, summery ones for July.
    const january = Array.from({ length: 30 }, (_v, s) => reply("January", s)).join(" ");
    const july = Array.from({ length: 30 }, (_v, s) => reply("July", s)).join(" ");
    expect(january).toMatch(/snow|frost|frozen|ice/);
    expect(january).not.toMatch(/sunflower|blazing summer/);
    expect(july).toMatch(/summer|sun/);
    expect(july).not.toMatch(/snow|frozen/);
  });

  it("calendarSentence draws only from that month's vocabulary", () => {
    expect(calendarSentence("December", "x")).toBe(calendarSentence("December", "x"));
    expect(calendarSentence("December", "x")).not.toBe(calendarSentence("June", "x"));
  });
});

describe("other prompts", () => {
  it("says it is a scripted twin and reports what it received", () => {
    const answer = scriptedReply(
      [
        { role: "system", content: "You are helpful." },
        { role: "user", content: [{ type: "text", text: "What is the capital of France?" }] },
      ],
      undefined,
    );
    expect(answer.kind).toBe("echo");
    expect(answer.text).toContain(SCRIPTED_MODEL_ID);
    expect(answer.text).toContain("not a language model");
    expect(answer.text).toContain("2 messages");
    expect(answer.text).toContain('"What is the capital of France?"');
  });
});

describe("splitIntoTokens", () => {
  it("cuts text into word-sized deltas that join back exactly, about four characters each", () => {
    const text = `${reply("March", 3)}  Snow-capped peaks, 2026: "quiet"…  `;
    const tokens = splitIntoTokens(text);
    expect(tokens.join("")).toBe(text);
    expect(tokens.every((t) => t.length > 0 && t.length <= 8)).toBe(true);
    const average = text.length / tokens.length;
    expect(average).toBeGreaterThan(3);
    expect(average).toBeLessThan(6);
    expect(splitIntoTokens("A frozen lake, at dawn.")).toEqual([
      "A",
      " frozen",
      " lake",
      ",",
      " at",
      " dawn",
      ".",
    ]);
    expect(splitIntoTokens(" photographs")).toEqual([" photo", "graphs"]);
  });
});
