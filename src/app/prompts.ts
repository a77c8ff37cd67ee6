// What a prompt may hold, for every front end: a length cap and no control characters. A prompt
// that breaks a rule is not sent; the front end reports it as that prompt's failure, saying why.

/** The longest prompt sent, in characters. fal's models read far less (CLIP stops at 77 tokens). */
export const MAX_PROMPT_CHARS = 10_000;

/** A prompt as read by a front end: its text, or why it cannot be sent. */
export interface PromptEntry {
  /** The prompt (for a refused one, as much of it as is safe to show). */
  text: string;
  /** Why it is not sent ("is longer than 10000 characters", ...); undefined = send it. */
  problem?: string;
}

/**
 * C0 controls (but tab), DEL, C1 controls, and the Unicode bidirectional overrides. In a prompt
 * they are a mistake (a pasted terminal colour, a NUL from a binary file) or an attack on whoever
 * reads the prompt back on a terminal.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly what it looks for.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Why `text` cannot be sent as a prompt, or undefined when it can. */
export function promptProblem(text: string, maxChars = MAX_PROMPT_CHARS): string | undefined {
  if (text.length > maxChars) return `is longer than ${maxChars} characters`;
  const control = CONTROL.exec(text)?.[0];
  if (control !== undefined) {
    const code = (control.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
    return `contains a control character (U+${code}); remove it`;
  }
  if (text.includes("\uFFFD")) return "is not valid UTF-8";
  return undefined;
}
