// Pixel layout names and channel counts (src/services/images/decode.ts), both ways.
import { describe, expect, it } from "vitest";
import {
  channelsForPixelFormat,
  pixelFormatForChannels,
} from "../../../src/services/images/decode.js";

describe("pixel layouts", () => {
  it.each([1, 2, 3, 4, 5])("%i channels round-trip through the layout name", (channels) => {
    expect(channelsForPixelFormat(pixelFormatForChannels(channels))).toBe(channels);
  });

  it("names and unknowns", () => {
    expect(channelsForPixelFormat("LA")).toBe(2);
    expect(channelsForPixelFormat("RGBA")).toBe(4);
    expect(channelsForPixelFormat("CMYK")).toBeUndefined();
    expect(channelsForPixelFormat(undefined)).toBeUndefined();
  });
});
