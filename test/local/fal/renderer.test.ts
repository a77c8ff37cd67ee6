import { mkdirSync, writeFileSync } from "node:fs";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { GLYPH_HEIGHT, glyphPixel, toFontText, wrapText } from "../../../src/local/fal/font.js";
import { renderPreviewImage, renderPreviewPixels } from "../../../src/local/fal/index.js";
import { call, start } from "./helpers.js";

const base = {
  model: "fal-ai/flux/dev",
  prompt: "A lighthouse on a cliff at dusk",
  seed: 1234,
  width: 640,
  height: 480,
  index: 0,
};

async function fetchBytes(url: string): Promise<Buffer> {
  const r = await fetch(url);
  expect(r.status).toBe(200);
  return Buffer.from(await r.arrayBuffer());
}

describe("bitmap font", () => {
  it("covers printable ASCII and maps everything else to '?'", () => {
    for (let c = 0x21; c <= 0x7e; c += 1) {
      const ch = String.fromCharCode(c);
      let ink = 0;
      for (let y = 0; y < GLYPH_HEIGHT; y += 1)
        for (let x = 0; x < 5; x += 1) ink += glyphPixel(ch, x, y) ? 1 : 0;
      expect(ink, ch).toBeGreaterThan(0);
    }
    expect(toFontText("café ☕ 日本\tx")).toBe("caf? ? ?? x");
    expect(wrapText("the quick brown fox jumps", 10)).toEqual(["the quick", "brown fox", "jumps"]);
    expect(wrapText("abcdefghijklmnop", 5)).toEqual(["abcde", "fghij", "klmno", "p"]);
  });
});

describe("preview renderer", () => {
  it("is deterministic and depends on prompt, seed and index", async () => {
    const a = await renderPreviewImage({ ...base, format: "png" });
    const b = await renderPreviewImage({ ...base, format: "png" });
    expect(a.data.equals(b.data)).toBe(true);
    for (const change of [
      { prompt: "A lighthouse on a cliff at dawn" },
      { seed: 1235 },
      { index: 1 },
    ]) {
      const c = await renderPreviewImage({ ...base, ...change, format: "png" });
      expect(c.data.equals(a.data), JSON.stringify(change)).toBe(false);
    }
    const jpeg = await renderPreviewImage({ ...base, format: "jpeg" });
    expect(jpeg.contentType).toBe("image/jpeg");
    expect((await sharp(jpeg.data).metadata()).format).toBe("jpeg");
  });

  it("differs between scenes (backgrounds are not all the same)", () => {
    const corners = new Set<string>();
    for (let seed = 0; seed < 8; seed += 1) {
      const px = renderPreviewPixels({ ...base, seed, width: 64, height: 64 });
      const o = (20 * 64 + 32) * 3; // a sky pixel below the banner
      corners.add(`${px[o]},${px[o + 1]},${px[o + 2]}`);
    }
    expect(corners.size).toBeGreaterThan(4);
  });

  it("handles tiny and odd sizes", async () => {
    for (const [width, height] of [
      [1, 1],
      [7, 300],
      [300, 7],
      [33, 17],
    ] as const) {
      const img = await renderPreviewImage({ ...base, width, height, format: "png" });
      const meta = await sharp(img.data).metadata();
      expect([meta.width, meta.height]).toEqual([width, height]);
    }
  });

  // Render speed is measured by `npm run bench`, not asserted here (timed tests are noisy).
  it("photo-style 1024×1024 PNGs are large (benchmark input), preview ones small", async () => {
    for (const style of ["preview", "photo"] as const) {
      const size = (
        await renderPreviewImage({ ...base, width: 1024, height: 1024, style, format: "png" })
      ).data.length;
      if (style === "photo") {
        expect(size).toBeGreaterThan(1_200_000);
        expect(size).toBeLessThan(2_500_000);
      } else expect(size).toBeLessThan(400_000);
    }
  });

  it("writes a sample to test-output/ for a person to look at", async () => {
    const img = await renderPreviewImage({
      model: "fal-ai/fast-sdxl",
      prompt:
        "Storyboard panel 3: the detective opens the door of the rain-soaked office, neon light spilling in",
      seed: 99,
      width: 1024,
      height: 576,
      index: 0,
      count: 2,
      format: "png",
    });
    mkdirSync("test-output", { recursive: true });
    writeFileSync("test-output/preview-sample.png", img.data);
    const meta = await sharp(img.data).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 1024, 576]);
  });
});

describe("preview renderer through the server", () => {
  it("uses preset and custom sizes, output_format/format and content types", async () => {
    const s = await start();
    const cases: Array<{
      model: string;
      input: Record<string, unknown>;
      w: number;
      h: number;
      type: string;
      fmt: string;
    }> = [
      {
        model: "fal-ai/flux/dev",
        input: { image_size: "portrait_16_9", output_format: "png" },
        w: 576,
        h: 1024,
        type: "image/png",
        fmt: "png",
      },
      {
        model: "fal-ai/flux/schnell",
        input: { image_size: { width: 333, height: 222 } },
        w: 333,
        h: 222,
        type: "image/jpeg",
        fmt: "jpeg",
      },
      {
        model: "fal-ai/flux/dev",
        input: { image_size: "square", format: "png" },
        w: 512,
        h: 512,
        type: "image/jpeg",
        fmt: "jpeg",
      },
      {
        model: "fal-ai/fast-sdxl",
        input: { image_size: "landscape_16_9", format: "png" },
        w: 1024,
        h: 576,
        type: "image/png",
        fmt: "png",
      },
      {
        model: "fal-ai/fast-lightning-sdxl",
        input: { image_size: { width: 100, height: 60 }, num_inference_steps: "2" },
        w: 100,
        h: 60,
        type: "image/jpeg",
        fmt: "jpeg",
      },
    ];
    for (const c of cases) {
      const r = await call(s.url, "POST", `/run/${c.model}`, {
        body: { prompt: "size check", ...c.input },
      });
      expect(r.status, JSON.stringify(c)).toBe(200);
      const img = r.json.images[0];
      expect(img).toMatchObject({ width: c.w, height: c.h, content_type: c.type });
      expect(img.file_name).toMatch(c.fmt === "png" ? /\.png$/ : /\.jpg$/);
      const meta = await sharp(await fetchBytes(img.url)).metadata();
      expect([meta.width, meta.height, meta.format]).toEqual([c.w, c.h, c.fmt]);
    }
  });

  it("same input → identical bytes (and URL); different prompt → different bytes; random seed is echoed", async () => {
    const s = await start();
    const input = { prompt: "twin", seed: 42, image_size: "square", num_images: 2 };
    const a = await call(s.url, "POST", "/run/fal-ai/flux/dev", { body: input });
    const b = await call(s.url, "POST", "/run/fal-ai/flux/dev", { body: input });
    expect(a.json.images.map((i: any) => i.url)).toEqual(b.json.images.map((i: any) => i.url));
    const [a0, a1] = await Promise.all(a.json.images.map((i: any) => fetchBytes(i.url)));
    expect(a0!.equals(await fetchBytes(b.json.images[0].url))).toBe(true);
    expect(a0!.equals(a1!)).toBe(false); // index matters
    expect(a.json.has_nsfw_concepts).toEqual([false, false]);
    const c = await call(s.url, "POST", "/run/fal-ai/flux/dev", {
      body: { ...input, prompt: "twins" },
    });
    expect((await fetchBytes(c.json.images[0].url)).equals(a0!)).toBe(false);

    const r1 = await call(s.url, "POST", "/run/fal-ai/flux/dev", {
      body: { prompt: "random", image_size: "square" },
    });
    expect(Number.isInteger(r1.json.seed)).toBe(true);
    const r2 = await call(s.url, "POST", "/run/fal-ai/flux/dev", {
      body: { prompt: "random", image_size: "square", seed: r1.json.seed },
    });
    expect(r2.json.images[0].url).toBe(r1.json.images[0].url);
  });

  it("sync_mode returns data URIs", async () => {
    const s = await start();
    const r = await call(s.url, "POST", "/run/fal-ai/fast-sdxl", {
      body: { prompt: "inline", image_size: "square", format: "png", sync_mode: true, seed: 3 },
    });
    const img = r.json.images[0];
    expect(img.url).toMatch(/^data:image\/png;base64,/);
    const bytes = Buffer.from(img.url.slice(img.url.indexOf(",") + 1), "base64");
    expect(bytes.length).toBe(img.file_size);
    const meta = await sharp(bytes).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([512, 512, "png"]);
    // Same bytes as the stored variant.
    const stored = await call(s.url, "POST", "/run/fal-ai/fast-sdxl", {
      body: { prompt: "inline", image_size: "square", format: "png", seed: 3 },
    });
    expect((await fetchBytes(stored.json.images[0].url)).equals(bytes)).toBe(true);
    expect(s.stats().files.count).toBe(1); // the data-URI image was not stored
  });

  it("imageStyle photo produces large, noisy images", async () => {
    const s = await start({ imageStyle: "photo" });
    const r = await call(s.url, "POST", "/run/fal-ai/fast-sdxl", {
      body: { prompt: "bench", image_size: "square_hd", format: "png", seed: 1 },
    });
    expect(r.json.images[0].file_size).toBeGreaterThan(1_200_000);
  });

  it("evicts the oldest files beyond maxStoredBytes", async () => {
    const s = await start({ maxStoredBytes: 120_000 });
    const urls: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const r = await call(s.url, "POST", "/run/fal-ai/fast-sdxl", {
        body: { prompt: `evict ${i}`, image_size: "square", format: "png", seed: i },
      });
      urls.push(r.json.images[0].url);
    }
    const stats = s.stats().files;
    expect(stats.bytes).toBeLessThanOrEqual(120_000);
    expect(stats.evictions).toBeGreaterThan(0);
    expect((await fetch(urls[0]!)).status).toBe(404);
    expect((await fetch(urls[5]!)).status).toBe(200);
  });
});
