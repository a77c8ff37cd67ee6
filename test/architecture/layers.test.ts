// The layering of src/, read from the source: every folder imports only from the folders below it
// (README, "Project layout", shows the same table). Type-only imports (`import type`) may also
// reach the folders in `typesFrom`: they are erased at run time, as Pipecat's TYPE_CHECKING imports
// are. Import cycles between files are refused by the linter (Biome's noImportCycles).
import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../../src/", import.meta.url));

interface Layer {
  /** Folders (layers) whose modules this one may import at run time. */
  from: readonly string[];
  /** Further folders it may import types from. */
  typesFrom?: readonly string[];
}

const LIBRARY_CORE = [
  "utils",
  "frames",
  "audio",
  "serializers",
  "processors",
  "observers",
  "pipeline",
];
const LIBRARY = [...LIBRARY_CORE, "services", "transports", "processors/frameworks", "server"];

/** The layers, lowest first. `processors/frameworks` (RTVI) is a layer above transports. */
const LAYERS: Record<string, Layer> = {
  utils: { from: [] },
  frames: { from: ["utils"] },
  audio: { from: ["utils", "frames"] },
  serializers: { from: ["utils", "frames"] },
  server: { from: ["utils"] },
  processors: { from: ["utils", "frames"], typesFrom: ["observers", "pipeline"] },
  observers: { from: ["utils", "frames", "processors"] },
  pipeline: { from: ["utils", "frames", "processors", "observers"] },
  services: { from: ["utils", "frames", "audio", "processors"] },
  transports: { from: ["utils", "frames", "audio", "serializers", "processors", "server"] },
  "processors/frameworks": {
    from: ["utils", "frames", "audio", "serializers", "processors", "observers", "transports"],
  },
  local: { from: ["utils", "frames", "audio", "server", "services"] },
  "(package root)": { from: LIBRARY },
  app: { from: [...LIBRARY, "local"] },
  bots: { from: [...LIBRARY, "local", "app"] },
  web: { from: [...LIBRARY, "local", "app", "bots"] },
  cli: { from: [...LIBRARY, "local", "app", "web"] },
};

/** The layer a path under src/ belongs to. */
function layerOf(path: string): string {
  if (path.startsWith("processors/frameworks/")) return "processors/frameworks";
  const slash = path.indexOf("/");
  return slash < 0 ? "(package root)" : path.slice(0, slash);
}

interface Import {
  file: string;
  target: string;
  typeOnly: boolean;
}

/** Every relative import (static, `export … from`, dynamic) of every .ts file under src/. */
async function allImports(): Promise<Import[]> {
  const found: Import[] = [];
  for (const entry of await readdir(SRC, { recursive: true })) {
    if (!entry.endsWith(".ts")) continue;
    const path = join(SRC, entry);
    const text = await readFile(path, "utf8");
    const pattern =
      /(?:^|\n)\s*(import|export)(\s+type)?\b[^;]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']|\bimport\(\s*["'](\.{1,2}\/[^"']+)["']/g;
    for (const match of text.matchAll(pattern)) {
      const spec = (match[3] ?? match[4]) as string;
      found.push({
        file: relative(SRC, path),
        target: relative(SRC, resolve(dirname(path), spec)),
        typeOnly: match[2] !== undefined,
      });
    }
  }
  return found;
}

/** The imports that go up (or sideways) in the table, as "file → target" lines. */
function violations(imports: readonly Import[]): string[] {
  return imports
    .filter((i) => {
      const from = layerOf(i.file);
      const to = layerOf(i.target);
      if (from === to) return false;
      const layer = LAYERS[from];
      if (layer === undefined) return true;
      if (layer.from.includes(to)) return false;
      return !(i.typeOnly && layer.typesFrom?.includes(to));
    })
    .map((i) => `${i.file} → ${i.target}${i.typeOnly ? " (type)" : ""}`);
}

describe("layering of src/", () => {
  it("every folder under src/ has a place in the table", async () => {
    const imports = await allImports();
    const layers = new Set(imports.map((i) => layerOf(i.file)));
    expect([...layers].filter((layer) => !(layer in LAYERS))).toEqual([]);
  });

  it("every import goes down the table (type-only imports also to typesFrom)", async () => {
    const imports = await allImports();
    expect(imports.length).toBeGreaterThan(500);
    expect(violations(imports)).toEqual([]);
  });

  it("the front ends: web/ never imports cli/, and cli/ imports web/ only to launch the demo", async () => {
    const imports = await allImports();
    expect(imports.filter((i) => i.file.startsWith("web/") && i.target.startsWith("cli/"))).toEqual(
      [],
    );
    const cliIntoWeb = imports.filter(
      (i) => i.file.startsWith("cli/") && i.target.startsWith("web/"),
    );
    expect(cliIntoWeb.map((i) => i.file)).toEqual(["cli/demo.ts"]);
  });

  it("the check catches what it should", () => {
    const planted: Import[] = [
      { file: "frames/base.ts", target: "processors/lanes.js", typeOnly: false },
      { file: "processors/lanes.ts", target: "pipeline/task.js", typeOnly: true },
      { file: "processors/lanes.ts", target: "pipeline/task.js", typeOnly: false },
      { file: "utils/http.ts", target: "frames/base.js", typeOnly: true },
      {
        file: "processors/frameworks/rtvi/observer.ts",
        target: "transports/x.js",
        typeOnly: false,
      },
      {
        file: "transports/base-output.ts",
        target: "processors/frameworks/rtvi/x.js",
        typeOnly: false,
      },
      { file: "index.ts", target: "cli/main.js", typeOnly: false },
    ];
    expect(violations(planted)).toEqual([
      "frames/base.ts → processors/lanes.js",
      "processors/lanes.ts → pipeline/task.js",
      "utils/http.ts → frames/base.js (type)",
      "transports/base-output.ts → processors/frameworks/rtvi/x.js",
      "index.ts → cli/main.js",
    ]);
  });
});
