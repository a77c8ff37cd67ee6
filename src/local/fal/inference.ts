// The simulated model run behind every request: validate the input like the fal app would, wait
// the simulated inference time (logging progress), draw preview images, store them, and build
// fal's text-to-image output.
import { randomInt } from "node:crypto";
import { sleep } from "../../utils/abort.js";
import type { FileStore } from "./files.js";
import { getModel, validateInput, type LocalFalFieldError } from "./models.js";
import type { ExecutionContext, Executor, Job, JobResult } from "./queue.js";
import { renderPreviewImage, type ImageStyle } from "./renderer.js";

export interface InferenceOptions {
  files: FileStore;
  /** Base URL of the server, for absolute file URLs (a job's own baseUrl wins). */
  baseUrl: () => string;
  inferenceMsFor: (model: string) => number;
  /** Waits out the simulated inference; default an abortable timer. */
  inferenceWait?: ((ms: number, signal: AbortSignal) => Promise<void>) | undefined;
  imageStyle: ImageStyle;
  maxImagePixels: number;
  /** Most pixels one request may ask for in all (num_images × width × height). */
  maxRequestPixels: number;
  onImageRendered?: (ms: number) => void;
}

export interface OutputImage {
  url: string;
  width: number;
  height: number;
  content_type: string;
  file_name: string;
  file_size: number;
}

export interface TextToImageOutput {
  images: OutputImage[];
  timings: { inference: number };
  seed: number;
  has_nsfw_concepts: boolean[];
  prompt: string;
}

/** A fresh random seed in [0, 2^32), like fal's random seeds when none is given. */
export function randomSeed(): number {
  return randomInt(0, 2 ** 32 - 1);
}

/** Where fal documents the image_too_large error its 422 names. */
const IMAGE_TOO_LARGE_DOCS_URL = "https://docs.fal.ai/errors/#image_too_large";

/** A model error (422) for a request the local renderer will not draw; nothing is billed. */
function tooLarge(error: LocalFalFieldError): JobResult {
  return {
    status: 422,
    body: { detail: [error] },
    headers: { "x-fal-billable-units": "0" },
    error: "Invalid status code: 422",
  };
}

export function createExecutor(opts: InferenceOptions): Executor {
  return async (job: Job, ctx: ExecutionContext): Promise<JobResult> => {
    const model = getModel(job.model);
    if (!model)
      return {
        status: 404,
        body: { detail: `Application '${job.model}' not found` },
        error: "Not Found",
      };
    const validation = validateInput(model, job.body);
    if (!validation.ok) {
      return {
        status: 422,
        body: { detail: validation.errors },
        headers: { "x-fal-billable-units": "0" },
        error: "Invalid status code: 422",
      };
    }
    const input = validation.input;
    if (input.width * input.height > opts.maxImagePixels) {
      return tooLarge({
        loc: ["body", "image_size"],
        msg: `Image size ${input.width}x${input.height} is larger than the local preview renderer allows (${opts.maxImagePixels} pixels)`,
        type: "image_too_large",
        url: IMAGE_TOO_LARGE_DOCS_URL,
        ctx: { max_pixels: opts.maxImagePixels },
        input:
          job.body !== null && typeof job.body === "object"
            ? (job.body as Record<string, unknown>).image_size
            : undefined,
      });
    }

    const requestPixels = input.numImages * input.width * input.height;
    if (requestPixels > opts.maxRequestPixels) {
      return tooLarge({
        loc: ["body", "num_images"],
        msg: `${input.numImages} images of ${input.width}x${input.height} are ${requestPixels} pixels, more than the local preview renderer draws for one request (${opts.maxRequestPixels})`,
        type: "image_too_large",
        url: IMAGE_TOO_LARGE_DOCS_URL,
        ctx: { max_request_pixels: opts.maxRequestPixels },
        input: input.numImages,
      });
    }

    const started = performance.now();
    const seed = input.seed ?? randomSeed();
    const n = input.numImages;
    const simulatedMs = Math.max(0, opts.inferenceMsFor(job.model));
    ctx.log("Loading preview renderer");
    const images: OutputImage[] = [];
    for (let i = 0; i < n; i += 1) {
      ctx.log(`Rendering image ${i + 1}/${n}`);
      if (simulatedMs > 0) await (opts.inferenceWait ?? sleep)(simulatedMs / n, ctx.signal);
      else if (ctx.signal.aborted) throw ctx.signal.reason;
      const t0 = performance.now();
      const encoded = await renderPreviewImage({
        model: job.model,
        prompt: input.prompt,
        seed,
        width: input.width,
        height: input.height,
        index: i,
        count: n,
        style: opts.imageStyle,
        format: input.format,
      });
      opts.onImageRendered?.(performance.now() - t0);
      if (ctx.signal.aborted) throw ctx.signal.reason;
      let url: string;
      let fileName: string;
      if (input.syncMode) {
        url = `data:${encoded.contentType};base64,${encoded.data.toString("base64")}`;
        fileName = `preview-${seed}-${i}.${input.format === "png" ? "png" : "jpg"}`;
      } else {
        const key = opts.files.putContent(encoded.data, encoded.contentType);
        url = `${job.baseUrl ?? opts.baseUrl()}/files/${key}`;
        fileName = key;
      }
      images.push({
        url,
        width: encoded.width,
        height: encoded.height,
        content_type: encoded.contentType,
        file_name: fileName,
        file_size: encoded.data.length,
      });
    }
    const seconds = Math.round((performance.now() - started) * 1000) / 1e6;
    job.inferenceSeconds = seconds;
    ctx.log(`Generated ${n} image${n === 1 ? "" : "s"} in ${seconds.toFixed(3)} s`);
    const output: TextToImageOutput = {
      images,
      timings: { inference: seconds },
      seed,
      has_nsfw_concepts: images.map(() => false),
      prompt: input.prompt,
    };
    return { status: 200, body: output };
  };
}
