// ErrorFrame: a failure reported upstream, with its cause and a category.
import type { ErrorCategory } from "../utils/errors.js";
import { SystemFrame } from "./base.js";

/** Anything with a name, so the frame can say which processor failed without importing processors. */
export interface NamedSource {
  readonly name: string;
}

export interface ErrorFrameOptions {
  /** Deprecated in Pipecat; a fatal error cancels the pipeline. */
  fatal?: boolean;
  /** The underlying error, when there is one. */
  cause?: unknown;
  category?: ErrorCategory;
  /** The processor that reported it (filled in by pushError). */
  processor?: NamedSource;
  /** The prompt (or other input) this error answers, when a service knows it. */
  prompt?: string;
  /** The id of the frame that carried that prompt (the TextFrame), so it can be told apart from an identical prompt. */
  promptId?: number;
}

export class ErrorFrame extends SystemFrame {
  readonly error: string;
  readonly fatal: boolean;
  readonly cause: unknown;
  category: ErrorCategory | undefined;
  processor: NamedSource | undefined;
  readonly prompt: string | undefined;
  readonly promptId: number | undefined;

  constructor(error: string, options: ErrorFrameOptions = {}) {
    super();
    this.error = error;
    this.fatal = options.fatal ?? false;
    this.cause = options.cause;
    this.category = options.category;
    this.processor = options.processor;
    this.prompt = options.prompt;
    this.promptId = options.promptId;
  }

  override toString(): string {
    const category =
      this.category && this.category !== "unknown" ? `, category: ${this.category}` : "";
    return `${this.name}(error: ${this.error}, fatal: ${this.fatal}${category})`;
  }
}
