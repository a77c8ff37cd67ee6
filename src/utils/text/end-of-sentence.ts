// Where the first complete sentence of a text ends: Pipecat's match_endofsentence
// (pipecat utils/string.py), which asks NLTK's punkt sentence tokenizer (English model) and then
// insists that a lone "sentence" end in sentence-ending punctuation.
//
// There is no NLTK in Node, so this module implements the parts of punkt's decision that streamed
// LLM text needs, by rule instead of by trained statistics:
// - Break candidates are the places punkt considers: ".", "?" or "!" followed by whitespace and
//   another token, or directly by one of punkt's non-word characters (?!)";}]*:@'({[). A run of
//   such characters ("?!", "...") is one candidate, at its end. Typographic closing quotes (” ’ »)
//   count as non-word characters too (punkt knows only ASCII ones). ";" and "…" are never candidates
//   (punkt does not split on them); they only count when they end the whole text.
// - "?" and "!" always break.
// - A "." breaks unless the word before it is:
//   - a known abbreviation (a curated list standing in for punkt's learned one, plus dotted
//     acronyms such as "U.S.A." and "a.m."). Titles ("Mr.", "Dr.", "Prof.") and "e.g."-like
//     abbreviations never break; the others ("etc.", "Inc.", "p.m.") break only before a
//     capitalized frequent sentence starter ("The", "It", "We", ...), as punkt's sentence-starter
//     heuristic does;
//   - an ellipsis ("..."): it breaks only before a capitalized word (punkt asks its orthographic
//     statistics; capitalization is the rule that stands in for them);
//   - an initial ("J."): it breaks only before a frequent sentence starter or a non-letter (punkt
//     keeps "J. Bach" together);
//   - a number ("411.", "3."): it does not break before a lowercase word or punctuation.
//   Every other word followed by "." breaks, whatever follows, as in punkt.
// - Closing quotes and brackets right after the break belong to the sentence that ends there when
//   whitespace (or the end) follows them, as punkt's boundary realignment does.
// - If no candidate breaks, the whole (right-trimmed) text is one sentence. It counts only if its
//   last character is sentence-ending punctuation (Latin, CJK, Indic, Arabic, ... see
//   SENTENCE_ENDING_PUNCTUATION). Otherwise the first unambiguous non-Latin mark ("。", "？", "।",
//   "؟", ...) ends it (Pipecat's fallback for languages punkt does not know), or there is none.
//
// Differences from NLTK punkt that remain: no collocation list and no per-word orthographic
// statistics (capitalization and the curated lists decide instead), spaced ellipses (". . .") are
// not recognized, and lengths are counted in UTF-16 code units (JavaScript string indices) where
// Python counts code points; they differ only for characters outside the BMP (e.g. emoji).

/** Every character that can end a sentence (Pipecat's SENTENCE_ENDING_PUNCTUATION). */
export const SENTENCE_ENDING_PUNCTUATION: ReadonlySet<string> = new Set([
  // Latin script (most European languages, Filipino, ...)
  ".",
  "!",
  "?",
  ";",
  "…",
  // East Asian: ideographic full stop, full-width ? ! ; . and the halfwidth ideographic period
  "。",
  "？",
  "！",
  "；",
  "．",
  "｡",
  // Indic scripts: Devanagari danda and double danda
  "।",
  "॥",
  // Arabic script: question mark, semicolon, Urdu full stop, sign misra
  "؟",
  "؛",
  "۔",
  "؏",
  // Myanmar: little section, section
  "၊",
  "။",
  // Khmer: khan, bariyoosan
  "។",
  "៕",
  // Lao cancellation mark (used as a period)
  "໌",
  // Tibetan: shad, nyis shad
  "།",
  "༎",
  // Armenian: full stop, exclamation mark, question mark
  "։",
  "՜",
  "՞",
  // Ethiopic: full stop, question mark, paragraph separator
  "።",
  "፧",
  "፨",
]);

/** The Latin marks, which need punkt's disambiguation ("." also ends abbreviations and numbers). */
const LATIN_SENTENCE_ENDING_PUNCTUATION: ReadonlySet<string> = new Set([".", "!", "?", ";", "…"]);

/** Non-Latin sentence-ending marks: always a sentence end, wherever they appear. */
export const UNAMBIGUOUS_SENTENCE_ENDING_PUNCTUATION: ReadonlySet<string> = new Set(
  [...SENTENCE_ENDING_PUNCTUATION].filter((c) => !LATIN_SENTENCE_ENDING_PUNCTUATION.has(c)),
);

/** punkt's sentence-end characters: the only places it considers a break. */
const PUNKT_END_CHARS = new Set([".", "?", "!"]);
/** punkt's non-word characters: a break candidate may be followed directly by one of these. */
const PUNKT_NON_WORD_CHARS = new Set([
  "?",
  "!",
  ")",
  '"',
  ";",
  "}",
  "]",
  "*",
  ":",
  "@",
  "'",
  "(",
  "{",
  "[",
]);
/** Closing marks that punkt's realignment moves into the sentence before the break. */
const CLOSING_CHARS = new Set(['"', "'", ")", "]", "}", "”", "’", "»"]);
/** Opening marks stripped from the front of a word before looking at it. */
const OPENING_CHARS = new Set(['"', "'", "(", "[", "{", "`", "“", "‘", "«", "¿", "¡"]);

/** Abbreviations that precede a name or an example and never end a sentence inside a text. */
const PREFIX_ABBREVIATIONS: ReadonlySet<string> = new Set([
  // titles before a name
  "mr",
  "mrs",
  "ms",
  "messrs",
  "mmes",
  "dr",
  "drs",
  "prof",
  "rev",
  "hon",
  "st",
  "mt",
  "gen",
  "col",
  "capt",
  "cpt",
  "lt",
  "sgt",
  "maj",
  "adm",
  "cmdr",
  "gov",
  "sen",
  "rep",
  "pres",
  "supt",
  "fr",
  // Latin prefixes of an example or a comparison
  "e.g",
  "i.e",
  "cf",
  "viz",
  "vs",
  "approx",
]);

/**
 * Abbreviations that often end a sentence too ("... and so on, etc. The next ..."): they break
 * only before a frequent sentence starter.
 */
const OTHER_ABBREVIATIONS: ReadonlySet<string> = new Set([
  "etc",
  "jr",
  "sr",
  "ft",
  "no",
  "nos",
  "vol",
  "vols",
  "fig",
  "figs",
  "eq",
  "pp",
  "ch",
  "art",
  "al",
  "inc",
  "ltd",
  "co",
  "corp",
  "llc",
  "plc",
  "bros",
  "dept",
  "univ",
  "assn",
  "ave",
  "blvd",
  "rd",
  "hwy",
  "jan",
  "feb",
  "apr",
  "jun",
  "jul",
  "aug",
  "sep",
  "sept",
  "oct",
  "nov",
  "dec",
  "mon",
  "tues",
  "thurs",
  "fri",
  "est",
  "ca",
  "esp",
  "incl",
  "misc",
  "min",
  "mins",
  "hr",
  "hrs",
  "sec",
  "secs",
  "yr",
  "yrs",
  "oz",
  "lb",
  "lbs",
  "sq",
  "mi",
  "km",
  "cm",
  "mm",
  "kg",
  "ph.d",
  "m.d",
  "b.a",
  "m.a",
  "b.sc",
  "m.sc",
]);

/**
 * Capitalized words that usually open a sentence (the kind of list punkt learns as "frequent
 * sentence starters"): after an ambiguous abbreviation or an initial they confirm a break.
 */
const SENTENCE_STARTERS: ReadonlySet<string> = new Set([
  "a",
  "after",
  "all",
  "also",
  "although",
  "an",
  "and",
  "another",
  "as",
  "at",
  "because",
  "before",
  "both",
  "but",
  "by",
  "during",
  "each",
  "even",
  "every",
  "finally",
  "first",
  "for",
  "from",
  "he",
  "her",
  "here",
  "his",
  "how",
  "however",
  "i",
  "if",
  "in",
  "instead",
  "it",
  "its",
  "last",
  "let",
  "many",
  "meanwhile",
  "more",
  "most",
  "my",
  "next",
  "no",
  "not",
  "now",
  "of",
  "on",
  "once",
  "one",
  "only",
  "or",
  "our",
  "she",
  "since",
  "so",
  "some",
  "still",
  "such",
  "that",
  "the",
  "their",
  "then",
  "there",
  "these",
  "they",
  "this",
  "those",
  "though",
  "thus",
  "to",
  "today",
  "until",
  "we",
  "what",
  "when",
  "where",
  "which",
  "while",
  "who",
  "why",
  "with",
  "yes",
  "yet",
  "you",
  "your",
]);

const WHITESPACE = /\s/u;
const UPPERCASE_START = /^\p{Lu}/u;
const LOWERCASE_START = /^\p{Ll}/u;
const LETTER_START = /^\p{L}/u;
const SINGLE_LETTER = /^\p{L}$/u;
/** "u.s", "a.m", "n.a.s.a": letters joined by dots (the final dot already removed). */
const DOTTED_ACRONYM = /^(?:\p{L}\.)+\p{L}$/u;
/** punkt's number type: "411", "3.5", "-2", "1,000", "123-456-7890". */
const NUMBER = /^-?[.,]?\d[\d,.-]*$/u;

const isSpace = (ch: string | undefined): boolean => ch !== undefined && WHITESPACE.test(ch);

/**
 * The length of the first complete sentence of `text`, or 0 when there is none yet (Pipecat's
 * match_endofsentence). Trailing whitespace is ignored; leading whitespace counts in the length.
 */
export function matchEndOfSentence(text: string): number {
  const trimmed = text.trimEnd();
  if (trimmed.length === 0) return 0;

  for (const candidate of breakCandidates(trimmed)) {
    if (isSentenceBreak(trimmed, candidate)) return realignedEnd(trimmed, candidate + 1);
  }

  // One sentence: the whole text. It must end in punctuation...
  if (SENTENCE_ENDING_PUNCTUATION.has(trimmed.at(-1) ?? "")) return trimmed.length;
  // ...or hold an unambiguous non-Latin mark (punkt sees no break in scripts it does not know).
  for (let i = 0; i < trimmed.length; i += 1) {
    if (UNAMBIGUOUS_SENTENCE_ENDING_PUNCTUATION.has(trimmed[i] as string)) return i + 1;
  }
  return 0;
}

/**
 * Indices of the punctuation marks where punkt considers a break: the last mark of a run of
 * ".?!" that is followed by whitespace then more text, or directly by a non-word character.
 */
function* breakCandidates(text: string): Generator<number> {
  for (let i = 0; i < text.length - 1; i += 1) {
    const ch = text[i] as string;
    if (!PUNKT_END_CHARS.has(ch)) continue;
    const next = text[i + 1] as string;
    if (PUNKT_END_CHARS.has(next)) continue; // not the end of the run ("...", "?!")
    if (isSpace(next) || PUNKT_NON_WORD_CHARS.has(next) || CLOSING_CHARS.has(next)) yield i;
  }
}

/** Whether the mark at `index` (the last of its run) ends a sentence, by punkt's rules. */
function isSentenceBreak(text: string, index: number): boolean {
  const next = nextToken(text, index + 1);
  // punkt needs a token after the break to split at all.
  if (next === undefined) return false;
  const mark = text[index] as string;
  if (mark === "?" || mark === "!") return true;

  const word = wordEndingAt(text, index);
  // An ellipsis: "sentence..." (punkt tokenizes the dots on their own).
  if (word.endsWith("..")) return UPPERCASE_START.test(next);

  // The sentence-starting token can't be punctuation (punkt's orthographic heuristic).
  const nextIsPunctuation = next.length === 1 && ";:,.!?".includes(next);
  const stem = word.slice(0, -1).toLowerCase();
  const lastPart = stem.split("-").at(-1) ?? stem;
  if (PREFIX_ABBREVIATIONS.has(stem) || PREFIX_ABBREVIATIONS.has(lastPart)) return false;
  if (
    OTHER_ABBREVIATIONS.has(stem) ||
    OTHER_ABBREVIATIONS.has(lastPart) ||
    DOTTED_ACRONYM.test(stem)
  )
    return isFrequentSentenceStarter(next);
  if (SINGLE_LETTER.test(stem)) {
    // An initial: "J. Bach" and "A. lowercase" stay together.
    if (nextIsPunctuation) return false;
    return LETTER_START.test(next) ? isFrequentSentenceStarter(next) : true;
  }
  if (NUMBER.test(stem)) return !(nextIsPunctuation || LOWERCASE_START.test(next));
  return true;
}

function isFrequentSentenceStarter(token: string): boolean {
  if (!UPPERCASE_START.test(token)) return false;
  const word = /^[\p{L}']+/u.exec(token)?.[0] ?? token;
  return SENTENCE_STARTERS.has(word.toLowerCase());
}

/** The whitespace-delimited word that ends at `index` (inclusive), without opening marks. */
function wordEndingAt(text: string, index: number): string {
  let start = index;
  while (start > 0 && !isSpace(text[start - 1])) start -= 1;
  while (start < index && OPENING_CHARS.has(text[start] as string)) start += 1;
  return text.slice(start, index + 1);
}

/** The next word after `from`, past closing marks and whitespace, without opening marks. */
function nextToken(text: string, from: number): string | undefined {
  let i = from;
  while (i < text.length && (CLOSING_CHARS.has(text[i] as string) || isSpace(text[i]))) i += 1;
  let end = i;
  while (end < text.length && !isSpace(text[end])) end += 1;
  let start = i;
  while (start < end - 1 && OPENING_CHARS.has(text[start] as string)) start += 1;
  return start < end ? text.slice(start, end) : undefined;
}

/** The sentence end moved past closing marks that are followed by whitespace or the end. */
function realignedEnd(text: string, end: number): number {
  let i = end;
  while (i < text.length && CLOSING_CHARS.has(text[i] as string)) i += 1;
  if (i > end && (i === text.length || isSpace(text[i]) || text.startsWith("--", i))) return i;
  return end;
}
