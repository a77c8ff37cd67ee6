// The calendar's page (out/calendar/index.html): the months in order, each image shown while its
// speech plays, the way the original's transport shows an image marked syncWithAudio when the
// audio queued before it has played. One self-contained file beside the PNGs and WAVs: no
// network, a strict Content-Security-Policy (inline style and script allowed by their hashes
// only), a Play/Pause button that works from the keyboard, and a layout that fits 375 px.
//
// Without script the page still works: every month is a figure with its image, its sentence and
// an <audio controls> of its own. The script adds the stage and plays the months one after another.
import { createHash } from "node:crypto";

/** One image and the speech that goes with it (a month, or part of a month). */
export interface CalendarPageEntry {
  month: string;
  /** 1 for the month's first sentence; more when a reply had several sentences. */
  part: number;
  /** The PNG, relative to the page; undefined when the image failed. */
  image: string | undefined;
  width: number;
  height: number;
  /** The WAV, relative to the page; undefined when the speech failed. */
  audio: string | undefined;
  /** What was spoken ("January: ..."; the page shows it without the month), or the sentence the image was drawn from. */
  text: string;
  /** Length of the speech, in seconds. */
  seconds: number;
}

export interface CalendarPageOptions {
  title?: string;
  /** Lines saying what made the words, the images and the voice (e.g. "a scripted LLM twin"). */
  credits?: readonly string[];
}

const STYLE = `
:root{color-scheme:light;--ink:#1d2326;--muted:#5b6469;--paper:#f6f3ec;--card:#fff;--line:#e2dccf;--accent:#2f6b4f}
*{box-sizing:border-box}
body{margin:0;background:var(--paper);color:var(--ink);font:16px/1.5 system-ui,sans-serif}
main{max-width:1040px;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font:600 clamp(1.5rem,5vw,2.1rem)/1.2 Georgia,serif;margin:0 0 .4rem}
.credits{color:var(--muted);margin:0 0 1.25rem;padding:0;list-style:none;font-size:.9rem}
.stage{display:grid;gap:1rem;grid-template-columns:minmax(0,1fr);background:var(--card);border:1px solid var(--line);border-radius:16px;padding:1rem;margin-bottom:1.5rem}
@media (min-width:760px){.stage{grid-template-columns:minmax(0,1.1fr) minmax(0,1fr);align-items:center}}
.stage img{display:block;width:100%;height:auto;border-radius:10px;background:#ddd}
.stage h2{font:600 1.4rem/1.2 Georgia,serif;margin:0 0 .5rem}
.stage p{margin:0 0 1rem;font-family:Georgia,serif;font-size:1.1rem}
.controls{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
button{font:inherit;font-weight:600;border:2px solid var(--accent);background:var(--accent);color:#fff;border-radius:999px;padding:.55rem 1.2rem;min-height:44px;cursor:pointer}
button.secondary{background:transparent;color:var(--accent)}
button:focus-visible{outline:3px solid #f0b429;outline-offset:2px}
.status{color:var(--muted);font-size:.9rem}
.months{list-style:none;margin:0;padding:0;display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(min(100%,220px),1fr))}
.months li{background:var(--card);border:1px solid var(--line);border-radius:14px;overflow:hidden}
.months li[aria-current="true"]{border-color:var(--accent);box-shadow:0 0 0 2px var(--accent)}
.months figure{margin:0}
.months img{display:block;width:100%;height:auto}
.months figcaption{padding:.6rem .8rem 0;font-family:Georgia,serif}
.months audio{display:block;width:calc(100% - 1.6rem);margin:.6rem .8rem .8rem}
.missing{padding:2rem .8rem;color:var(--muted)}
`;

const SCRIPT = `
"use strict";
const items = Array.from(document.querySelectorAll("#months > li"));
const audios = items.map((li) => li.querySelector("audio"));
const stageImage = document.getElementById("stage-image");
const stageMonth = document.getElementById("stage-month");
const stageText = document.getElementById("stage-text");
const status = document.getElementById("status");
const play = document.getElementById("play");
const prev = document.getElementById("prev");
const next = document.getElementById("next");
let current = 0;
let playing = false;

function show(index) {
  current = index;
  const li = items[index];
  const img = li.querySelector("img");
  stageImage.hidden = !img;
  if (img) {
    stageImage.src = img.getAttribute("src");
    stageImage.alt = img.alt;
  }
  stageMonth.textContent = li.dataset.title;
  stageText.textContent = li.dataset.text;
  items.forEach((other, i) => other.setAttribute("aria-current", String(i === index)));
  document.body.dataset.current = String(index);
  updateStatus();
}
function updateStatus() {
  play.textContent = playing ? "Pause" : "Play";
  play.setAttribute("aria-pressed", String(playing));
  status.textContent = (current + 1) + " of " + items.length + (playing ? ", playing" : "");
}
function start(index) {
  audios.forEach((audio, i) => { if (audio && i !== index && !audio.paused) audio.pause(); });
  show(index);
  const audio = audios[index];
  if (!audio) return advance(index);
  audio.play().catch(() => { playing = false; updateStatus(); });
}
function advance(index) {
  if (index + 1 < items.length) {
    const audio = audios[index + 1];
    if (audio) audio.currentTime = 0;
    start(index + 1);
  } else {
    playing = false;
    updateStatus();
  }
}
audios.forEach((audio, index) => {
  if (!audio) return;
  audio.addEventListener("play", () => {
    playing = true;
    if (current !== index) {
      audios.forEach((other, i) => { if (other && i !== index && !other.paused) other.pause(); });
      show(index);
    }
    updateStatus();
  });
  audio.addEventListener("pause", () => {
    if (audio.ended || current !== index) return;
    playing = false;
    updateStatus();
  });
  audio.addEventListener("ended", () => { if (current === index) advance(index); });
});
function toggle() {
  const audio = audios[current];
  if (playing && audio) audio.pause();
  else start(current);
}
function step(delta) {
  const index = Math.min(items.length - 1, Math.max(0, current + delta));
  if (playing) start(index); else show(index);
}
play.addEventListener("click", toggle);
prev.addEventListener("click", () => step(-1));
next.addEventListener("click", () => step(1));
document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const tag = event.target && event.target.tagName;
  if (tag === "BUTTON" || tag === "AUDIO" || tag === "INPUT") return;
  if (event.key === "k" || event.key === " ") { event.preventDefault(); toggle(); }
  else if (event.key === "ArrowRight") step(1);
  else if (event.key === "ArrowLeft") step(-1);
});
document.getElementById("stage").hidden = false;
show(0);
`;

/** `sha256-<base64>` of an inline block, as CSP names it. */
function cspHash(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/**
 * The page's Content-Security-Policy: nothing from anywhere but the page's own folder (images
 * and audio), and only this page's own style and script.
 */
export const CALENDAR_PAGE_CSP = [
  "default-src 'none'",
  "img-src 'self'",
  "media-src 'self'",
  `style-src ${cspHash(STYLE)}`,
  `script-src ${cspHash(SCRIPT)}`,
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** A relative file name as an attribute: each path segment percent-encoded, then escaped. */
function fileAttr(file: string): string {
  return escapeHtml(file.split("/").map(encodeURIComponent).join("/"));
}

function entryTitle(entry: CalendarPageEntry): string {
  return entry.part > 1 ? `${entry.month} (${entry.part})` : entry.month;
}

/** The sentence without the "January: " the speech starts with (the title says the month). */
function sentenceOf(entry: CalendarPageEntry): string {
  const prefix = `${entry.month}: `;
  return entry.text.startsWith(prefix) ? entry.text.slice(prefix.length) : entry.text;
}

function entryItem(entry: CalendarPageEntry, index: number): string {
  const title = entryTitle(entry);
  const sentence = sentenceOf(entry);
  const picture = entry.image
    ? `<img src="${fileAttr(entry.image)}" width="${entry.width}" height="${entry.height}" alt="${escapeHtml(`${title}: ${sentence}`)}" loading="lazy">`
    : `<p class="missing">No image for ${escapeHtml(title)}.</p>`;
  const sound = entry.audio
    ? `<audio controls preload="metadata" src="${fileAttr(entry.audio)}" aria-label="${escapeHtml(`${title}, spoken (${entry.seconds.toFixed(1)} s)`)}"></audio>`
    : `<p class="missing">No speech for ${escapeHtml(title)}.</p>`;
  return `<li id="entry-${index + 1}" data-title="${escapeHtml(title)}" data-text="${escapeHtml(sentence)}"><figure>${picture}<figcaption><strong>${escapeHtml(title)}</strong> ${escapeHtml(sentence)}</figcaption></figure>${sound}</li>`;
}

/**
 * The whole page for these entries, in order.
 *
 * @example
 * ```ts
 * const html = calendarPage([{ month: "January", part: 1, image: "01-january.png", width: 1024,
 *   height: 1024, audio: "01-january.wav", text: "January: Snow on pines.", seconds: 3.2 }]);
 * await writeFile("out/calendar/index.html", html);
 * ```
 */
export function calendarPage(
  entries: readonly CalendarPageEntry[],
  options: CalendarPageOptions = {},
): string {
  const title = options.title ?? "A calendar, spoken";
  const first = entries[0];
  const credits = (options.credits ?? []).map((line) => `<li>${escapeHtml(line)}</li>`).join("");
  const stage = first
    ? `<section class="stage" id="stage" hidden aria-label="Now playing">
<img id="stage-image" src="${first.image ? fileAttr(first.image) : ""}" width="${first.width}" height="${first.height}" alt="">
<div><h2 id="stage-month" aria-live="polite"></h2><p id="stage-text"></p>
<div class="controls"><button type="button" id="play" aria-pressed="false" aria-keyshortcuts="k">Play</button>
<button type="button" class="secondary" id="prev" aria-label="Previous month">&larr;</button>
<button type="button" class="secondary" id="next" aria-label="Next month">&rarr;</button>
<span class="status" id="status" role="status"></span></div></div>
</section>`
    : "<p>No months were made.</p>";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CALENDAR_PAGE_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
<ul class="credits">${credits}</ul>
${stage}
<ol class="months" id="months">
${entries.map(entryItem).join("\n")}
</ol>
</main>
${first ? `<script>${SCRIPT}</script>` : ""}
</body></html>
`;
}
