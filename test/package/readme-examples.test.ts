// README.md's complete examples, run as a reader would run them: each ```ts/```js block that
// imports from "pipecat-ts" (or a "pipecat-ts/…" subpath) is a complete program; it is turned
// into JavaScript with esbuild, written under test-output/ (inside the repo, so "pipecat-ts"
// resolves to the built dist/ by package self-reference) and run with node, offline: no provider
// key, and the base URL of a local twin this test starts for each service the block would
// otherwise reach on the internet. The TypeScript ones are also type-checked (strict) against the
// built declarations. The other blocks are fragments (a constructor call, one
// queueFrame) and are not run.
//
// Not run: the "Connecting a Pipecat client app" block, which needs a browser (it imports
// @pipecat-ai/client-js, not "pipecat-ts", so the rule leaves it out). Its calls — connect(),
// bot-ready's `about`, sendText, the "settings" and "stop" client requests — are exercised with
// the same official client in Node by test/bots/storyboard.test.ts.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { transform } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CALENDAR_VOCABULARY } from "../../src/local/openai/calendar-vocabulary.js";
import { type LocalServers, startLocalServers } from "../../src/local/servers.js";
import { ROOT, type RunResult, cleanEnv, requireBuild, runNode } from "../helpers/run-node.js";

const README = join(ROOT, "README.md");
const OUT = join(ROOT, "test-output", "readme-examples");
const EXAMPLE_TIMEOUT_MS = 30_000;

/** The rule: a line that ends an import from the package ("import … from" or "} from"). */
const COMPLETE_RULE = /^(?:import\b.*|\}) from "pipecat-ts(?:\/[a-z-]+)?";$/m;

interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The nearest heading above it, without the #s. */
  heading: string;
  lang: "ts" | "js";
  code: string;
}

/** Every ```ts and ```js block of a Markdown text, with its heading. */
function codeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split("\n");
  const blocks: ReadmeBlock[] = [];
  let heading = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const fence = /^```(\w*)\s*$/.exec(line);
    if (!fence) {
      const title = /^#{1,6} (.+)$/.exec(line);
      if (title) heading = title[1] as string;
      continue;
    }
    const end = lines.findIndex((l, j) => j > i && l.startsWith("```"));
    if (end < 0) throw new Error(`README.md:${i + 1}: a fence that is never closed`);
    const lang = fence[1];
    if (lang === "ts" || lang === "js")
      blocks.push({ line: i + 1, heading, lang, code: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  return blocks;
}

type Service = "fal" | "openai" | "cartesia";

interface Expectation {
  heading: string;
  /** Text that tells this block from the other complete blocks under the same heading. */
  marker: string;
  /** Services the block reaches through their environment variables (no baseUrl in the code). */
  services: Service[];
  check: (result: RunResult, dir: string) => Promise<void> | void;
}

const BASE_URL_VARIABLE: Record<Service, string> = {
  fal: "FAL_BASE_URL",
  openai: "OPENAI_BASE_URL",
  cartesia: "CARTESIA_BASE_URL",
};

const EXPECTATIONS: Expectation[] = [
  {
    heading: "Quick start",
    marker: "runImageGen",
    services: ["fal"],
    check: ({ stdout }) => {
      // "URLImageRawFrame#0(size: 1024x768, format: RGB, url: …)", one line per image.
      const lines = stdout.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^URLImageRawFrame#\d+\(size: 1024x768, format: RGB, url: /);
    },
  },
  {
    heading: "In a pipeline",
    marker: "class Collector",
    services: [],
    check: ({ stdout }) => {
      // The collector lists the two prompts' images, in prompt order, at square_hd.
      expect(stdout).toContain("a fox in the snow: 1024x1024");
      expect(stdout).toContain("a fox by a river: 1024x1024");
      expect(stdout.indexOf("snow")).toBeLessThan(stdout.indexOf("river"));
    },
  },
  {
    heading: "LLM: OpenAILLMService",
    marker: "startLocalOpenAIServer",
    services: [],
    check: ({ stdout }) => {
      // The scripted LLM's one sentence about May (one of May's scenes), printed as it streams.
      const sentence = stdout.trim();
      expect(sentence).toMatch(/^[A-Z][^.]*\.$/);
      const scene = CALENDAR_VOCABULARY.May.scenes.find((s) =>
        sentence.toLowerCase().startsWith(s.toLowerCase()),
      );
      expect(scene, sentence).toBeDefined();
    },
  },
  {
    heading: "TTS: CartesiaHttpTTSService",
    marker: "hello.wav",
    services: [],
    check: async ({ stdout }, dir) => {
      expect(stdout).toMatch(/^speech: /);
      const wav = await readFile(join(dir, "hello.wav"));
      expect(wav.subarray(0, 4).toString("latin1")).toBe("RIFF");
      expect(wav.subarray(8, 12).toString("latin1")).toBe("WAVE");
      expect(wav.readUInt32LE(24)).toBe(24_000); // the sample rate written
      expect(wav.length).toBeGreaterThan(44 + 24_000 / 2); // more than a quarter second of speech
    },
  },
  {
    heading: "The local twins",
    marker: "startLocalServers(",
    services: [],
    check: ({ stdout }) => expect(stdout).toBe(""),
  },
  {
    heading: "The local twins",
    marker: "createFalClient(",
    services: [],
    check: ({ stdout }) => expect(stdout).toBe(""),
  },
];

const blocks = codeBlocks(await readFile(README, "utf8"));
const complete = blocks.filter((b) => COMPLETE_RULE.test(b.code));

function expectationFor(block: ReadmeBlock): Expectation {
  const found = EXPECTATIONS.filter(
    (e) => e.heading === block.heading && block.code.includes(e.marker),
  );
  if (found.length !== 1)
    throw new Error(
      `README.md:${block.line} (${block.heading}): ${found.length} expectations match this ` +
        "complete block; add or narrow one in EXPECTATIONS",
    );
  return found[0] as Expectation;
}

let twins: LocalServers;

beforeAll(async () => {
  requireBuild();
  await rm(OUT, { recursive: true, force: true });
  twins = await startLocalServers({ host: "127.0.0.1", cartesia: { engine: "builtin" } });
});

afterAll(async () => {
  await twins?.close();
});

describe("README.md's examples", () => {
  it("the rule finds the complete blocks, and each has exactly one expectation", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    expect(complete.map((b) => expectationFor(b))).toEqual(EXPECTATIONS);
  });

  it("the complete TypeScript blocks type-check, strict, against the package's declarations", async () => {
    const dir = join(OUT, "typecheck");
    await mkdir(dir, { recursive: true });
    const files: string[] = [];
    for (const block of complete.filter((b) => b.lang === "ts")) {
      const file = `line-${block.line}.ts`;
      // `export {}` makes each a module of its own (top-level await, no shared names).
      await writeFile(join(dir, file), `${block.code}\nexport {};\n`);
      files.push(file);
    }
    expect(files.length).toBeGreaterThanOrEqual(3);
    const tsconfig = {
      compilerOptions: {
        target: "ES2022",
        lib: ["ES2023", "DOM"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ["node"],
      },
      files,
    };
    await writeFile(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
    // "pipecat-ts" resolves to dist/index.d.ts by package self-reference, as it does at run time.
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const result = await runNode([tsc, "-p", dir], {
      cwd: dir,
      env: cleanEnv({}),
      timeoutMs: EXAMPLE_TIMEOUT_MS,
    });
    expect(result.stdout).toBe("");
    expect(result.code).toBe(0);
  });

  it.each(complete.map((b) => [`${b.heading} (README.md:${b.line})`, b] as const))(
    "%s runs offline and prints what it says",
    async (_name, block) => {
      const expectation = expectationFor(block);
      const { code } = await transform(block.code, {
        loader: block.lang,
        format: "esm",
        sourcefile: `README.md:${block.line}`,
      });
      const dir = join(OUT, `line-${block.line}`);
      await mkdir(dir, { recursive: true });
      const file = join(dir, "example.mjs");
      await writeFile(file, code);
      const baseUrls: Record<string, string> = {};
      for (const service of expectation.services)
        baseUrls[BASE_URL_VARIABLE[service]] = twins.baseUrls[service];
      const result = await runNode([file], {
        cwd: dir,
        env: cleanEnv(baseUrls),
        timeoutMs: EXAMPLE_TIMEOUT_MS,
      });
      expect(result.stderr).toBe("");
      expect(result).toMatchObject({ code: 0, signal: null });
      await expectation.check(result, dir);
    },
  );
});
