// Token-sized pieces of text, as the scripted LLM twin streams them: each word with its leading
// space, punctuation on its own, and long words cut in pieces, so a delta averages about four
// characters like a real tokenizer's tokens. Counting is by the same rule (usage stays consistent
// with what was streamed), and prompts are estimated at four characters per token.

/** The average characters per token assumed for prompts. */
export const CHARS_PER_TOKEN = 4;
/** Pieces longer than this are cut. */
const MAX_PIECE_CHARS = 8;
/** A long piece is cut into parts of about this many characters. */
const CUT_CHARS = 6;

/** Words (with leading whitespace), numbers, and single other characters. */
const PIECE = /\s*(?:[\p{L}\p{M}']+|\p{N}+|[^\s\p{L}\p{M}\p{N}])|\s+$/gu;

/** Splits text into token-sized deltas; joined, they give the text back exactly. */
export function splitIntoTokens(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(PIECE)) {
    const piece = match[0];
    if (piece.length <= MAX_PIECE_CHARS) {
      out.push(piece);
      continue;
    }
    const parts = Math.ceil(piece.length / CUT_CHARS);
    const size = Math.ceil(piece.length / parts);
    for (let i = 0; i < piece.length; i += size) out.push(piece.slice(i, i + size));
  }
  return out;
}

/** The tokens a prompt of `chars` characters counts as (at least 1 for any text). */
export function estimateTokens(chars: number): number {
  return chars <= 0 ? 0 : Math.ceil(chars / CHARS_PER_TOKEN);
}
