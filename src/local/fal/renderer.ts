// The local fal server's PREVIEW RENDERER. This is not a model: it draws a deterministic
// storyboard placeholder for (prompt, seed, index, width, height) — a sky gradient, a sun or
// moon, hills, a few simple props — and labels it "PREVIEW" with the model id and the
// word-wrapped prompt in the bitmap font from font.ts. Pixels are produced in a raw RGB buffer
// and encoded with sharp.
import sharp from "sharp";
import { fnv1a32, mulberry32 } from "../twin-kit/seeded-random.js";
import {
  GLYPH_ADVANCE,
  GLYPH_HEIGHT,
  GLYPH_WIDTH,
  LINE_ADVANCE,
  glyphRows,
  textWidth,
  toFontText,
  wrapText,
} from "./font.js";

/** "preview" = readable storyboard placeholder; "photo" = the same scene plus dense noise (big files, for benchmarks). */
export type ImageStyle = "preview" | "photo";
export type ImageFormat = "jpeg" | "png";

export interface RenderSpec {
  model: string;
  prompt: string;
  seed: number;
  width: number;
  height: number;
  /** 0-based index of the image within the request. */
  index: number;
  /** Number of images in the request (only shown in the caption). */
  count?: number;
  style?: ImageStyle;
}

export interface EncodedImage {
  data: Buffer;
  contentType: string;
  width: number;
  height: number;
}

// ---------------------------------------------------------------------------------------------
// Hashing and pseudo-random numbers (deterministic, no global state)

/** 32-bit FNV-1a over the UTF-16 code units of `text`, followed by a murmur-style finaliser. */
export function hash32(text: string): number {
  let h = fnv1a32(text);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Colour helpers

type RGB = [number, number, number];

function hsl(h: number, s: number, l: number): RGB {
  const hh = (((h % 360) + 360) % 360) / 360;
  const f = (n: number): number => {
    const k = (n + hh * 12) % 12;
    const a = s * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

function mix(a: RGB, b: RGB, t: number): RGB {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

// ---------------------------------------------------------------------------------------------
// A tiny raster canvas over an RGB buffer

class Canvas {
  readonly data: Buffer;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = Buffer.alloc(width * height * 3);
  }

  /** Fills the span [x0, x1) of row y with a solid colour. */
  span(y: number, x0: number, x1: number, c: RGB): void {
    if (y < 0 || y >= this.height) return;
    const a = Math.max(0, Math.floor(x0));
    const b = Math.min(this.width, Math.ceil(x1));
    if (b <= a) return;
    const d = this.data;
    const o = (y * this.width + a) * 3;
    const r = c[0] | 0;
    const g = c[1] | 0;
    const bl = c[2] | 0;
    d[o] = r;
    d[o + 1] = g;
    d[o + 2] = bl;
    // Double the filled region with copyWithin: much faster than a per-pixel loop.
    const start = o;
    const total = (b - a) * 3;
    let filled = 3;
    while (filled < total) {
      const n = Math.min(filled, total - filled);
      d.copyWithin(start + filled, start, start + n);
      filled += n;
    }
  }

  rect(x: number, y: number, w: number, h: number, c: RGB): void {
    const y0 = Math.max(0, Math.floor(y));
    const y1 = Math.min(this.height, Math.ceil(y + h));
    for (let yy = y0; yy < y1; yy += 1) this.span(yy, x, x + w, c);
  }

  /** Multiplies the pixels of a rectangle by `factor` (darkens a translucent panel). */
  shade(x: number, y: number, w: number, h: number, factor: number, tint: RGB = [0, 0, 0]): void {
    const x0 = Math.max(0, Math.floor(x));
    const x1 = Math.min(this.width, Math.ceil(x + w));
    const y0 = Math.max(0, Math.floor(y));
    const y1 = Math.min(this.height, Math.ceil(y + h));
    const d = this.data;
    const k = 1 - factor;
    const tr = tint[0] * k;
    const tg = tint[1] * k;
    const tb = tint[2] * k;
    for (let yy = y0; yy < y1; yy += 1) {
      let o = (yy * this.width + x0) * 3;
      for (let xx = x0; xx < x1; xx += 1) {
        d[o] = (d[o] as number) * factor + tr;
        d[o + 1] = (d[o + 1] as number) * factor + tg;
        d[o + 2] = (d[o + 2] as number) * factor + tb;
        o += 3;
      }
    }
  }

  ellipse(cx: number, cy: number, rx: number, ry: number, c: RGB): void {
    if (rx <= 0 || ry <= 0) return;
    const y0 = Math.max(0, Math.floor(cy - ry));
    const y1 = Math.min(this.height - 1, Math.ceil(cy + ry));
    for (let y = y0; y <= y1; y += 1) {
      const dy = (y + 0.5 - cy) / ry;
      if (dy * dy > 1) continue;
      const half = rx * Math.sqrt(1 - dy * dy);
      this.span(y, cx - half, cx + half, c);
    }
  }

  /** Fills a triangle (any orientation) by scanning rows. */
  triangle(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, c: RGB): void {
    const y0 = Math.max(0, Math.floor(Math.min(ay, by, cy)));
    const y1 = Math.min(this.height - 1, Math.ceil(Math.max(ay, by, cy)));
    const edges: Array<[number, number, number, number]> = [
      [ax, ay, bx, by],
      [bx, by, cx, cy],
      [cx, cy, ax, ay],
    ];
    for (let y = y0; y <= y1; y += 1) {
      const yc = y + 0.5;
      let lo = Infinity;
      let hi = -Infinity;
      for (const [x1, y1e, x2, y2] of edges) {
        if ((yc >= y1e && yc < y2) || (yc >= y2 && yc < y1e)) {
          const x = x1 + ((yc - y1e) / (y2 - y1e)) * (x2 - x1);
          lo = Math.min(lo, x);
          hi = Math.max(hi, x);
        }
      }
      if (hi > lo) this.span(y, lo, hi, c);
    }
  }

  /** Soft additive glow around a disc. */
  glow(cx: number, cy: number, r: number, radius: number, c: RGB, strength: number): void {
    const x0 = Math.max(0, Math.floor(cx - radius));
    const x1 = Math.min(this.width, Math.ceil(cx + radius));
    const y0 = Math.max(0, Math.floor(cy - radius));
    const y1 = Math.min(this.height, Math.ceil(cy + radius));
    const d = this.data;
    const span = Math.max(1, radius - r);
    for (let y = y0; y < y1; y += 1) {
      const dy = y + 0.5 - cy;
      let o = (y * this.width + x0) * 3;
      for (let x = x0; x < x1; x += 1) {
        const dx = x + 0.5 - cx;
        const dist = Math.sqrt(dx * dx + dy * dy);
        if (dist < radius) {
          const t = dist <= r ? 1 : 1 - (dist - r) / span;
          const a = t * t * strength;
          d[o] = (d[o] as number) + (c[0] - (d[o] as number)) * a;
          d[o + 1] = (d[o + 1] as number) + (c[1] - (d[o + 1] as number)) * a;
          d[o + 2] = (d[o + 2] as number) + (c[2] - (d[o + 2] as number)) * a;
        }
        o += 3;
      }
    }
  }

  /** Draws text with the bitmap font at integer `scale`, with a 1-cell dark shadow. */
  text(
    text: string,
    x: number,
    y: number,
    scale: number,
    c: RGB,
    shadow: RGB | null = [0, 0, 0],
  ): void {
    const s = Math.max(1, Math.floor(scale));
    const shadowOffset = Math.max(1, Math.round(s / 2));
    const passes: Array<[number, RGB]> = shadow
      ? [
          [shadowOffset, shadow],
          [0, c],
        ]
      : [[0, c]];
    for (const [off, colour] of passes) {
      let cx = x + off;
      for (const ch of text) {
        const rows = glyphRows(ch);
        for (let gy = 0; gy < GLYPH_HEIGHT; gy += 1) {
          const mask = rows[gy] ?? 0;
          if (mask === 0) continue;
          for (let gx = 0; gx < GLYPH_WIDTH; gx += 1) {
            if (mask & (1 << (GLYPH_WIDTH - 1 - gx)))
              this.rect(cx + gx * s, y + off + gy * s, s, s, colour);
          }
        }
        cx += GLYPH_ADVANCE * s;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Scene

type TimeOfDay = "day" | "dusk" | "night" | "dawn";

/** `band`: the rows not covered by the labels (top banner bottom .. prompt panel top). */
function drawScene(cv: Canvas, rng: () => number, band: { top: number; bottom: number }): void {
  const { width: w, height: h } = cv;
  const top = Math.max(0, Math.min(band.top, h - 1));
  const bottom = Math.max(top + 1, Math.min(band.bottom, h));
  const bandH = bottom - top;
  const times: TimeOfDay[] = ["day", "dusk", "night", "dawn"];
  const time = times[Math.floor(rng() * times.length)] as TimeOfDay;
  const hue = rng() * 360;
  const jitter = (range: number): number => (rng() - 0.5) * range;

  let skyTop: RGB;
  let skyBottom: RGB;
  let discColour: RGB;
  switch (time) {
    case "day":
      skyTop = hsl(205 + jitter(40), 0.65, 0.45);
      skyBottom = hsl(195 + jitter(30), 0.55, 0.82);
      discColour = [255, 246, 200];
      break;
    case "dusk":
      skyTop = hsl(255 + jitter(40), 0.45, 0.22);
      skyBottom = hsl(22 + jitter(30), 0.85, 0.62);
      discColour = [255, 170, 90];
      break;
    case "night":
      skyTop = hsl(228 + jitter(30), 0.55, 0.07);
      skyBottom = hsl(225 + jitter(30), 0.45, 0.24);
      discColour = [236, 236, 222];
      break;
    default:
      skyTop = hsl(210 + jitter(40), 0.4, 0.55);
      skyBottom = hsl(38 + jitter(30), 0.85, 0.78);
      discColour = [255, 226, 160];
  }
  const groundHue = (hue + 60) % 360;
  const darkness = time === "night" ? 0.35 : time === "dusk" ? 0.6 : 1;
  const groundTop = hsl(groundHue, 0.35, 0.42 * darkness);
  const groundBottom = hsl(groundHue + 20, 0.4, 0.2 * darkness);

  // Horizon inside the visible band, so the sky, the sun and the props are not hidden by labels.
  const horizon = Math.round(
    Math.min(Math.max(h * (0.56 + rng() * 0.14), top + bandH * 0.45), bottom - bandH * 0.22),
  );

  // Sky and ground: vertical gradients, one colour per row.
  for (let y = 0; y < h; y += 1) {
    if (y < horizon) cv.span(y, 0, w, mix(skyTop, skyBottom, y / Math.max(1, horizon - 1)));
    else cv.span(y, 0, w, mix(groundTop, groundBottom, (y - horizon) / Math.max(1, h - horizon)));
  }

  // Stars at night.
  if (time === "night") {
    const stars = Math.round((w * horizon) / 6000);
    for (let i = 0; i < stars; i += 1) {
      const sx = rng() * w;
      const sy = rng() * horizon * 0.9;
      const size = Math.max(1, Math.round(Math.min(w, h) / 500)) * (rng() < 0.15 ? 2 : 1);
      const b = 170 + Math.floor(rng() * 85);
      cv.rect(sx, sy, size, size, [b, b, b]);
    }
  }

  // Sun or moon with a glow.
  const minSide = Math.min(w, h);
  const r = minSide * (0.05 + rng() * 0.06);
  const discX = w * (0.15 + rng() * 0.7);
  const discY = Math.max(top + r * 1.3, horizon - (horizon - top) * (0.25 + rng() * 0.5));
  cv.glow(discX, discY, r, r * 3.2, discColour, time === "night" ? 0.25 : 0.55);
  cv.ellipse(discX, discY, r, r, discColour);
  if (time === "night") {
    // A crescent: cut the moon with a sky-coloured disc.
    cv.ellipse(
      discX + r * 0.45,
      discY - r * 0.2,
      r * 0.85,
      r * 0.85,
      mix(skyTop, skyBottom, discY / Math.max(1, horizon)),
    );
  }

  // Two layers of hills along the horizon.
  const layers: Array<{ amp: number; colour: RGB; base: number }> = [
    {
      amp: h * (0.06 + rng() * 0.08),
      colour: mix(hsl(groundHue + 30, 0.25, 0.45 * darkness), skyBottom, 0.45),
      base: horizon + 1,
    },
    {
      amp: h * (0.03 + rng() * 0.06),
      colour: hsl(groundHue, 0.35, 0.34 * darkness),
      base: horizon + Math.round(h * 0.03),
    },
  ];
  for (const layer of layers) {
    const f1 = ((1.5 + rng() * 3) * Math.PI) / w;
    const f2 = ((5 + rng() * 8) * Math.PI) / w;
    const p1 = rng() * Math.PI * 2;
    const p2 = rng() * Math.PI * 2;
    for (let x = 0; x < w; x += 1) {
      const v =
        0.6 * (0.5 + 0.5 * Math.sin(x * f1 + p1)) + 0.4 * (0.5 + 0.5 * Math.sin(x * f2 + p2));
      const top = Math.round(layer.base - layer.amp * v);
      for (let y = Math.max(0, top); y < Math.min(h, layer.base); y += 1) {
        const o = (y * w + x) * 3;
        cv.data[o] = layer.colour[0];
        cv.data[o + 1] = layer.colour[1];
        cv.data[o + 2] = layer.colour[2];
      }
    }
  }

  // A few props on the ground, drawn far-to-near.
  const count = 3 + Math.floor(rng() * 4);
  const props: Array<{ kind: number; x: number; y: number; hue: number }> = [];
  for (let i = 0; i < count; i += 1) {
    props.push({
      kind: Math.floor(rng() * 4),
      x: w * (0.05 + rng() * 0.9),
      y: horizon + (bottom - horizon) * (0.2 + rng() * 0.75),
      hue: rng() * 360,
    });
  }
  props.sort((a, b) => a.y - b.y);
  for (const p of props) {
    const depth = (p.y - horizon) / Math.max(1, bottom - horizon); // 0 far .. 1 near
    const size = minSide * (0.05 + 0.12 * depth);
    const shade = 0.35 + 0.25 * depth;
    cv.ellipse(p.x, p.y, size * 0.6, size * 0.09, mix(groundBottom, [0, 0, 0], 0.35)); // shadow
    switch (p.kind) {
      case 0: {
        // tree: trunk + two stacked triangles
        const trunk: RGB = hsl(28, 0.45, 0.22 * darkness + 0.05);
        const leaves: RGB = hsl(110 + (p.hue % 60), 0.45, shade * darkness);
        cv.rect(p.x - size * 0.07, p.y - size * 0.35, size * 0.14, size * 0.35, trunk);
        cv.triangle(
          p.x - size * 0.45,
          p.y - size * 0.3,
          p.x + size * 0.45,
          p.y - size * 0.3,
          p.x,
          p.y - size * 1.1,
          leaves,
        );
        cv.triangle(
          p.x - size * 0.35,
          p.y - size * 0.7,
          p.x + size * 0.35,
          p.y - size * 0.7,
          p.x,
          p.y - size * 1.45,
          leaves,
        );
        break;
      }
      case 1: {
        // house: wall + roof + door
        const wall: RGB = hsl(p.hue, 0.35, (0.55 + 0.15 * depth) * darkness);
        const roof: RGB = hsl(p.hue + 180, 0.5, 0.3 * darkness + 0.05);
        cv.rect(p.x - size * 0.5, p.y - size * 0.7, size, size * 0.7, wall);
        cv.triangle(
          p.x - size * 0.62,
          p.y - size * 0.68,
          p.x + size * 0.62,
          p.y - size * 0.68,
          p.x,
          p.y - size * 1.2,
          roof,
        );
        cv.rect(
          p.x - size * 0.1,
          p.y - size * 0.38,
          size * 0.2,
          size * 0.38,
          mix(roof, [0, 0, 0], 0.4),
        );
        if (time === "night" || time === "dusk")
          cv.rect(p.x + size * 0.2, p.y - size * 0.55, size * 0.18, size * 0.15, [255, 214, 120]);
        break;
      }
      case 2: {
        // boulder
        cv.ellipse(
          p.x,
          p.y - size * 0.25,
          size * 0.45,
          size * 0.3,
          hsl(p.hue, 0.08, shade * darkness + 0.05),
        );
        break;
      }
      default: {
        // a figure: body + head (a storyboard "character")
        const body: RGB = hsl(p.hue, 0.6, 0.45 * darkness + 0.08);
        cv.rect(p.x - size * 0.12, p.y - size * 0.75, size * 0.24, size * 0.55, body);
        cv.rect(
          p.x - size * 0.1,
          p.y - size * 0.22,
          size * 0.08,
          size * 0.22,
          mix(body, [0, 0, 0], 0.4),
        );
        cv.rect(
          p.x + size * 0.02,
          p.y - size * 0.22,
          size * 0.08,
          size * 0.22,
          mix(body, [0, 0, 0], 0.4),
        );
        cv.ellipse(
          p.x,
          p.y - size * 0.88,
          size * 0.13,
          size * 0.13,
          hsl(30, 0.45, 0.6 * darkness + 0.1),
        );
      }
    }
  }
}

/** Adds dense per-pixel noise (the "photo" style): high entropy, so PNGs are large. */
const NOISE = 3;
const NOISE_LEVELS = 2 * NOISE + 1;

function addNoise(cv: Canvas, seed: number): void {
  const d = cv.data;
  let s = seed | 1;
  for (let o = 0; o + 2 < d.length; o += 3) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    // ±NOISE per channel: roughly 4 bits of entropy per byte, so a 1024×1024 PNG is ~1.5 MB.
    d[o] = clamp8((d[o] as number) + ((s & 0xff) % NOISE_LEVELS) - NOISE);
    d[o + 1] = clamp8((d[o + 1] as number) + (((s >>> 8) & 0xff) % NOISE_LEVELS) - NOISE);
    d[o + 2] = clamp8((d[o + 2] as number) + (((s >>> 16) & 0xff) % NOISE_LEVELS) - NOISE);
  }
}

function clamp8(v: number): number {
  return v < 0 ? 0 : Math.min(v, 255);
}

// ---------------------------------------------------------------------------------------------
// Labels

interface LabelLayout {
  s: number;
  pad: number;
  border: number;
  titleScale: number;
  model: string;
  titleW: number;
  bannerH: number;
  bannerW: number;
  bannerTotalH: number;
  modelOnTitleLine: boolean;
  lines: string[];
  caption: string;
  panelY: number;
  panelH: number;
}

function layoutLabels(spec: RenderSpec, w: number, h: number): LabelLayout {
  // Text scale: about 40 characters across, never below 1 font pixel.
  const s = Math.max(1, Math.min(Math.floor(w / 240), Math.floor(h / 120)));
  const pad = Math.max(2, Math.round(s * 3));
  const border = Math.max(1, Math.round(Math.min(w, h) / 256));

  // Top banner: "PREVIEW" large, model id small (same line when it fits).
  const titleScale = s * 2;
  const model = toFontText(spec.model);
  const titleW = textWidth("PREVIEW") * titleScale;
  const modelW = textWidth(model) * s;
  const bannerH = GLYPH_HEIGHT * titleScale + pad * 2;
  const modelOnTitleLine = titleW + pad * 4 + modelW <= w;
  const bannerW = modelOnTitleLine ? titleW + modelW + pad * 5 : Math.max(titleW, modelW) + pad * 2;
  const bannerTotalH = modelOnTitleLine ? bannerH : bannerH + LINE_ADVANCE * s;

  // Bottom panel: the prompt, word-wrapped, then a caption line.
  const maxChars = Math.max(4, Math.floor((w - 2 * border - 2 * pad + s) / (GLYPH_ADVANCE * s)));
  const maxLines = Math.max(1, Math.min(8, Math.floor((h * 0.4) / (LINE_ADVANCE * s)) - 1));
  // One line more than is drawn, to know whether to end with "...".
  let lines = wrapText(spec.prompt, maxChars, maxLines + 1);
  if (lines.length === 0) lines = ["(empty prompt)"];
  if (lines.length > maxLines) {
    lines = lines.slice(0, maxLines);
    const last = lines[maxLines - 1] as string;
    lines[maxLines - 1] = `${last.slice(0, Math.max(0, maxChars - 3))}...`;
  }
  const caption = toFontText(
    `seed ${spec.seed}  image ${spec.index + 1}/${spec.count ?? 1}  ${w}x${h}`,
  ).slice(0, maxChars);
  const panelH = (lines.length + 1) * LINE_ADVANCE * s + pad * 2 - 2 * s;
  const panelY = h - border - panelH;
  return {
    s,
    pad,
    border,
    titleScale,
    model,
    titleW,
    bannerH,
    bannerW,
    bannerTotalH,
    modelOnTitleLine,
    lines,
    caption,
    panelY,
    panelH,
  };
}

function drawLabels(cv: Canvas, L: LabelLayout): void {
  const { width: w, height: h } = cv;
  const { s, pad, border } = L;
  const white: RGB = [255, 255, 255];
  const frame: RGB = [20, 20, 20];

  // Storyboard frame.
  cv.rect(0, 0, w, border, frame);
  cv.rect(0, h - border, w, border, frame);
  cv.rect(0, 0, border, h, frame);
  cv.rect(w - border, 0, border, h, frame);

  cv.shade(
    border,
    border,
    Math.min(w - 2 * border, L.bannerW),
    L.bannerTotalH,
    0.35,
    [190, 30, 40],
  );
  cv.text("PREVIEW", border + pad, border + pad, L.titleScale, white);
  if (L.modelOnTitleLine) {
    cv.text(
      L.model,
      border + pad * 4 + L.titleW,
      border + pad + (GLYPH_HEIGHT * L.titleScale - GLYPH_HEIGHT * s),
      s,
      [255, 235, 200],
    );
  } else {
    cv.text(L.model, border + pad, border + L.bannerH - pad / 2, s, [255, 235, 200]);
  }

  cv.shade(border, L.panelY, w - 2 * border, L.panelH, 0.38);
  let y = L.panelY + pad;
  for (const line of L.lines) {
    cv.text(line, border + pad, y, s, white);
    y += LINE_ADVANCE * s;
  }
  cv.text(L.caption, border + pad, y, s, [200, 200, 200], null);
}

// ---------------------------------------------------------------------------------------------
// Public API

/** Renders the raw RGB pixels (width × height × 3 bytes) for one preview image. */
export function renderPreviewPixels(spec: RenderSpec): Buffer {
  const width = Math.max(1, Math.floor(spec.width));
  const height = Math.max(1, Math.floor(spec.height));
  const sceneSeed = hash32(`${spec.prompt}\u0000${spec.seed}\u0000${spec.index}`);
  const cv = new Canvas(width, height);
  const layout = layoutLabels(spec, width, height);
  drawScene(cv, mulberry32(sceneSeed), {
    top: layout.border + layout.bannerTotalH,
    bottom: layout.panelY,
  });
  if (spec.style === "photo") addNoise(cv, sceneSeed ^ 0x9e3779b9);
  drawLabels(cv, layout);
  return cv.data;
}

/** Encodes raw RGB pixels as PNG or JPEG with sharp. */
export async function encodeRgb(
  pixels: Buffer,
  width: number,
  height: number,
  format: ImageFormat,
): Promise<EncodedImage> {
  const img = sharp(pixels, { raw: { width, height, channels: 3 } });
  const data =
    format === "png"
      ? await img.png({ compressionLevel: 3, adaptiveFiltering: false }).toBuffer()
      : await img.jpeg({ quality: 90 }).toBuffer();
  return { data, contentType: format === "png" ? "image/png" : "image/jpeg", width, height };
}

/** Renders and encodes one preview image. Same spec and format → identical bytes. */
export async function renderPreviewImage(
  spec: RenderSpec & { format?: ImageFormat },
): Promise<EncodedImage> {
  const pixels = renderPreviewPixels(spec);
  const width = Math.max(1, Math.floor(spec.width));
  const height = Math.max(1, Math.floor(spec.height));
  return encodeRgb(pixels, width, height, spec.format ?? "jpeg");
}
