// Decode-path comparison: ways of turning the downloaded 1024×1024 "photo" PNG (~1.5 MB) into raw
// pixels, each measured against plain `sharp(bytes).raw().toBuffer()` in the same run, round-robin
// (one sample of every candidate per round) so that drift hits all of them alike.
//
//   node bench/decode-paths.mjs [--rounds N]      (needs `npm run build` first; prints one JSON object)
//
// Part "decode": the bytes are already in memory. Part "downloadAndDecode": GET of the image from
// the local fal server (the file route; nothing is rendered per GET) plus decoding.
import zlib from "node:zlib";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import sharp from "sharp";
import { startLocalFalServer } from "../dist/local/fal/index.js";
import { decodeToPixels, readImageHeader } from "../dist/services/images/decode.js";
import { downloadImage } from "../dist/services/images/download.js";
import { machine, progress, quantile, round, seededRandom, shuffled } from "./lib.mjs";

const argRounds = process.argv.indexOf("--rounds");
const ROUNDS = argRounds > 0 ? Number(process.argv[argRounds + 1]) : 60;
const WARMUP = 5;

/** Concatenated IDAT payload of a PNG (the zlib stream), for the inflate-only reference. */
function idatOf(png) {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const parts = [];
  for (let offset = 8; offset + 8 <= png.length; ) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    if (type === "IDAT") parts.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  return Buffer.concat(parts);
}

/** PNG row filter types used (0 none, 1 sub, 2 up, 3 average, 4 paeth). */
function filterTypes(png, width, channels) {
  const raw = zlib.inflateSync(idatOf(png));
  const stride = width * channels + 1;
  const seen = new Set();
  for (let offset = 0; offset < raw.length; offset += stride) seen.add(raw[offset]);
  return [...seen].sort();
}

async function measure(candidates, rounds, check) {
  const samples = Object.fromEntries(Object.keys(candidates).map((name) => [name, []]));
  const names = Object.keys(candidates);
  const rand = seededRandom();
  for (let r = -WARMUP; r < rounds; r += 1) {
    // A fresh order every round: no candidate always runs first, or always after the same one.
    for (const name of r < 0 ? names : shuffled(names, rand)) {
      const t0 = performance.now();
      const out = await candidates[name]();
      const ms = performance.now() - t0;
      if (r === -WARMUP && check) check(name, out);
      if (r >= 0) samples[name].push(ms);
    }
  }
  return samples;
}

function report(samples, baseline) {
  const base = quantile(samples[baseline], 0.5);
  return Object.fromEntries(
    Object.entries(samples).map(([name, xs]) => {
      const median = quantile(xs, 0.5);
      return [
        name,
        {
          medianMs: round(median),
          p95Ms: round(quantile(xs, 0.95)),
          ratioToBaseline: round(median / base, 3),
          diffMs: round(median - base),
        },
      ];
    }),
  );
}

export async function runDecodePaths({ rounds = ROUNDS } = {}) {
  const server = await startLocalFalServer({ inferenceMs: 0, imageStyle: "photo" });
  try {
    const res = await fetch(`${server.url}/run/fal-ai/fast-sdxl`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        prompt: "a lighthouse at dusk, photo",
        seed: 42,
        image_size: "square_hd",
        format: "png",
      }),
    });
    const url = (await res.json()).images[0].url;
    const file = Buffer.from(await (await fetch(url)).arrayBuffer());
    const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
    const meta = await sharp(bytes).metadata();
    const idat = idatOf(bytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const expectedLength = meta.width * meta.height * meta.channels;
    const checkPixels = (name, out) => {
      const length = out?.data?.length ?? out?.pixels?.length ?? out?.length;
      const producesPixels = !name.includes("reference") && !name.startsWith("header");
      if (producesPixels && length !== expectedLength) {
        throw new Error(`${name}: ${length} bytes of pixels, expected ${expectedLength}`);
      }
    };

    const raw = (input, options) =>
      sharp(input, options).raw().toBuffer({ resolveWithObject: true });
    progress(`decode paths: ${rounds} rounds, in-memory decode`);
    const decodeSamples = await measure(
      {
        "sharp(bytes).raw().toBuffer() [baseline]": () => raw(bytes),
        "baseline again (same code: shows the noise)": () => raw(bytes),
        "sharp(Buffer) (no Uint8Array wrap)": () => raw(file),
        "sequentialRead: false": () => raw(bytes, { sequentialRead: false }),
        "failOn: 'none'": () => raw(bytes, { failOn: "none" }),
        "unlimited: true": () => raw(bytes, { unlimited: true }),
        "limitInputPixels: exact": () => raw(bytes, { limitInputPixels: meta.width * meta.height }),
        "raw({ depth: 'uchar' })": () =>
          sharp(bytes).raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true }),
        "toBuffer() without resolveWithObject": () => sharp(bytes).raw().toBuffer(),
        "decodeToPixels() (src, current)": () => decodeToPixels(bytes),
        "header only: sharp().metadata() (deferred mode)": () => sharp(bytes).metadata(),
        "header only: readImageHeader() (src)": () => readImageHeader(bytes),
        "header only: JS IHDR read, no validation (reference)": async () => ({
          width: view.getUint32(16),
          height: view.getUint32(20),
          colorType: bytes[25],
        }),
        "inflate only, zlib.inflateSync (reference, not a decoder)": async () =>
          zlib.inflateSync(idat),
        "inflate only, zlib.inflate async (reference)": () =>
          new Promise((resolve, reject) =>
            zlib.inflate(idat, (e, r) => (e ? reject(e) : resolve(r))),
          ),
      },
      rounds,
      checkPixels,
    );

    // Global sharp settings cannot be mixed within a round: measure them as blocks against a
    // baseline block before and after.
    progress("decode paths: global sharp settings (blocks)");
    const defaultConcurrency = sharp.concurrency();
    const blocks = {};
    const block = async (name, setup, teardown) => {
      setup();
      const s = await measure({ [name]: () => raw(bytes) }, Math.ceil(rounds / 2));
      teardown();
      Object.assign(blocks, s);
    };
    await block(
      "baseline block (before)",
      () => {},
      () => {},
    );
    await block(
      "sharp.cache(false)",
      () => sharp.cache(false),
      () => sharp.cache(true),
    );
    await block(
      `sharp.concurrency(${Math.max(2, machine().cores)})`,
      () => sharp.concurrency(Math.max(2, machine().cores)),
      () => sharp.concurrency(defaultConcurrency),
    );
    await block(
      "baseline block (after)",
      () => {},
      () => {},
    );

    progress(`decode paths: ${rounds} rounds, download + decode`);
    const downloadSamples = await measure(
      {
        "fetch → arrayBuffer → sharp [baseline, = floor]": async () =>
          raw(new Uint8Array(await (await fetch(url)).arrayBuffer())),
        "baseline again (same code: shows the noise)": async () =>
          raw(new Uint8Array(await (await fetch(url)).arrayBuffer())),
        "fetch → response.body streamed into sharp()": async () => {
          const response = await fetch(url);
          const decoder = sharp().raw();
          const result = decoder.toBuffer({ resolveWithObject: true });
          await pipeline(Readable.fromWeb(response.body), decoder);
          return result;
        },
        "downloadImage() + decodeToPixels() (src, current)": async () =>
          decodeToPixels((await downloadImage(url)).bytes),
        "GET only, arrayBuffer (reference)": async () => (await fetch(url)).arrayBuffer(),
        "downloadImage() only (reference)": async () => (await downloadImage(url)).bytes,
      },
      rounds,
      checkPixels,
    );

    return {
      image: {
        bytes: bytes.length,
        width: meta.width,
        height: meta.height,
        channels: meta.channels,
        pngFilterTypes: filterTypes(bytes, meta.width, meta.channels),
      },
      sharp: {
        version: sharp.versions.sharp,
        vips: sharp.versions.vips,
        spng: sharp.versions.spng ?? null,
        zlibNg: sharp.versions["zlib-ng"] ?? null,
        defaultConcurrency,
        simd: sharp.simd(),
      },
      rounds,
      decode: report(decodeSamples, "sharp(bytes).raw().toBuffer() [baseline]"),
      globalSettings: report(blocks, "baseline block (before)"),
      downloadAndDecode: report(downloadSamples, "fetch → arrayBuffer → sharp [baseline, = floor]"),
    };
  } finally {
    await server.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runDecodePaths();
  process.stdout.write(
    `${JSON.stringify({ timestamp: new Date().toISOString(), machine: machine(), ...result }, null, 2)}\n`,
  );
}
