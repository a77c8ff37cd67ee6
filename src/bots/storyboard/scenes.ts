// The storyboard's scenes: a client's `send-text` holds one scene per non-empty line. A text is
// taken whole or not at all: a line that breaks a prompt rule, or more scenes than may wait,
// refuses the whole text with a message saying which scene and why.
import { promptProblem } from "../../app/prompts.js";

/** The longest scene, in characters (fal's models read far less: CLIP stops at 77 tokens). */
export const MAX_SCENE_CHARS = 600;

/** Scenes given, or why the text was refused. */
export type SceneParse = { scenes: string[] } | { error: string };

/**
 * Splits a text into scenes: each non-empty line, whitespace runs collapsed. Refuses a text with
 * no scene, with more than `maxScenes`, or with a scene that is too long or holds a control
 * character (`Scene 2 contains a control character (U+001B); remove it.`).
 */
export function parseScenes(text: string, maxScenes: number): SceneParse {
  const scenes: string[] = [];
  for (const line of text.split(/\r?\n|\r/)) {
    // Whitespace runs (not control characters) collapse; a tab inside a line is a space.
    const scene = line.replace(/[ \t\u00a0\u2000-\u200b\u3000]+/g, " ").trim();
    if (scene !== "") scenes.push(scene);
  }
  if (scenes.length === 0) return { error: "Write at least one scene: one per line." };
  if (scenes.length > maxScenes)
    return {
      error: `Too many scenes: ${scenes.length} given, at most ${maxScenes} may wait at once in a session. Send fewer lines, or stop the run first.`,
    };
  for (const [index, scene] of scenes.entries()) {
    const problem = promptProblem(scene, MAX_SCENE_CHARS);
    if (problem !== undefined) return { error: `Scene ${index + 1} ${problem}.` };
  }
  return { scenes };
}
