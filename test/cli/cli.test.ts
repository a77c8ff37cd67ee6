// The `pipecat-ts` CLI as a user runs it: a child process of dist/cli/main.js, no FAL_KEY, so the
// embedded local fal server answers.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, cleanEnv, requireBuild, runNode, startNode } from "../helpers/run-node.js";

let work: string;

beforeAll(async () => {
  requireBuild();
  work = await mkdtemp(join(tmpdir(), "pipecat-cli-"));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** No line of a stack trace ("    at fn (file:...)"). */
function expectNoStack(text: string): void {
  expect(text).not.toMatch(/^\s+at .+[:(]/m);
}

describe("pipecat-ts --help", () => {
  it("lists the commands and exits 0", async () => {
    const r = await runNode([CLI, "--help"]);
    expect(r.code).toBe(0);
    for (const word of ["generate", "serve", "demo", "FAL_KEY"]) expect(r.stdout).toContain(word);
    expect(r.stderr).toBe("");
  });

  it("describes serve as the three twins and demo as both bots", async () => {
    const r = await runNode([CLI, "--help"]);
    const serve = r.stdout.split("\n").find((line) => line.trimStart().startsWith("serve"));
    expect(serve).toContain("fal, OpenAI and Cartesia");
    expect(r.stdout).toContain("demo [storyboard|calendar]");
    expect(r.stdout).toContain("pipecat-ts demo calendar");
  });

  it("shows each command's help", async () => {
    const r = await runNode([CLI, "generate", "--help"]);
    expect(r.code).toBe(0);
    for (const flag of [
      "--model",
      "--size",
      "--seed",
      "--steps",
      "--num-images",
      "--format",
      "--out",
      "--file",
      "--concurrency",
      "--mode",
      "--json",
    ]) {
      expect(r.stdout).toContain(flag);
    }
    const serve = await runNode([CLI, "help", "serve"]);
    expect(serve.code).toBe(0);
    expect(serve.stdout).toContain("--inference-ms");
  });

  it("prints the version", async () => {
    const pkg = JSON.parse(
      await readFile(new URL("../../package.json", import.meta.url), "utf8"),
    ) as { version: string };
    const r = await runNode([CLI, "--version"]);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe("pipecat-ts generate", () => {
  it("writes one file per prompt with the local server and says it is using it", async () => {
    const out = join(work, "plain");
    const r = await runNode(
      [
        CLI,
        "generate",
        "a red fox in the snow",
        "a lighthouse at dusk",
        "--size",
        "square",
        "--out",
        out,
        "--seed",
        "7",
      ],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    const notices = r.stderr.split("\n").filter((l) => l.includes("embedded local fal server"));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /^No FAL_KEY set: using the embedded local fal server at http:\/\/127\.0\.0\.1:\d+ \(preview renderer, not a model\)$/,
    );
    const files = (await readdir(out)).sort();
    expect(files).toEqual(["01-a-red-fox-in-the-snow.png", "02-a-lighthouse-at-dusk.png"]);
    const meta = await sharp(join(out, files[0] as string)).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([512, 512, "png"]);
    // stdout lists the files; stderr has plain progress lines (not a TTY).
    expect(r.stdout.trim().split("\n")).toHaveLength(2);
    expect(r.stderr).toMatch(/prompt 1\/2 done: 512x512 png/);
    expect(r.stderr).not.toContain("\r");
  });

  it("--num-images 2: the prompt's done line names both files it wrote", async () => {
    const out = join(work, "two");
    const r = await runNode(
      [CLI, "generate", "a fox", "--num-images", "2", "--size", "square", "--out", out],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    const files = r.stdout.trim().split("\n");
    expect(files).toHaveLength(2);
    const done = r.stderr.split("\n").filter((line) => line.includes("done:"));
    expect(done).toHaveLength(1);
    expect(done[0]).toMatch(/prompt 1\/1 done: 2 images 512x512 png, [\d.]+ [KM]?B → /);
    expect(done[0]).toContain(`→ ${files[0]}, ${files[1]}`);
  });

  it("--json prints one parseable object per image, then a summary", async () => {
    const out = join(work, "json");
    const r = await runNode(
      [
        CLI,
        "generate",
        "one",
        "two",
        "three",
        "--json",
        "--out",
        out,
        "--format",
        "jpeg",
        "--size",
        "320x240",
        "--mode",
        "sync",
      ],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.type)).toEqual(["image", "image", "image", "summary"]);
    expect(lines.slice(0, 3).map((l) => l.index)).toEqual([0, 1, 2]);
    expect(lines[0]).toMatchObject({
      prompt: "one",
      width: 320,
      height: 240,
      mimeType: "image/jpeg",
    });
    expect(lines[3]).toMatchObject({
      type: "summary",
      prompts: 3,
      images: 3,
      errors: 0,
      backend: "local",
      model: "fal-ai/fast-sdxl",
    });
    for (const line of lines.slice(0, 3)) {
      const bytes = await readFile(join(work, String(line.file)));
      expect(bytes.byteLength).toBe(line.bytes);
    }
    // Non-TTY stderr with --json: only the one backend line.
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("reads prompts from stdin, one per line", async () => {
    const out = join(work, "stdin");
    const r = await runNode([CLI, "generate", "--out", out, "--quiet", "--size", "square"], {
      cwd: work,
      input: "a hen\n\n# a comment\na fox\n",
    });
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(["01-a-hen.png", "02-a-fox.png"]);
  });

  it("reads prompts from --file", async () => {
    const file = join(work, "prompts.txt");
    await writeFile(file, "first scene\nsecond scene\n");
    const out = join(work, "file");
    const r = await runNode(
      [CLI, "generate", "--file", file, "--out", out, "--json", "--size", "square"],
      { cwd: work },
    );
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(out)).length).toBe(2);
  });

  it("a bad --size is one line on stderr, exit code 2, no stack trace", async () => {
    const r = await runNode([CLI, "generate", "a fox", "--size", "huge"], { cwd: work });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/--size "huge".*square_hd.*WIDTHxHEIGHT/);
    expect(r.stdout).toBe("");
    expectNoStack(r.stderr);
  });

  it.each([
    [["--bogus"], /Unknown option --bogus/],
    [["x", "--seed", "abc"], /Invalid --seed "abc"/],
    [["x", "--steps", "0"], /Invalid --steps "0"/],
    [["x", "--num-images", "9"], /Invalid --num-images "9"/],
    [["x", "--format", "gif"], /Invalid --format "gif"/],
    [["x", "--mode", "fal"], /Invalid --mode "fal".*--backend fal/],
    [["x", "--backend", "fal"], /needs a fal API key.*FAL_KEY/],
    [["x", "--model", "fal-ai/fast-lightning-sdxl", "--steps", "3"], /--steps "3".*1, 2, 4, 8/],
    [["x", "--out"], /--out needs a value/],
    [[], /No prompt given/],
  ])("usage error %j → exit 2 with one line", async (args, pattern) => {
    const r = await runNode([CLI, "generate", ...(args as string[])], { cwd: work, input: "" });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(pattern as RegExp);
    expectNoStack(r.stderr);
  });

  it("an unknown model becomes one clear message from the server's 404 (exit 1)", async () => {
    const out = join(work, "nomodel");
    const r = await runNode(
      [CLI, "generate", "a", "b", "--model", "fal-ai/no-such-model", "--out", out],
      { cwd: work },
    );
    expect(r.code).toBe(1);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/Unknown model "fal-ai\/no-such-model".*404/);
    expectNoStack(r.stderr);
  });

  it("an unknown command is a usage error", async () => {
    const r = await runNode([CLI, "paint"]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/Unknown command "paint"/);
  });

  it("talks to a server given by --base-url and never prints the key", async () => {
    const key = "cli-test-key-0123456789abcdef";
    const served = await startNode(
      [CLI, "serve", "--port", "0", "--inference-ms", "0", "--key", key],
      /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*Ctrl-C to stop/,
    );
    try {
      const url = served.match[1] as string;
      const out = join(work, "baseurl");
      const ok = await runNode(
        [CLI, "generate", "a kite", "--base-url", url, "--out", out, "--json"],
        { cwd: work, env: cleanEnv({ FAL_KEY: key }) },
      );
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout + ok.stderr).not.toContain(key);
      const refused = await runNode([CLI, "generate", "a kite", "--base-url", url, "--out", out], {
        cwd: work,
        env: cleanEnv({ FAL_KEY: "wrong-key-123456" }),
      });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/HTTP 401.*FAL_KEY/);
      expect(refused.stderr).not.toContain("wrong-key-123456");
      expect(served.output().stdout).not.toContain(key);
    } finally {
      served.child.kill("SIGINT");
      await served.exited;
    }
  });
});

describe("pipecat-ts serve", () => {
  it("prints its URL and a curl hint, answers a fal request, stops on SIGINT", async () => {
    const served = await startNode(
      [CLI, "serve", "--port", "0", "--inference-ms", "10", "--workers", "2"],
      /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*Ctrl-C to stop/,
    );
    const url = served.match[1] as string;
    try {
      expect(served.output().stdout).toMatch(
        /curl -s http:\/\/127\.0\.0\.1:\d+\/run\/fal-ai\/fast-sdxl/,
      );
      const response = await fetch(`${url}/run/fal-ai/fast-sdxl`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "a lighthouse at dusk", image_size: "square" }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        images: Array<{ url: string; width: number; height: number }>;
      };
      expect(body.images[0]).toMatchObject({ width: 512, height: 512 });
      const image = await fetch(body.images[0]?.url as string);
      expect(image.headers.get("content-type")).toMatch(/^image\//);
    } finally {
      served.child.kill("SIGINT");
    }
    const result = await served.exited;
    expect(result.code).toBe(0);
  });

  it("--image-style photo serves large photo-like images; a bad style is a usage error", async () => {
    const bad = await runNode([CLI, "serve", "--image-style", "gif"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/--image-style must be "preview" or "photo"/);
    expectNoStack(bad.stderr);
    const served = await startNode(
      [CLI, "serve", "--port", "0", "--inference-ms", "0", "--image-style", "photo"],
      /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*Ctrl-C to stop/,
    );
    try {
      const response = await fetch(`${served.match[1]}/run/fal-ai/fast-sdxl`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "noise", image_size: "square_hd", format: "png" }),
      });
      const body = (await response.json()) as { images: Array<{ file_size: number }> };
      expect(body.images[0]?.file_size).toBeGreaterThan(1_000_000);
    } finally {
      served.child.kill("SIGINT");
      await served.exited;
    }
  });

  it("a port in use is one clear line and exit 1", async () => {
    const first = await startNode(
      [CLI, "serve", "--port", "0"],
      /listening on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*Ctrl-C to stop/,
    );
    try {
      const r = await runNode([CLI, "serve", "--port", first.match[1] as string]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(/already in use/);
      expectNoStack(r.stderr);
    } finally {
      first.child.kill("SIGINT");
      await first.exited;
    }
  });
});

describe("pipecat-ts demo", () => {
  it("serves the storyboard page on 127.0.0.1, says it uses the local server, stops on SIGINT", async () => {
    const demo = await startNode(
      [CLI, "demo", "--port", "0", "--inference-ms", "0"],
      /Storyboard demo: (http:\/\/127\.0\.0\.1:\d+)\//,
    );
    try {
      const url = demo.match[1] as string;
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-security-policy")).toContain("script-src 'self' blob:");
      expect(await page.text()).toContain("<title>Storyboard");
      expect((await fetch(`${url}/app.js`)).headers.get("content-type")).toMatch(/javascript/);
      expect((await fetch(`${url}/../package.json`)).status).toBe(404);
      await expect
        .poll(() => demo.output().stderr)
        .toMatch(
          /^No FAL_KEY set: using the embedded local fal server at http:\/\/127\.0\.0\.1:\d+ \(preview renderer, not a model\)$/m,
        );
    } finally {
      demo.child.kill("SIGINT");
    }
    expect((await demo.exited).code).toBe(0);
  });

  it("demo calendar serves the calendar page and names the three twins it started", async () => {
    const demo = await startNode(
      [CLI, "demo", "calendar", "--port", "0", "--months", "2", "--backend", "local"],
      /Calendar demo: (http:\/\/127\.0\.0\.1:\d+)\/.*\/ws/,
    );
    try {
      const url = demo.match[1] as string;
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<body data-bot="calendar">');
      expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({
        ok: true,
        bot: "calendar",
        backend: "local",
      });
      await expect
        .poll(() => demo.output().stderr)
        .toMatch(
          /embedded local OpenAI twin[\s\S]*embedded local Cartesia twin[\s\S]*local fal server/,
        );
    } finally {
      demo.child.kill("SIGINT");
    }
    expect((await demo.exited).code).toBe(0);
  });
});
