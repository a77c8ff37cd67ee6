// The two size types of the package root: `ImageSize` is the setting (a preset name or custom
// dimensions, as fal's image_size), `PixelSize` is what an image measures. The typecheck (`npm
// test` runs tsc over the tests) fails if a preset name ever becomes a valid PixelSize.
import { describe, expect, it } from "vitest";
import {
  FalImageGenSettings,
  URLImageRawFrame,
  resolveImageSize,
  type ImageSize,
  type PixelSize,
} from "../../src/index.js";

describe("ImageSize and PixelSize", () => {
  it("a setting resolves to the pixel size a frame carries", () => {
    const asked: ImageSize[] = ["landscape_4_3", { width: 640, height: 360 }];
    const measured: PixelSize[] = asked.map((size) => resolveImageSize(size));
    expect(measured).toEqual([
      { width: 1024, height: 768 },
      { width: 640, height: 360 },
    ]);
    const frame = new URLImageRawFrame({ url: undefined, size: measured[0] as PixelSize });
    expect(frame.size).toEqual({ width: 1024, height: 768 });
    expect(new FalImageGenSettings({ imageSize: asked[0] }).imageSize).toBe("landscape_4_3");
  });

  it("keeps the two apart (checked by tsc)", () => {
    // @ts-expect-error a preset name is a setting, not pixel dimensions
    const wrong: PixelSize = "square_hd";
    expect(typeof wrong).toBe("string");
  });
});
