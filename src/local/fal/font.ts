// A 5×7 pixel bitmap font for printable ASCII (0x20–0x7E), drawn by hand for the local fal
// preview renderer so it needs no system fonts. Each glyph is 7 rows of 5 columns; "#" is ink.
// Characters outside printable ASCII are drawn as "?".

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;

// prettier-ignore
const GLYPH_ART: Record<string, string> = {
  " ": "..... ..... ..... ..... ..... ..... .....",
  "!": "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..",
  '"': ".#.#. .#.#. ..... ..... ..... ..... .....",
  "#": ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.",
  $: "..#.. .#### #.#.. .###. ..#.# ####. ..#..",
  "%": "##... ##..# ...#. ..#.. .#... #..## ...##",
  "&": ".##.. #..#. #.#.. .#... #.#.# #..#. .##.#",
  "'": "..#.. ..#.. .#... ..... ..... ..... .....",
  "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.",
  ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
  "*": "..... ..#.. #.#.# .###. #.#.# ..#.. .....",
  "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
  ",": "..... ..... ..... ..... .##.. ..#.. .#...",
  "-": "..... ..... ..... ##### ..... ..... .....",
  ".": "..... ..... ..... ..... ..... .##.. .##..",
  "/": "..... ....# ...#. ..#.. .#... #.... .....",
  "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
  "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
  "2": ".###. #...# ....# ...#. ..#.. .#... #####",
  "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
  "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
  "5": "##### #.... ####. ....# ....# #...# .###.",
  "6": "..##. .#... #.... ####. #...# #...# .###.",
  "7": "##### ....# ...#. ..#.. .#... .#... .#...",
  "8": ".###. #...# #...# .###. #...# #...# .###.",
  "9": ".###. #...# #...# .#### ....# ...#. .##..",
  ":": "..... .##.. .##.. ..... .##.. .##.. .....",
  ";": "..... .##.. .##.. ..... .##.. ..#.. .#...",
  "<": "...#. ..#.. .#... #.... .#... ..#.. ...#.",
  "=": "..... ..... ##### ..... ##### ..... .....",
  ">": ".#... ..#.. ...#. ....# ...#. ..#.. .#...",
  "?": ".###. #...# ....# ...#. ..#.. ..... ..#..",
  "@": ".###. #...# ....# .##.# #.#.# #.#.# .###.",
  A: ".###. #...# #...# ##### #...# #...# #...#",
  B: "####. #...# #...# ####. #...# #...# ####.",
  C: ".###. #...# #.... #.... #.... #...# .###.",
  D: "###.. #..#. #...# #...# #...# #..#. ###..",
  E: "##### #.... #.... ####. #.... #.... #####",
  F: "##### #.... #.... ####. #.... #.... #....",
  G: ".###. #...# #.... #.### #...# #...# .####",
  H: "#...# #...# #...# ##### #...# #...# #...#",
  I: ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
  J: "..### ...#. ...#. ...#. ...#. #..#. .##..",
  K: "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
  L: "#.... #.... #.... #.... #.... #.... #####",
  M: "#...# ##.## #.#.# #.#.# #...# #...# #...#",
  N: "#...# #...# ##..# #.#.# #..## #...# #...#",
  O: ".###. #...# #...# #...# #...# #...# .###.",
  P: "####. #...# #...# ####. #.... #.... #....",
  Q: ".###. #...# #...# #...# #.#.# #..#. .##.#",
  R: "####. #...# #...# ####. #.#.. #..#. #...#",
  S: ".#### #.... #.... .###. ....# ....# ####.",
  T: "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
  U: "#...# #...# #...# #...# #...# #...# .###.",
  V: "#...# #...# #...# #...# #...# .#.#. ..#..",
  W: "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
  X: "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
  Y: "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
  Z: "##### ....# ...#. ..#.. .#... #.... #####",
  "[": ".###. .#... .#... .#... .#... .#... .###.",
  "\\": "..... #.... .#... ..#.. ...#. ....# .....",
  "]": ".###. ...#. ...#. ...#. ...#. ...#. .###.",
  "^": "..#.. .#.#. #...# ..... ..... ..... .....",
  _: "..... ..... ..... ..... ..... ..... #####",
  "`": ".#... ..#.. ...#. ..... ..... ..... .....",
  a: "..... ..... .###. ....# .#### #...# .####",
  b: "#.... #.... #.##. ##..# #...# #...# ####.",
  c: "..... ..... .###. #.... #.... #...# .###.",
  d: "....# ....# .##.# #..## #...# #...# .####",
  e: "..... ..... .###. #...# ##### #.... .###.",
  f: "..##. .#..# .#... ###.. .#... .#... .#...",
  g: "..... ..... .#### #...# .#### ....# .###.",
  h: "#.... #.... #.##. ##..# #...# #...# #...#",
  i: "..#.. ..... .##.. ..#.. ..#.. ..#.. .###.",
  j: "...#. ..... ..##. ...#. ...#. #..#. .##..",
  k: "#.... #.... #..#. #.#.. ##... #.#.. #..#.",
  l: ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
  m: "..... ..... ##.#. #.#.# #.#.# #...# #...#",
  n: "..... ..... #.##. ##..# #...# #...# #...#",
  o: "..... ..... .###. #...# #...# #...# .###.",
  p: "..... ..... ####. #...# ####. #.... #....",
  q: "..... ..... .##.# #..## .#### ....# ....#",
  r: "..... ..... #.##. ##..# #.... #.... #....",
  s: "..... ..... .###. #.... .###. ....# ####.",
  t: ".#... .#... ###.. .#... .#... .#..# ..##.",
  u: "..... ..... #...# #...# #...# #..## .##.#",
  v: "..... ..... #...# #...# #...# .#.#. ..#..",
  w: "..... ..... #...# #...# #.#.# #.#.# .#.#.",
  x: "..... ..... #...# .#.#. ..#.. .#.#. #...#",
  y: "..... ..... #...# #...# .#### ....# .###.",
  z: "..... ..... ##### ...#. ..#.. .#... #####",
  "{": "...#. ..#.. ..#.. .#... ..#.. ..#.. ...#.",
  "|": "..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
  "}": ".#... ..#.. ..#.. ...#. ..#.. ..#.. .#...",
  "~": "..... ..... .#... #.#.# ...#. ..... .....",
};

/**
 * Glyph bitmaps indexed by char code − 32: each glyph is GLYPH_HEIGHT row masks; bit 4 is the
 * leftmost column.
 */
const GLYPHS: Uint8Array[] = buildGlyphs();

function buildGlyphs(): Uint8Array[] {
  const glyphs: Uint8Array[] = [];
  for (let code = 0x20; code <= 0x7e; code += 1) {
    const art = GLYPH_ART[String.fromCharCode(code)];
    if (art === undefined) throw new Error(`font.ts: missing glyph for code ${code}`);
    const rows = art.split(" ");
    if (rows.length !== GLYPH_HEIGHT)
      throw new Error(`font.ts: glyph ${code} needs ${GLYPH_HEIGHT} rows`);
    const masks = new Uint8Array(GLYPH_HEIGHT);
    rows.forEach((row, y) => {
      if (row.length !== GLYPH_WIDTH)
        throw new Error(`font.ts: glyph ${code} row ${y} needs ${GLYPH_WIDTH} columns`);
      let mask = 0;
      for (let x = 0; x < GLYPH_WIDTH; x += 1)
        if (row[x] === "#") mask |= 1 << (GLYPH_WIDTH - 1 - x);
      masks[y] = mask;
    });
    glyphs.push(masks);
  }
  return glyphs;
}

/** Replaces every character the font cannot draw with "?" (one "?" per code point). */
export function toFontText(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0x3f;
    if (code === 0x09 || code === 0x0a || code === 0x0d) out += " ";
    else out += code >= 0x20 && code <= 0x7e ? ch : "?";
  }
  return out;
}

/** The row masks of one character's glyph ("?" for anything unprintable). */
export function glyphRows(ch: string): Uint8Array {
  const code = ch.codePointAt(0) ?? 0x3f;
  const index = code >= 0x20 && code <= 0x7e ? code - 0x20 : 0x3f - 0x20;
  return GLYPHS[index] as Uint8Array;
}

/** Whether the glyph for `ch` has ink at column x (0..4), row y (0..6). */
export function glyphPixel(ch: string, x: number, y: number): boolean {
  if (x < 0 || x >= GLYPH_WIDTH || y < 0 || y >= GLYPH_HEIGHT) return false;
  const row = glyphRows(ch)[y] ?? 0;
  return (row & (1 << (GLYPH_WIDTH - 1 - x))) !== 0;
}

/** Horizontal advance of one character in font pixels (glyph plus one column of spacing). */
export const GLYPH_ADVANCE = GLYPH_WIDTH + 1;
/** Vertical advance of one text line in font pixels (glyph plus two rows of spacing). */
export const LINE_ADVANCE = GLYPH_HEIGHT + 2;

/** Width in font pixels of a single line of text (no trailing spacing column). */
export function textWidth(text: string): number {
  const n = [...text].length;
  return n === 0 ? 0 : n * GLYPH_ADVANCE - 1;
}

/** What toFontText turns into a space: the separators between words. */
const WORD = /[^ \t\n\r]+/g;

/**
 * Greedy word wrap to at most `maxChars` characters per line; words longer than a line are split.
 * The text is first mapped to the font's repertoire. With `maxLines`, it stops once that many
 * lines are made: a prompt of megabytes costs no more than what can be drawn.
 */
export function wrapText(
  text: string,
  maxChars: number,
  maxLines = Number.POSITIVE_INFINITY,
): string[] {
  const limit = Math.max(1, Math.floor(maxChars));
  const lines: string[] = [];
  let line = "";
  const words = new RegExp(WORD.source, "g");
  for (let match = words.exec(text); match !== null; match = words.exec(text)) {
    if (lines.length >= maxLines) return lines;
    // Only as much of a word as the remaining lines can show.
    const room = Number.isFinite(maxLines) ? limit * (maxLines - lines.length + 1) : Infinity;
    let word = toFontText(match[0].length > room ? match[0].slice(0, room) : match[0]);
    while (word.length > limit) {
      if (line) {
        lines.push(line);
        line = "";
      }
      if (lines.length >= maxLines) return lines;
      lines.push(word.slice(0, limit));
      word = word.slice(limit);
    }
    if (!word) continue;
    if (!line) line = word;
    else if (line.length + 1 + word.length <= limit) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line && lines.length < maxLines) lines.push(line);
  return lines;
}
