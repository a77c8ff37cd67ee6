// `pipecat-ts generate`: prompts in (arguments, --file or stdin, streamed), image files out.
//
// What a user can count on, whatever happens (see docs/hostile-inputs.md):
// - the output folder is checked before the first request (exit 2 if it cannot be written);
// - every file is written whole under a temporary name, then linked to a name nobody else holds;
// - what stdout reports (the file list, or --json lines) is what is on disk, also after Ctrl-C
//   (130), SIGTERM (143), a second Ctrl-C (stops at once) or a reader that quits early (141);
// - prompts stream in with backpressure, each at most MAX_PROMPT_CHARS; a bad line fails alone;
// - no control character from a prompt or a server reaches the terminal raw, no key any output.
import { relative, resolve } from "node:path";
import {
  BACKEND_CHOICES,
  BackendConfigError,
  resolveBackend,
  type BackendChoice,
} from "../app/backend.js";
import type { PromptEntry } from "../app/prompts.js";
import { runPrompts, type PromptFailure } from "../app/run-prompts.js";
import { FalImageGenSettings } from "../services/fal/settings.js";
import { validateSettingsForModel } from "../services/fal/models.js";
import { isGiven } from "../services/settings.js";
import { SettingsValidationError, describeError } from "../utils/errors.js";
import { MIN_TOKEN_SECRET_LENGTH, redactText, secretsFromEnv } from "../utils/secrets.js";
import {
  CliError,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_PIPE,
  EXIT_TERMINATED,
  UsageError,
  buildSettings,
  openPromptFile,
  parseBaseUrlOption,
  parseChoice,
  parseCommandArgs,
  parseFormatOption,
  parseIntegerOption,
  parseModelOption,
  parseNumberOption,
  parseSizeOption,
  usageErrorFromBackend,
  usageErrorFromSettings,
} from "./args.js";
import { ImageFiles, OutputDirError } from "./image-files.js";
import type { CommandIO } from "./io.js";
import { ProgressDisplay, displayStage, formatBytes } from "./progress.js";
import { promptEntries, readAhead } from "./prompt-input.js";
import { readPromptLines } from "./prompt-lines.js";
import { LineWriter, safeJson, terminalSafe } from "./terminal.js";

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
  --dry-run           read and check the prompts, print the file each would get; send nothing
  --quiet             no progress display
  -h, --help          show this help

Prompts stream in: a file of any length runs in bounded memory. A prompt is at most 10000
characters, UTF-8, without control characters; a line that is not fails alone. Files are
never overwritten: a name that exists gets _2, _3...

Exit codes: 0 all images written, 1 a prompt failed, 2 usage error, 130 interrupted (Ctrl-C;
press it twice to stop at once), 141 stdout closed early (e.g. | head), 143 terminated.`;

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
  "dry-run"?: boolean;
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
  "dry-run": { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
} as const;

export interface GenerateConfig {
  /** Every prompt (arguments, then --file or stdin), read as the run makes room. */
  prompts: AsyncIterable<PromptEntry>;
  /** The number of prompts, when the input ended before the run started. */
  total: number | undefined;
  settings: FalImageGenSettings;
  outDir: string;
  concurrency: number | undefined;
  mode: "sync" | "queue";
  backend: BackendChoice;
  baseUrl: string | undefined;
  timeoutMs: number | undefined;
  json: boolean;
  dryRun: boolean;
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

  const args = positionals.map((p) => p.trim()).filter((p) => p.length > 0);
  let stream: AsyncIterable<Uint8Array | string> | undefined;
  if (values.file !== undefined) {
    stream = values.file === "-" ? io.stdin : await openPromptFile(values.file);
  } else if (args.length === 0 && !io.stdinIsTTY) {
    stream = io.stdin;
  }
  const { entries, total } = await readAhead(
    promptEntries(args, stream === undefined ? undefined : readPromptLines(stream)),
  );
  if (total === 0) {
    throw new UsageError(
      'No prompt given. Pass one as an argument (pipecat-ts generate "a red fox in the snow"), with --file, or on stdin.',
    );
  }

  return {
    prompts: entries,
    total,
    settings,
    outDir: values.out ?? "out",
    concurrency,
    mode,
    backend,
    baseUrl,
    timeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
    json: values.json ?? false,
    dryRun: values["dry-run"] ?? false,
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

/** A file-name-safe slug: lower case ASCII letters and digits joined by "-". */
function slugify(text: string): string {
  return text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/**
 * `07-a-red-fox-in-the-snow.png` (`-2`, `-3`... for further images of one prompt): the prompt's
 * number, padded for `total` prompts, and a slug of the prompt. Pass the prompt already scrubbed
 * of keys; `secrets` are also looked for in slug form, so a key that survived in another spelling
 * still never lands in a file name.
 */
export function imageFileName(
  index: number,
  total: number,
  prompt: string,
  imageIndex: number,
  mimeType: string,
  secrets: readonly (string | undefined)[] = [],
): string {
  const width = Math.max(2, String(total).length);
  let slug = slugify(prompt);
  for (const secret of secrets) {
    const secretSlug = secret === undefined ? "" : slugify(secret);
    // As redactText: a shorter key is not told apart from ordinary words of the prompt.
    if (secretSlug.length >= MIN_TOKEN_SECRET_LENGTH)
      slug = slug.split(secretSlug).join("redacted");
  }
  slug = slug.slice(0, 48).replace(/-+$/, "") || "image";
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

/** File names are padded to this many digits when the number of prompts is not known. */
const UNKNOWN_TOTAL_DIGITS = 6;
/** Per-prompt lines kept for the final failure summary (the rest are counted). */
const FAILURE_LINES_KEPT = 20;
/** Distinct failure messages tracked for the summary. */
const FAILURE_MESSAGES_KEPT = 100;

/** The failures of a run, in bounded memory: counts, distinct messages, the first few lines. */
export class FailureTally {
  /** Failures that belong to a prompt. */
  prompts = 0;
  readonly messages = new Map<string, number>();
  readonly kept: PromptFailure[] = [];
  /** Messages beyond FAILURE_MESSAGES_KEPT distinct ones. */
  #moreMessages = false;
  /** Every failure added; `messages` stops counting new messages past FAILURE_MESSAGES_KEPT. */
  #count = 0;

  add(failure: PromptFailure): void {
    this.#count += 1;
    if (failure.index >= 0) this.prompts += 1;
    if (this.messages.has(failure.message) || this.messages.size < FAILURE_MESSAGES_KEPT)
      this.messages.set(failure.message, (this.messages.get(failure.message) ?? 0) + 1);
    else this.#moreMessages = true;
    if (this.kept.length < FAILURE_LINES_KEPT) this.kept.push(failure);
  }

  get count(): number {
    return this.#count;
  }

  /** One clear message: the shared reason when every failure says the same thing. */
  summary(total: number, unexplained = 0): string {
    const failed = this.prompts + unexplained;
    if (this.messages.size === 1 && !this.#moreMessages) {
      const [message] = this.messages.keys();
      const scope =
        failed >= total
          ? total === 1
            ? ""
            : ` (all ${total} prompts)`
          : ` (${failed} of ${total} prompts)`;
      return `error: ${(message ?? "").replace(/\.$/, "")}${scope}`;
    }
    if (this.messages.size === 0)
      return `error: ${failed} of ${total} prompt(s) produced no image.`;
    const lines = this.kept.map((f) =>
      f.index >= 0 ? `error: prompt ${f.index + 1}: ${f.message}` : `error: ${f.message}`,
    );
    const more = this.count - this.kept.length;
    if (more > 0) lines.push(`... and ${more} more`);
    return [`error: ${failed} of ${total} prompt(s) failed:`, ...lines.map((l) => `  ${l}`)].join(
      "\n",
    );
  }
}

/** One clear message: the shared reason when every failure says the same thing. */
export function failureSummary(failures: PromptFailure[], total: number, unexplained = 0): string {
  const tally = new FailureTally();
  for (const failure of failures) tally.add(failure);
  return tally.summary(total, unexplained);
}

/** Why a run stopped early, if it did. */
type Stop = "interrupted" | "terminated" | "pipe";

const EXIT_FOR_STOP: Record<Stop, number> = {
  interrupted: EXIT_INTERRUPTED,
  terminated: EXIT_TERMINATED,
  pipe: EXIT_PIPE,
};

function extensionFor(format: unknown): string {
  return format === "jpeg" ? "image/jpeg" : "image/png";
}

export async function runGenerate(argv: string[], io: CommandIO): Promise<number> {
  const config = await parseGenerateArgs(argv, io);
  if (!config) return EXIT_OK;
  const secrets = secretsFromEnv(io.env);
  const scrub = (text: string): string => redactText(text, secrets);
  let stop: Stop | undefined;
  const controller = new AbortController();
  // A reader that went away (| head -1): stop quietly, as other Unix tools do.
  const stdout = new LineWriter(io.stdout, () => {
    stop ??= "pipe";
    controller.abort();
  });
  // A closed stderr only loses the progress display; the run goes on.
  const stderr = new LineWriter(io.stderr);
  const say = (line: string): void => {
    if (stop !== "pipe") void stderr.write(`${terminalSafe(scrub(line))}\n`);
  };
  const json = (value: unknown): Promise<void> => stdout.write(`${scrub(safeJson(value))}\n`);
  const padTo = config.total ?? 10 ** UNKNOWN_TOTAL_DIGITS - 1;
  const format = FalImageGenSettings.defaults();
  format.applyUpdate(config.settings);
  const mimeType = extensionFor(isGiven(format.format) ? format.format : "png");

  const outDir = resolve(io.cwd, config.outDir);
  const outDirUsage = (error: unknown): unknown =>
    error instanceof OutputDirError
      ? new UsageError(`Cannot use --out "${config.outDir}": ${error.reason}.`)
      : error;
  if (config.dryRun) {
    // Nothing is created, but a folder that can never hold the files is refused all the same.
    await ImageFiles.check(outDir).catch((error: unknown) => {
      throw outDirUsage(error);
    });
    return dryRun(config, { stdout, json, say, padTo, mimeType, scrub });
  }

  let files: ImageFiles;
  try {
    files = await ImageFiles.open(outDir);
  } catch (error) {
    throw outDirUsage(error);
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
  secrets.push(backend.key);
  if (backend.notice) say(backend.notice);

  const display = new ProgressDisplay({
    stream: io.stderr,
    total: config.total ?? 0,
    totalKnown: config.total !== undefined,
    noun: "prompt",
    enabled: !config.quiet && !(config.json && !io.stderr.isTTY),
  });

  let total = config.total ?? 0;
  let images = 0;
  let promptsWithImages = 0;
  let lastImagePrompt = -1;
  const failures = new FailureTally();
  const filesOf = new Map<number, string[]>();
  const bytesOf = new Map<number, number>();
  const perPrompt = Number(isGiven(format.numImages) ? format.numImages : 1) || 1;

  /** The last line written to stdout: awaited before the next image (a slow reader slows us). */
  let lastLine: Promise<void> = Promise.resolve();
  /** What is printed for one file on disk: a --json line or its path. */
  const reportFile = (name: string, image?: Parameters<typeof onImage>[0]): void => {
    images += 1;
    const shownFile = `${shownOut}/${name}`.replace(/^\.\//, "");
    if (config.json) {
      lastLine = json({
        type: "image",
        index: image?.index ?? null,
        imageIndex: image?.imageIndex ?? null,
        prompt: image?.prompt ?? null,
        file: shownFile,
        width: image?.width ?? null,
        height: image?.height ?? null,
        bytes: image?.bytes.byteLength ?? null,
        mimeType: image?.mimeType ?? null,
        seed: image?.seed ?? null,
        requestId: image?.requestId ?? null,
      });
    } else {
      display.around(() => {
        lastLine = stdout.write(`${terminalSafe(shownFile)}\n`);
      });
    }
    if (image === undefined) return;
    if (image.index !== lastImagePrompt) {
      lastImagePrompt = image.index;
      promptsWithImages += 1;
    }
    // Every file of a prompt, so that its "done" line names them all (num_images > 1).
    const files = [...(filesOf.get(image.index) ?? []), shownFile];
    const bytes = (bytesOf.get(image.index) ?? 0) + image.bytes.byteLength;
    if (files.length >= perPrompt) {
      filesOf.delete(image.index);
      bytesOf.delete(image.index);
      const what = files.length > 1 ? `${files.length} images ` : "";
      display.finished(
        image.index,
        terminalSafe(
          `${what}${image.width}x${image.height} ${image.mimeType.replace("image/", "")}, ${formatBytes(bytes)} → ${files.join(", ")}`,
        ),
      );
    } else {
      filesOf.set(image.index, files);
      bytesOf.set(image.index, bytes);
    }
  };

  const onImage = async (image: {
    index: number;
    imageIndex: number;
    prompt: string;
    bytes: Uint8Array;
    mimeType: string;
    width: number;
    height: number;
    seed: number | undefined;
    requestId: string | undefined;
  }): Promise<void> => {
    // Once stdout is gone nothing more is written: it could not be reported.
    if (stop === "pipe" || stoppedAtOnce) return;
    const name = imageFileName(
      image.index,
      padTo,
      scrub(image.prompt),
      image.imageIndex,
      image.mimeType,
      secrets,
    );
    const writing = files.write(name, image.bytes, (final) => reportFile(final, image));
    writes.add(writing);
    try {
      await writing;
    } finally {
      writes.delete(writing);
    }
    await lastLine;
  };
  /** Writes in progress: a cancelled pipeline may stop waiting for them, the CLI does not. */
  const writes = new Set<Promise<void>>();

  const started = performance.now();
  const summary = (cancelled: boolean) => ({
    type: "summary",
    prompts: total,
    images,
    errors: failures.count,
    cancelled: cancelled ? Math.max(0, total - promptsWithImages - failures.prompts) : 0,
    outDir: shownOut,
    model: String(format.model),
    backend: backend.kind,
    elapsedMs: Math.round(performance.now() - started),
  });

  /** Set by a second Ctrl-C: the run's last lines are written, nothing more is. */
  let stoppedAtOnce = false;
  /** The --json summary is written (a second Ctrl-C must not write another). */
  let summaryWritten = false;
  const onSignal = (signal?: NodeJS.Signals): void => {
    if (stoppedAtOnce) {
      // Yet another signal while the last lines are on their way out: leave now.
      io.exit?.(EXIT_FOR_STOP[stop ?? "interrupted"]);
      return;
    }
    if (controller.signal.aborted && stop !== "pipe") {
      // The second Ctrl-C: stop at once. Whole files only, and each one reported.
      stoppedAtOnce = true;
      for (const name of files.abandonSync()) reportFile(name);
      display.finish();
      if (config.json && !summaryWritten) void json(summary(true));
      say(`Stopped at once: ${images} image(s) written to ${shownOut}.`);
      // Whatever the pipeline still reports while it winds down comes after the last line.
      stdout.seal();
      stderr.seal();
      // Exits once these lines have left (a slow reader gets them), or soon after at most.
      io.exit?.(EXIT_FOR_STOP[stop ?? "interrupted"]);
      return;
    }
    stop ??= signal === "SIGTERM" ? "terminated" : "interrupted";
    controller.abort();
  };
  io.onInterrupt(onSignal);

  // Registered until the last line is written: a second Ctrl-C while the summary waits for a
  // slow reader stops at once too (otherwise the default action would kill the process).
  try {
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
        collect: false,
        onPrompt: (index) => {
          total = Math.max(total, index + 1);
          display.setTotal(total, config.total !== undefined);
        },
        onInputEnd: (count) => {
          total = count;
          display.setTotal(count, true);
        },
        onProgress: (index, stage, position) => {
          if (stoppedAtOnce) return;
          const shown = displayStage(stage);
          // "done" is shown once the file is written.
          if (shown && shown !== "done" && shown !== "error")
            display.update(index, shown, position);
        },
        onImage,
        onFailure: (failure) => {
          if (stoppedAtOnce) return;
          failures.add(failure);
          if (failure.index >= 0) display.failed(failure.index, terminalSafe(failure.message));
          if (config.json)
            void json({
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
      if (stoppedAtOnce) return EXIT_FOR_STOP[stop ?? "interrupted"];
      display.finish();
      if (error instanceof SettingsValidationError) throw usageErrorFromSettings(error);
      throw new CliError(terminalSafe(scrub(describeError(error))));
    } finally {
      await Promise.allSettled([...writes]);
      await backend.close();
    }
    // Stopped at once: the summary is out and the process is exiting (in-process: just return).
    if (stoppedAtOnce) return EXIT_FOR_STOP[stop ?? "interrupted"];

    if (result.cancelled) display.cancelRemaining();
    display.finish();
    if (stop === "pipe") return EXIT_PIPE;
    if (total === 0 && !result.cancelled)
      throw new UsageError(
        'No prompt given. Pass one as an argument (pipecat-ts generate "a red fox in the snow"), with --file, or on stdin.',
      );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (config.json) {
      summaryWritten = true;
      await json(summary(result.cancelled));
    }

    if (result.cancelled) {
      const open = Math.max(0, total - promptsWithImages - failures.prompts);
      say(`Cancelled: ${images} image(s) written to ${shownOut}, ${open} prompt(s) not finished.`);
      return EXIT_FOR_STOP[stop ?? "interrupted"];
    }
    const unexplained = Math.max(0, total - promptsWithImages - failures.prompts);
    if (failures.count > 0 || unexplained > 0) {
      for (const line of failures.summary(total, unexplained).split("\n")) say(line);
      return EXIT_FAILURE;
    }
    if (!config.json) say(`Wrote ${images} image(s) to ${shownOut} in ${seconds} s.`);
    return EXIT_OK;
  } finally {
    io.offInterrupt(onSignal);
  }
}

/** --dry-run: every prompt read and checked, the file it would get printed; nothing sent. */
async function dryRun(
  config: GenerateConfig,
  out: {
    stdout: LineWriter;
    json: (value: unknown) => Promise<void>;
    say: (line: string) => void;
    padTo: number;
    mimeType: string;
    scrub: (text: string) => string;
  },
): Promise<number> {
  let index = 0;
  let errors = 0;
  for await (const entry of config.prompts) {
    if (out.stdout.closed) return EXIT_PIPE;
    const text = entry.text.trim();
    if (text === "" && entry.problem === undefined) continue;
    if (entry.problem !== undefined) {
      errors += 1;
      const message = `prompt ${index + 1} ${entry.problem}.`;
      if (config.json)
        await out.json({ type: "error", index, prompt: text, message, category: "validation" });
      else out.say(`error: ${message}`);
    } else {
      const file = `${config.outDir}/${imageFileName(index, out.padTo, out.scrub(text), 0, out.mimeType)}`;
      if (config.json) await out.json({ type: "prompt", index, prompt: text, file });
      else await out.stdout.write(`${terminalSafe(file)}\n`);
    }
    index += 1;
  }
  if (out.stdout.closed) return EXIT_PIPE;
  if (config.json) await out.json({ type: "summary", prompts: index, errors, dryRun: true });
  else out.say(`Dry run: ${index} prompt(s), ${errors} refused, nothing sent.`);
  return errors > 0 ? EXIT_FAILURE : EXIT_OK;
}

export { EXIT_FAILURE };
