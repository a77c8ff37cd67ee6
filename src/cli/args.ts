// Shared argument parsing and validation for the `pipecat-ts` commands. Every user mistake becomes
// a UsageError (exit code 2) with one clear line; the CLI never shows a stack trace for one.
import { open } from "node:fs/promises";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { BackendConfigError } from "../app/backend.js";
import { MAX_IMAGE_DIMENSION, parseImageSize, type ImageSize } from "../services/image-size.js";
import {
  FalImageGenSettings,
  FAL_IMAGE_FORMATS,
  type FalImageFormat,
} from "../services/fal/settings.js";
import { parseModelId } from "../services/fal/models.js";
import { SettingsValidationError, describeError } from "../utils/errors.js";
import { isHostName } from "../server/host-guard.js";

/** Exit codes of the CLI. */
export const EXIT_OK = 0;
/** Something failed at run time (a prompt failed, the server refused, ...). */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong. */
export const EXIT_USAGE = 2;
/** Interrupted with Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;
/**
 * stdout was closed by its reader (`| head -1`): 128 + SIGPIPE, what a shell reports for a tool
 * that SIGPIPE ended, so `set -o pipefail` scripts see the run was cut short.
 */
export const EXIT_PIPE = 141;
/** Stopped by SIGTERM (128 + SIGTERM), after a clean stop. */
export const EXIT_TERMINATED = 143;

/** A mistake on the command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  readonly exitCode = EXIT_USAGE;
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** A run-time failure the user should read as one line (no stack): exit code 1 unless told. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = "CliError";
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface ParsedCommand<T> {
  values: T;
  positionals: string[];
}

/**
 * `parseArgs` in strict mode, with Node's TypeErrors (unknown option, missing value...) turned into
 * UsageErrors that name the command. Also:
 * - a value that starts with "-" is still a value when it is not one of the command's options
 *   (`--seed -1` is then "Invalid --seed "-1"", not "needs a value");
 * - an option that takes a value, given twice, is a UsageError (which one would win is a guess),
 *   unless it is declared `multiple`.
 */
export function parseCommandArgs<T>(
  command: string,
  argv: string[],
  options: Options,
  allowPositionals = true,
): ParsedCommand<T> {
  const args = attachDashValues(argv, options);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options,
      allowPositionals,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw usageErrorFromParseArgs(command, error);
  }
  const seen = new Map<string, string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    const option = options[token.name];
    if (option === undefined || option.type !== "string" || option.multiple) continue;
    const earlier = seen.get(token.name);
    if (earlier !== undefined)
      throw new UsageError(
        `Option --${token.name} is given twice ("${earlier}" and "${token.value ?? ""}"): give it once.`,
      );
    seen.set(token.name, token.value ?? "");
  }
  return { values: parsed.values as T, positionals: parsed.positionals };
}

/** `--opt -1` → `--opt=-1` when `--opt` takes a value and "-1" is not an option of the command. */
function attachDashValues(argv: readonly string[], options: Options): string[] {
  const takesValue = (arg: string): boolean => {
    if (arg.startsWith("--")) return options[arg.slice(2)]?.type === "string";
    if (/^-[A-Za-z]$/.test(arg))
      return Object.values(options).some((o) => o.short === arg.slice(1) && o.type === "string");
    return false;
  };
  const isOption = (arg: string): boolean => {
    if (arg === "--" || arg === "-") return arg === "--";
    if (arg.startsWith("--")) return Object.hasOwn(options, arg.slice(2).split("=")[0] ?? "");
    if (/^-[A-Za-z]/.test(arg))
      return Object.values(options).some((o) => o.short === arg.slice(1, 2));
    return false;
  };
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (next !== undefined && takesValue(arg) && next.startsWith("-") && !isOption(next)) {
      out.push(`${arg.startsWith("--") ? arg : `--${longName(arg, options)}`}=${next}`);
      i += 1;
    } else {
      out.push(arg);
    }
  }
  return out;
}

function longName(short: string, options: Options): string {
  return Object.entries(options).find(([, o]) => o.short === short.slice(1))?.[0] ?? short;
}

function usageErrorFromParseArgs(command: string, error: unknown): UsageError {
  const code = (error as { code?: string }).code;
  const message = describeError(error);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const option = /'([^']+)'/.exec(message)?.[1] ?? message;
    return new UsageError(
      `Unknown option ${option} for "${command}". Run "pipecat-ts ${command} --help" for the options.`,
    );
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    // "Option '--json' does not take an argument" / "Option '--out <value>' argument missing"
    const option = /'(?:-\w, )?(--?[^' ,=]+)/.exec(message)?.[1];
    if (/does not take an argument/.test(message))
      return new UsageError(
        `Option ${option ?? "?"} takes no value; give it alone (e.g. ${option}).`,
      );
    return new UsageError(
      option ? `Option ${option} needs a value.` : `${message.replace(/\.$/, "")}.`,
    );
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const value = /'([^']*)'/.exec(message)?.[1];
    return new UsageError(
      `"${command}" takes no arguments${value === undefined ? "" : ` (got "${value}")`}. Run "pipecat-ts ${command} --help".`,
    );
  }
  return new UsageError(message);
}

/** An integer option in [min, max]; undefined when absent. */
export function parseIntegerOption(
  flag: string,
  text: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  const value = /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`Invalid ${flag} "${text}": expected an integer from ${min} to ${max}.`);
  }
  return value;
}

/** A positive number option (e.g. milliseconds); undefined when absent. */
export function parseNumberOption(
  flag: string,
  text: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (text === undefined) return undefined;
  const value = text.trim() === "" ? Number.NaN : Number(text);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`Invalid ${flag} "${text}": expected a number from ${min} to ${max}.`);
  }
  return value;
}

export function parsePort(flag: string, text: string | undefined, fallback: number): number {
  return parseIntegerOption(flag, text, 0, 65535) ?? fallback;
}

export function parseHost(flag: string, text: string | undefined, fallback: string): string {
  if (text === undefined) return fallback;
  const host = text.trim();
  if (host === "" || /[\s/?#@]/.test(host))
    throw new UsageError(
      `Invalid ${flag} "${text}": expected a host name or IP address, e.g. 127.0.0.1.`,
    );
  return host;
}

/** `--base-url`: an http(s) URL, trailing slashes removed; undefined when absent. */
export function parseBaseUrlOption(flag: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const url = new URL(text.trim());
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("scheme");
  } catch {
    throw new UsageError(
      `Invalid ${flag} "${text}": expected an http:// or https:// URL, e.g. http://127.0.0.1:8787.`,
    );
  }
  return text.trim().replace(/\/+$/, "");
}

/** `--allowed-host`, repeatable, each value possibly a comma-separated list. */
export function parseAllowedHosts(flag: string, values: readonly string[] | undefined): string[] {
  const names: string[] = [];
  for (const value of values ?? []) {
    for (const part of value.split(",")) {
      const name = part.trim();
      if (name !== "*" && !isHostName(name))
        throw new UsageError(
          `Invalid ${flag} "${value}": expected host names without port, e.g. my-box.local, or "*" for any.`,
        );
      names.push(name);
    }
  }
  return names;
}

/** `--size`: a preset name or WIDTHxHEIGHT. */
export function parseSizeOption(flag: string, text: string | undefined): ImageSize | undefined {
  if (text === undefined) return undefined;
  try {
    return parseImageSize(text, flag);
  } catch (error) {
    if (error instanceof SettingsValidationError) {
      const side = /\.(width|height)$/.exec(error.field)?.[1];
      if (side !== undefined)
        throw new UsageError(
          `Invalid ${flag} "${text}": the ${side} ${String(error.value)} is out of range; each side must be an integer from 1 to ${MAX_IMAGE_DIMENSION}.`,
        );
      throw new UsageError(
        `Invalid ${flag} "${text}": use square_hd, square, portrait_4_3, portrait_16_9, landscape_4_3, landscape_16_9, or WIDTHxHEIGHT (e.g. 1024x768, each side 1..${MAX_IMAGE_DIMENSION}).`,
      );
    }
    throw error;
  }
}

export function parseFormatOption(
  flag: string,
  text: string | undefined,
): FalImageFormat | undefined {
  if (text === undefined) return undefined;
  const lower = text.trim().toLowerCase();
  const value = lower === "jpg" ? "jpeg" : lower;
  if (!(FAL_IMAGE_FORMATS as readonly string[]).includes(value))
    throw new UsageError(`Invalid ${flag} "${text}": use png or jpeg.`);
  return value as FalImageFormat;
}

export function parseModelOption(flag: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const model = text.trim();
  try {
    parseModelId(model);
  } catch {
    throw new UsageError(
      `Invalid ${flag} "${text}": expected a fal model id such as fal-ai/fast-sdxl or fal-ai/flux/schnell.`,
    );
  }
  return model;
}

export function parseChoice<T extends string>(
  flag: string,
  text: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (text === undefined) return undefined;
  const value = text.trim().toLowerCase();
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`Invalid ${flag} "${text}": use ${choices.join(" or ")}.`);
  }
  return value as T;
}

/** The command-line flag for a settings field, for error messages. */
const FLAG_FOR_FIELD: Record<string, string> = {
  model: "--model",
  seed: "--seed",
  numInferenceSteps: "--steps",
  numImages: "--num-images",
  imageSize: "--size",
  format: "--format",
  maxConcurrency: "--concurrency",
  baseUrl: "--base-url",
  allowedHosts: "--allowed-host",
  FAL_BASE_URL: "FAL_BASE_URL",
};

/** Turns a SettingsValidationError from the settings or the service into a UsageError naming the flag. */
export function usageErrorFromSettings(error: SettingsValidationError): UsageError {
  const root = error.field.split(".")[0] ?? error.field;
  const flag = FLAG_FOR_FIELD[root];
  if (!flag) return new UsageError(error.message);
  const value =
    typeof error.value === "object" && error.value !== null
      ? JSON.stringify(error.value)
      : String(error.value);
  return new UsageError(
    `Invalid ${flag} "${value}": expected ${error.allowed.replace(/\.$/, "")}.`,
  );
}

/** The app's backend error in the CLI's terms: `--backend fal needs a fal API key: ...`. */
export function usageErrorFromBackend(error: BackendConfigError): UsageError {
  return new UsageError(`--${error.field} ${error.value} ${error.reason}`);
}

export interface GenerationSettingsInput {
  model?: string;
  imageSize?: ImageSize;
  seed?: number;
  numInferenceSteps?: number;
  numImages?: number;
  format?: FalImageFormat;
}

/** A settings delta holding only the given values; validation errors become UsageErrors. */
export function buildSettings(input: GenerationSettingsInput): FalImageGenSettings {
  const init: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (value !== undefined) init[key] = value;
  try {
    return new FalImageGenSettings(init);
  } catch (error) {
    if (error instanceof SettingsValidationError) throw usageErrorFromSettings(error);
    throw error;
  }
}

/** One prompt per non-empty line (surrounding spaces trimmed; lines starting with # are comments). */
export function splitPromptLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("#"));
}

/**
 * Opens --file for streaming. A missing file, a folder or an unreadable file is a UsageError before
 * any work starts.
 */
export async function openPromptFile(path: string): Promise<AsyncIterable<Uint8Array>> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
    if ((await handle.stat()).isDirectory()) {
      await handle.close();
      throw new UsageError(`Cannot read --file "${path}": it is a directory.`);
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as { code?: string }).code;
    if (code === "ENOENT") throw new UsageError(`Cannot read --file "${path}": no such file.`);
    if (code === "EISDIR") throw new UsageError(`Cannot read --file "${path}": it is a directory.`);
    if (code === "EACCES") throw new UsageError(`Cannot read --file "${path}": permission denied.`);
    throw new UsageError(`Cannot read --file "${path}": ${describeError(error)}.`, {
      cause: error,
    });
  }
  return handle.createReadStream({ highWaterMark: 64 * 1024 });
}
