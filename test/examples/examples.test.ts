// Each example, run as a user would (`node examples/<name>.mjs`), against the embedded local fal
// server (no FAL_KEY in the environment). Needs `npm run build` first (npm test does it).
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, requireBuild, runNode } from "../helpers/run-node.js";

const LOCAL_NOTICE =
  /^No FAL_KEY set: using the embedded local fal server at http:\/\/127\.0\.0\.1:\d+ \(preview renderer, not a model\)$/m;

let work: string;
beforeAll(async () => {
  requireBuild();
  work = await mkdtemp(join(tmpdir(), "pipecat-examples-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function run(name: string, out: string) {
  const r = await runNode([join(ROOT, "examples", `${name}.mjs`), "--out", out]);
  expect(r.code, `${name} failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
  expect(r.stderr).toMatch(LOCAL_NOTICE);
  return r;
}

describe("examples", () => {
  it("seed-basic.mjs: landscape_16_9, prints size, bytes and the file", async () => {
    const out = join(work, "basic");
    const r = await run("seed-basic", out);
    const match = /image: (\d+)x(\d+) \S+ pixels, (\d+) bytes \(image\/png\) -> (.+)$/m.exec(
      r.stdout,
    );
    expect(match, r.stdout).not.toBeNull();
    const [, width, height, bytes, file] = match as RegExpExecArray;
    expect([Number(width), Number(height)]).toEqual([1024, 576]);
    expect((await readFile(file as string)).byteLength).toBe(Number(bytes));
  });

  it("seed-custom-settings.mjs: fast-sdxl, 1024x768, 12 steps, seed 42, safety checker", async () => {
    const out = join(work, "custom");
    const r = await run("seed-custom-settings", out);
    expect(r.stdout).toContain(
      'settings: model=fal-ai/fast-sdxl imageSize={"width":1024,"height":768} numInferenceSteps=12 seed=42 enableSafetyChecker=true',
    );
    expect(r.stdout).toMatch(/image: 1024x768, seed 42, \d+ bytes -> /);
    expect(r.stdout).toMatch(/request: model fal-ai\/fast-sdxl/);
    const meta = await sharp(join(out, "seed-custom-settings.png")).metadata();
    expect([meta.width, meta.height]).toEqual([1024, 768]);
  });

  it("runtime-settings.mjs: model and size change mid-pipeline", async () => {
    const out = join(work, "runtime");
    const r = await run("runtime-settings", out);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^image 1: model=fal-ai\/fast-sdxl size=512x512 /);
    expect(lines[1]).toMatch(/^image 2: model=fal-ai\/flux\/schnell size=768x1024 /);
    expect(lines[2]).toMatch(/^image 3: model=fal-ai\/flux\/schnell size=640x640 /);
    const sizes = await Promise.all(
      [1, 2, 3].map(
        async (n) => (await sharp(join(out, `runtime-settings-${n}.png`)).metadata()).width,
      ),
    );
    expect(sizes).toEqual([512, 768, 640]);
  });
});

describe("storyboard.mjs (npm run storyboard)", () => {
  it("writes 6 decodable images and an index.html contact sheet", async () => {
    const out = join(work, "board");
    const r = await runNode([join(ROOT, "examples", "storyboard.mjs"), "--out", out], {
      timeoutMs: 30_000,
    });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stderr.match(new RegExp(LOCAL_NOTICE.source, "gm"))).toHaveLength(1);
    expect(r.stdout).toMatch(/Wrote 6 images and .*index\.html/);
    const files = (await readdir(out)).sort();
    expect(files).toEqual([
      "index.html",
      "scene-01.png",
      "scene-02.png",
      "scene-03.png",
      "scene-04.png",
      "scene-05.png",
      "scene-06.png",
    ]);
    for (const file of files.filter((f) => f.endsWith(".png"))) {
      const { info } = await sharp(join(out, file)).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([1024, 576]);
    }
    const html = await readFile(join(out, "index.html"), "utf8");
    const imgs = [...html.matchAll(/<img src="(scene-\d\d\.png)"[^>]*alt="Scene (\d): ([^"]+)"/g)];
    expect(imgs.map((m) => m[1])).toEqual(files.filter((f) => f.endsWith(".png")));
    expect(html).toContain("Pip leaps into the paper boat");
    expect(html).toMatch(/seed 1234/);
    expect(html).toMatch(/request [0-9a-f-]{36}/);
    // Plain progress lines (stderr is not a TTY): queue positions and completion per scene.
    expect(r.stderr).toMatch(/scene 1\/6: (in queue|in progress|queued)/);
    expect(r.stderr).toMatch(/scene 6\/6: done, 1024x576/);
  });

  it("options: --size and --model; a bad --size is a usage error", async () => {
    const out = join(work, "board-square");
    const r = await runNode([
      join(ROOT, "examples", "storyboard.mjs"),
      "--out",
      out,
      "--size",
      "square",
      "--model",
      "fal-ai/flux/schnell",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const meta = await sharp(join(out, "scene-03.png")).metadata();
    expect([meta.width, meta.height]).toEqual([512, 512]);
    const bad = await runNode([
      join(ROOT, "examples", "storyboard.mjs"),
      "--out",
      out,
      "--size",
      "enormous",
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/storyboard: Invalid value for "--size"/);
  });

  it("a failing scene makes the run fail with one clear message", async () => {
    const out = join(work, "board-bad");
    const r = await runNode([
      join(ROOT, "examples", "storyboard.mjs"),
      "--out",
      out,
      "--model",
      "fal-ai/not-a-model",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Storyboard incomplete: 6 of 6 scenes failed \(.*404/);
  });
});
