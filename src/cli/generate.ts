// `pipecat-ts generate`: prompts in (arguments, --file or stdin), image files out.
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import {
  BACKEND_CHOICES,
  BackendConfigError,
  resolveBackend,
  type BackendChoice,
} from "../app/backend.js";
import { runPrompts, type GeneratedImage, type PromptFailure } from "../app/run-prompts.js";
import { FalImageGenSettings } from "../services/fal/settings.js";
import { validateSettingsForModel } from "../services/fal/models.js";
import { SettingsValidationError, describeError } from "../utils/errors.js";
import { redactText } from "../utils/secrets.js";
import {
  CliError,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  UsageError,
  buildSettings,
  parseBaseUrlOption,
  parseChoice,
  parseCommandArgs,
  parseFormatOption,
  parseIntegerOption,
  parseModelOption,
  parseNumberOption,
  parseSizeOption,
  readPromptFile,
  readStream,
  splitPromptLines,
  usageErrorFromBackend,
  usageErrorFromSettings,
} from "./args.js";
import type { CommandIO } from "./io.js";
import { ProgressDisplay, displayStage, formatBytes } from "./progress.js";

export const GENERATE_HELP = `Usage: pipecat-ts generate "<prompt>" ["<prompt>" ...] [options]
       pipecat-ts generate --file prompts.txt [options]
       cat prompts.txt | pipecat-ts generate [options]

Generates one image per prompt (one prompt per line in a file or on stdin) with
FalImageGenService and writes the files to --out. Uses fal.ai when FAL_KEY is set,
otherwise the embedded local fal server (a preview renderer, not a model).

Options:
  --model ID          fal model (default fal-ai/fast-sdxl; also fal-ai/fast-lightning-sdxl,
                      fal-ai/flux/dev, fal-ai/flux/schnell)
  --size SIZE         square_hd (default), square, portrait_4_3, portrait_16_9,
                      landscape_4_3, landscape_16_9, or WIDTHxHEIGHT (e.g. 1024x768)
  --seed N            seed for reproducible images
  --steps N           inference steps (default 8)
  --num-images N      images per prompt (default 1)
  --format F          png (default) or jpeg
  --out DIR           where to write the images (default ./out)
  --file F            read prompts from F, one per line ("-" = stdin)
  --concurrency N     prompts in flight at once (default 4); output stays in prompt order
  --mode M            queue (default: shows queue positions) or sync (one POST per prompt)
  --backend B         auto (default), fal (require FAL_KEY) or local (embedded server)
  --base-url URL      a fal-compatible server, e.g. one started by "pipecat-ts serve"
                      (default $FAL_BASE_URL)
  --timeout SECONDS   give up on a prompt after this long (default 120)
  --json              print one JSON object per image or error on stdout, then a summary
  --quiet             no progress display
  -h, --help          show this help

Exit codes: 0 all images written, 1 a prompt failed, 2 usage error, 130 interrupted.`;

interface GenerateValues {
  model?: string;
  size?: string;
  seed?: string;
  steps?: string;
  "num-images"?: string;
  format?: string;
  out?: string;
  file?: string;
  concurrency?: string;
  mode?: string;
  backend?: string;
  "base-url"?: string;
  timeout?: string;
  json?: boolean;
  quiet?: boolean;
  help?: boolean;
}

const OPTIONS = {
  model: { type: "string" },
  size: { type: "string" },
  seed: { type: "string" },
  steps: { type: "string" },
  "num-images": { type: "string" },
  format: { type: "string" },
  out: { type: "string", short: "o" },
  file: { type: "string", short: "f" },
  concurrency: { type: "string" },
  mode: { type: "string" },
  backend: { type: "string" },
  "base-url": { type: "string" },
  timeout: { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
} as const;

export interface GenerateConfig {
  prompts: string[];
  settings: FalImageGenSettings;
  outDir: string;
  concurrency: number | undefined;
  mode: "sync" | "queue";
  backend: BackendChoice;
  baseUrl: string | undefined;
  timeoutMs: number | undefined;
  json: boolean;
  quiet: boolean;
}

/** Parses and validates everything before any work starts. Returns undefined for --help. */
export async function parseGenerateArgs(
  argv: string[],
  io: CommandIO,
): Promise<GenerateConfig | undefined> {
  const { values, positionals } = parseCommandArgs<GenerateValues>("generate", argv, OPTIONS);
  if (values.help) {
    io.stdout.write(`${GENERATE_HELP}\n`);
    return undefined;
  }
  const settings = buildSettings({
    model: parseModelOption("--model", values.model),
    imageSize: parseSizeOption("--size", values.size),
    seed: parseIntegerOption("--seed", values.seed, 0, Number.MAX_SAFE_INTEGER),
    numInferenceSteps: parseIntegerOption("--steps", values.steps, 1, 50),
    numImages: parseIntegerOption("--num-images", values["num-images"], 1, 8),
    format: parseFormatOption("--format", values.format),
  });
  // Model-specific limits (lightning's step set, flux's 4 images...), checked before any request.
  try {
    const store = FalImageGenSettings.defaults();
    store.applyUpdate(settings);
    validateSettingsForModel(store);
  } catch (error) {
    if (error instanceof SettingsValidationError) throw usageErrorFromSettings(error);
    throw error;
  }
  const concurrency = parseIntegerOption("--concurrency", values.concurrency, 1, 64);
  const mode = parseModeOption(values.mode) ?? "queue";
  const backend = parseChoice("--backend", values.backend, BACKEND_CHOICES) ?? "auto";
  const timeoutSeconds = parseNumberOption("--timeout", values.timeout, 1, 3600);
  const baseUrl = parseBaseUrlOption("--base-url", values["base-url"]);

  const prompts = [...positionals.map((p) => p.trim()).filter((p) => p.length > 0)];
  if (values.file !== undefined) {
    if (values.file === "-") prompts.push(...splitPromptLines(await readStream(io.stdin)));
    else prompts.push(...(await readPromptFile(values.file)));
  } else if (prompts.length === 0 && !io.stdinIsTTY) {
    prompts.push(...splitPromptLines(await readStream(io.stdin)));
  }
  if (prompts.length === 0) {
    throw new UsageError(
      'No prompt given. Pass one as an argument (pipecat-ts generate "a red fox in the snow"), with --file, or on stdin.',
    );
  }

  return {
    prompts,
    settings,
    outDir: values.out ?? "out",
    concurrency,
    mode,
    backend,
    baseUrl,
    timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
    json: values.json ?? false,
    quiet: values.quiet ?? false,
  };
}

function parseModeOption(text: string | undefined): "sync" | "queue" | undefined {
  if (text === undefined) return undefined;
  const value = text.trim().toLowerCase();
  if (value === "sync" || value === "queue") return value;
  if (value === "fal" || value === "local" || value === "auto") {
    throw new UsageError(
      `Invalid --mode "${text}": use sync or queue. To choose where requests go, use --backend ${value}.`,
    );
  }
  throw new UsageError(`Invalid --mode "${text}": use sync or queue.`);
}

/** `07-a-red-fox-in-the-snow.png` (`-2`, `-3`... for further images of one prompt). */
export function imageFileName(
  index: number,
  total: number,
  prompt: string,
  imageIndex: number,
  mimeType: string,
): string {
  const width = Math.max(2, String(total).length);
  const slug =
    prompt
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 48)
      .replace(/-+$/, "") || "image";
  const ext =
    mimeType === "image/jpeg"
      ? "jpg"
      : mimeType === "image/png"
        ? "png"
        : mimeType === "image/webp"
          ? "webp"
          : "bin";
  return `${String(index + 1).padStart(width, "0")}-${slug}${imageIndex > 0 ? `-${imageIndex + 1}` : ""}.${ext}`;
}

export async function runGenerate(argv: string[], io: CommandIO): Promise<number> {
  const config = await parseGenerateArgs(argv, io);
  if (!config) return EXIT_OK;

  const outDir = resolve(io.cwd, config.outDir);
  try {
    await mkdir(outDir, { recursive: true });
  } catch (error) {
    throw new UsageError(`Cannot create --out "${config.outDir}": ${(error as Error).message}.`);
  }
  const shownOut = relative(io.cwd, outDir) || ".";

  const backend = await resolveBackend({
    choice: config.backend,
    baseUrl: config.baseUrl,
    env: io.env,
    local: io.localServerOptions,
  }).catch((error: unknown) => {
    if (error instanceof BackendConfigError) throw usageErrorFromBackend(error);
    if (error instanceof SettingsValidationError) throw usageErrorFromSettings(error);
    throw error;
  });
  const secrets = [backend.key, io.env.FAL_KEY];
  const scrub = (text: string): string => redactText(text, secrets);
  if (backend.notice) io.stderr.write(`${backend.notice}\n`);

  const total = config.prompts.length;
  const display = new ProgressDisplay({
    stream: io.stderr,
    total,
    noun: "prompt",
    enabled: !config.quiet && !(config.json && !io.stderr.isTTY),
  });
  const json = (value: unknown): void => {
    io.stdout.write(`${scrub(JSON.stringify(value))}\n`);
  };

  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) return;
    controller.abort();
  };
  io.onInterrupt(onSigint);

  const written: Array<GeneratedImage & { file: string }> = [];
  const failures: PromptFailure[] = [];
  const doneImages = new Map<number, number>();
  const perPrompt = Number((config.settings as unknown as { numImages?: unknown }).numImages) || 1;
  let result: Awaited<ReturnType<typeof runPrompts>>;
  try {
    result = await runPrompts({
      prompts: config.prompts,
      settings: config.settings,
      key: backend.key,
      baseUrl: backend.baseUrl,
      mode: config.mode,
      maxConcurrency: config.concurrency,
      timeoutMs: config.timeoutMs,
      signal: controller.signal,
      onProgress: (index, stage, position) => {
        const shown = displayStage(stage);
        // "done" is shown once the file is written.
        if (shown && shown !== "done" && shown !== "error") display.update(index, shown, position);
      },
      onImage: async (image) => {
        const name = imageFileName(
          image.index,
          total,
          image.prompt,
          image.imageIndex,
          image.mimeType,
        );
        const file = join(outDir, name);
        await writeFile(file, image.bytes);
        const shownFile = join(shownOut, name);
        written.push({ ...image, file: shownFile });
        const count = (doneImages.get(image.index) ?? 0) + 1;
        doneImages.set(image.index, count);
        const facts = `${image.width}x${image.height} ${image.mimeType.replace("image/", "")}, ${formatBytes(image.bytes.byteLength)} → ${shownFile}`;
        if (count >= perPrompt) display.finished(image.index, facts);
        if (config.json) {
          json({
            type: "image",
            index: image.index,
            imageIndex: image.imageIndex,
            prompt: image.prompt,
            file: shownFile,
            width: image.width,
            height: image.height,
            bytes: image.bytes.byteLength,
            mimeType: image.mimeType,
            seed: image.seed ?? null,
            requestId: image.requestId ?? null,
          });
        }
      },
      onFailure: (failure) => {
        failures.push(failure);
        if (failure.index >= 0) display.failed(failure.index, failure.message);
        if (config.json)
          json({
            type: "error",
            index: failure.index,
            prompt: failure.prompt ?? null,
            message: failure.message,
            category: failure.category ?? null,
            status: failure.status ?? null,
          });
      },
    });
  } catch (error) {
    display.finish();
    if (error instanceof SettingsValidationError) throw usageErrorFromSettings(error);
    throw new CliError(scrub(describeError(error)));
  } finally {
    io.offInterrupt(onSigint);
    await backend.close();
  }

  if (result.cancelled) display.cancelRemaining();
  display.finish();
  const imagesPerPrompt = new Set(written.map((w) => w.index));
  const missing = config.prompts.flatMap((_, i) =>
    !imagesPerPrompt.has(i) && !failures.some((f) => f.index === i) ? [i] : [],
  );
  const seconds = (result.elapsedMs / 1000).toFixed(1);

  if (config.json) {
    json({
      type: "summary",
      prompts: total,
      images: written.length,
      errors: failures.length,
      cancelled: result.cancelled ? missing.length : 0,
      outDir: shownOut,
      model: result.model,
      backend: backend.kind,
      elapsedMs: Math.round(result.elapsedMs),
    });
  } else {
    for (const image of written) io.stdout.write(`${image.file}\n`);
  }

  if (result.cancelled) {
    io.stderr.write(
      `Cancelled: ${written.length} image(s) written to ${shownOut}, ${missing.length} prompt(s) not finished.\n`,
    );
    return EXIT_INTERRUPTED;
  }
  const unexplained = missing.filter((i) => !failures.some((f) => f.index === i));
  if (failures.length > 0 || unexplained.length > 0) {
    io.stderr.write(`${failureSummary(failures, total, unexplained.length)}\n`);
    return EXIT_FAILURE;
  }
  if (!config.json)
    io.stderr.write(`Wrote ${written.length} image(s) to ${shownOut} in ${seconds} s.\n`);
  return EXIT_OK;
}

/** One clear message: the shared reason when every failure says the same thing. */
export function failureSummary(failures: PromptFailure[], total: number, unexplained = 0): string {
  const messages = [...new Set(failures.map((f) => f.message))];
  const failed = failures.filter((f) => f.index >= 0).length + unexplained;
  if (messages.length === 1) {
    const scope =
      failed >= total
        ? total === 1
          ? ""
          : ` (all ${total} prompts)`
        : ` (${failed} of ${total} prompts)`;
    return `error: ${(messages[0] ?? "").replace(/\.$/, "")}${scope}`;
  }
  if (messages.length === 0) return `error: ${failed} of ${total} prompt(s) produced no image.`;
  const lines = failures.map((f) =>
    f.index >= 0 ? `error: prompt ${f.index + 1}: ${f.message}` : `error: ${f.message}`,
  );
  return [`error: ${failed} of ${total} prompt(s) failed:`, ...lines.map((l) => `  ${l}`)].join(
    "\n",
  );
}

export { EXIT_FAILURE };
