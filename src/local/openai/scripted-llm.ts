// The scripted LLM behind the local OpenAI twin. It is not a model: it recognises one prompt, the
// calendar prompt of Pipecat's sync-speech-and-image example ("Describe a nature photograph ...
// for the month of X ... one sentence"), and answers it with one plausible sentence about that
// month, built from per-month vocabulary (calendar-vocabulary.ts) by a choice seeded with the
// prompt text and the request's `seed`: the same request always gets the same sentence. Any other
// request gets a short reply saying what the twin is and what it received.
import { fnv1a32, mulberry32 } from "../twin-kit/seeded-random.js";
import { CALENDAR_VOCABULARY, MONTHS, type MonthName } from "./calendar-vocabulary.js";

/** The model id the twin answers as. */
export const SCRIPTED_MODEL_ID = "pipecat-ts-scripted-llm";
/** A calendar sentence has this many words at least, and at most the next. */
export const MIN_SENTENCE_WORDS = 15;
export const MAX_SENTENCE_WORDS = 35;
/** How many seeded draws are tried for a sentence within the word range before the fallback. */
const MAX_DRAWS = 32;

/** A message as the twin reads it (already validated). */
export interface ScriptedMessage {
  role: string;
  /** Text, or content parts (their `text` is read). */
  content?: unknown;
}

export interface ScriptedReply {
  text: string;
  /** "calendar" for the example's prompt, "echo" for anything else. */
  kind: "calendar" | "echo";
  month?: MonthName;
}

/** The text of a message's content: a string, or the `text` of its parts. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) =>
      typeof part === "object" &&
      part !== null &&
      typeof (part as { text?: unknown }).text === "string"
        ? (part as { text: string }).text
        : "",
    )
    .filter((text) => text !== "")
    .join("\n");
}

/** The month a calendar prompt asks about, or undefined when the text is not one. */
export function findCalendarMonth(text: string): MonthName | undefined {
  if (!/\bdescribe\b/i.test(text) || !/\b(photo(graph)?|picture|image|calendar)\b/i.test(text))
    return undefined;
  const named = /\bmonth of\s+([A-Za-z]+)/i.exec(text)?.[1]?.toLowerCase();
  const month = MONTHS.find((m) => m.toLowerCase() === named);
  if (month) return month;
  // "a photograph for a March calendar": the first month name anywhere.
  for (const word of text.match(/[A-Za-z]+/g) ?? []) {
    const found = MONTHS.find((m) => m.toLowerCase() === word.toLowerCase());
    if (found) return found;
  }
  return undefined;
}

/** The twin's answer to a conversation. `seed` is the request's (null or undefined when not given). */
export function scriptedReply(
  messages: readonly ScriptedMessage[],
  seed: number | null | undefined,
): ScriptedReply {
  const lastUser = [...messages].reverse().find((m) => m.role === "user");
  const prompt = contentText(lastUser?.content);
  const month = findCalendarMonth(prompt);
  if (month) {
    return {
      text: calendarSentence(month, `${prompt}\u0000${seed ?? ""}`),
      kind: "calendar",
      month,
    };
  }
  return { text: echoReply(messages, lastUser, prompt), kind: "echo" };
}

interface Slots {
  scene: string;
  light: string;
  weather: string;
  detail: string;
}

/** Sentence shapes: the clauses of each, joined with commas. */
const SHAPES: readonly ((s: Slots) => string[])[] = [
  (s) => [s.scene, s.light, s.detail],
  (s) => [s.scene, s.weather, s.detail],
  (s) => [s.light, s.scene, s.weather],
  (s) => [`a wide-angle photograph of ${s.scene}`, s.light, s.weather],
  (s) => [`a photograph of ${s.scene} ${s.light}`, s.detail],
  (s) => [`${s.scene} ${s.light}`, s.weather, s.detail],
];

/**
 * One sentence describing a nature photograph for `month`, 15 to 35 words, chosen by a PRNG
 * seeded with `seedText`.
 */
export function calendarSentence(month: MonthName, seedText: string): string {
  const vocabulary = CALENDAR_VOCABULARY[month];
  const random = mulberry32(fnv1a32(seedText));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  let sentence = "";
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const slots: Slots = {
      scene: pick(vocabulary.scenes),
      light: pick(vocabulary.light),
      weather: pick(vocabulary.weather),
      detail: pick(vocabulary.details),
    };
    sentence = toSentence(pick(SHAPES)(slots));
    const words = countWords(sentence);
    if (words >= MIN_SENTENCE_WORDS && words <= MAX_SENTENCE_WORDS) return sentence;
  }
  // Never reached with the vocabulary as it is (a test checks every month over many seeds).
  return sentence;
}

export function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w !== "").length;
}

function toSentence(clauses: string[]): string {
  const text = clauses.join(", ");
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** Words of a prompt quoted back, at most. */
const ECHO_WORDS = 12;

function echoReply(
  messages: readonly ScriptedMessage[],
  lastUser: ScriptedMessage | undefined,
  prompt: string,
): string {
  const words = prompt.split(/\s+/).filter((w) => w !== "");
  const quoted =
    words.length === 0
      ? "no text"
      : `"${words.slice(0, ECHO_WORDS).join(" ")}${words.length > ECHO_WORDS ? " …" : ""}"`;
  const count = `${messages.length} message${messages.length === 1 ? "" : "s"}`;
  const last = lastUser
    ? `the last user message (${words.length} words) reads ${quoted}`
    : "none from the user";
  return (
    `This is ${SCRIPTED_MODEL_ID}, a scripted local twin of the OpenAI API, not a language model. ` +
    `It only writes calendar photo descriptions for Pipecat's sync-speech-and-image example, and otherwise reports what it received: ${count}, ${last}.`
  );
}
