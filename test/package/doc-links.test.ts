// The relative links of the shipped Markdown (README.md, BENCHMARKS.md, docs/*.md): each names a
// file that exists and, with a #fragment, a heading of that file (GitHub's heading anchors).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DOCS = [
  "README.md",
  "BENCHMARKS.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]+>/g, "")
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/_/g, "")
    .replace(/\s/g, "-");
}

/** Every anchor a Markdown file offers: its headings (repeats get -1, -2...) and explicit ids. */
function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, "utf8").replace(/^```[\s\S]*?^```/gm, "");
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of text.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = slug(match[1] ?? "");
    const count = seen.get(base);
    seen.set(base, (count ?? -1) + 1);
    anchors.add(count === undefined ? base : `${base}-${count + 1}`);
  }
  for (const match of text.matchAll(/<a (?:id|name)="([^"]+)"/g)) anchors.add(match[1] ?? "");
  return anchors;
}

describe("Markdown links", () => {
  it.each(DOCS)("every relative link of %s names an existing file and heading", (doc) => {
    const text = readFileSync(join(ROOT, doc), "utf8").replace(/^```[\s\S]*?^```/gm, "");
    const broken: string[] = [];
    for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = match[1] ?? "";
      if (/^[a-z]+:/i.test(link)) continue;
      const [path = "", fragment] = link.split("#");
      const target = path === "" ? join(ROOT, doc) : join(ROOT, dirname(doc), path);
      if (!existsSync(target)) {
        broken.push(`${link} (no file ${relative(ROOT, target)})`);
        continue;
      }
      if (fragment && target.endsWith(".md") && !anchorsOf(target).has(fragment))
        broken.push(`${link} (no heading #${fragment})`);
    }
    expect(broken).toEqual([]);
  });
});
