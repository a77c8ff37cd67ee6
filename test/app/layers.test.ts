// The front ends' layering, read from the source: app/ imports no front end, bots/ (the live bots)
// uses app/ but no front end, web/ (the bot server) never imports cli/, and cli/ (the composition
// root) imports web/ only to launch the demo.
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

/** Every relative import (static, `export … from`, dynamic) of each .ts file under `folder`. */
async function importsUnder(folder: string): Promise<Array<{ file: string; target: string }>> {
  const found: Array<{ file: string; target: string }> = [];
  for (const entry of await readdir(join(SRC, folder), { recursive: true })) {
    if (!entry.endsWith(".ts")) continue;
    const path = join(SRC, folder, entry);
    const text = await readFile(path, "utf8");
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      const target = relative(SRC, resolve(dirname(path), match[1] as string));
      found.push({ file: relative(SRC, path), target });
    }
  }
  return found;
}

const into = (folder: string) => (i: { target: string }) => i.target.startsWith(`${folder}/`);

describe("front-end layering", () => {
  it("app/ imports neither cli/ nor web/ nor bots/", async () => {
    const imports = await importsUnder("app");
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((i) => into("cli")(i) || into("web")(i) || into("bots")(i))).toEqual([]);
  });

  it("bots/ uses app/ and never imports a front end (cli/, web/)", async () => {
    const imports = await importsUnder("bots");
    expect(imports.some(into("app"))).toBe(true);
    expect(imports.filter((i) => into("cli")(i) || into("web")(i))).toEqual([]);
  });

  it("web/ never imports cli/", async () => {
    const imports = await importsUnder("web");
    expect(imports.some(into("app"))).toBe(true);
    expect(imports.filter(into("cli"))).toEqual([]);
  });

  it("cli/ imports web/ only to launch the demo", async () => {
    const imports = await importsUnder("cli");
    expect(imports.filter(into("web"))).toEqual([{ file: "cli/demo.ts", target: "web/demo.js" }]);
  });
});
