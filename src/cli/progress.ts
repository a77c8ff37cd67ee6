// The progress display of the CLI: on a TTY one line that updates in place (a bar, the percentage
// of prompts done, and what the unfinished ones are doing: queued, queue position, in progress);
// elsewhere one plain line per change that matters. It writes to stderr, so stdout stays for data.

export type PanelStage =
  | "waiting"
  | "queued"
  | "in_queue"
  | "in_progress"
  | "downloading"
  | "done"
  | "error"
  | "cancelled";

interface Panel {
  stage: PanelStage;
  position: number | undefined;
  /** The last plain line printed for this panel, to avoid repeats. */
  lastLine: string | undefined;
}

export interface ProgressDisplayOptions {
  stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  total: number;
  /** "prompt" or "scene": how each item is called. */
  noun?: string;
  /** Override TTY detection (tests). */
  tty?: boolean;
  /** When false nothing is shown except `note` lines. */
  enabled?: boolean;
}

/**
 * Maps the service's stages (ImageGenProgressFrame.stage) to what the user sees. Queue positions
 * are fal's (0 = next in line); they are shown 1-based ("position 1" = next).
 */
export function displayStage(stage: string): PanelStage | undefined {
  switch (stage) {
    case "queued":
      return "queued";
    case "in_queue":
      return "in_queue";
    case "submitted":
    case "in_progress":
      return "in_progress";
    case "downloading":
      return "downloading";
    case "completed":
      return "done";
    case "failed":
      return "error";
    case "cancelled":
      return "cancelled";
    default:
      return undefined;
  }
}

export function describeStage(stage: PanelStage, position?: number): string {
  switch (stage) {
    case "waiting":
      return "waiting";
    case "queued":
      return "queued";
    case "in_queue":
      return position === undefined ? "in queue" : `in queue (position ${position + 1})`;
    case "in_progress":
      return "in progress";
    case "downloading":
      return "downloading";
    case "done":
      return "done";
    case "error":
      return "error";
    case "cancelled":
      return "cancelled";
  }
}

const FINAL: ReadonlySet<PanelStage> = new Set(["done", "error", "cancelled"]);

export class ProgressDisplay {
  readonly tty: boolean;
  readonly #stream: ProgressDisplayOptions["stream"];
  readonly #panels: Panel[];
  readonly #noun: string;
  readonly #enabled: boolean;
  #lineShown = false;
  #finished = false;
  #spinner = 0;

  constructor(options: ProgressDisplayOptions) {
    this.#stream = options.stream;
    this.tty = options.tty ?? Boolean(options.stream.isTTY);
    this.#noun = options.noun ?? "prompt";
    this.#enabled = options.enabled ?? true;
    this.#panels = Array.from({ length: options.total }, () => ({
      stage: "waiting" as PanelStage,
      position: undefined,
      lastLine: undefined,
    }));
  }

  get total(): number {
    return this.#panels.length;
  }

  /** Prompts that reached an end (done, error or cancelled). */
  get finishedCount(): number {
    return this.#panels.filter((p) => FINAL.has(p.stage)).length;
  }

  stageOf(index: number): PanelStage | undefined {
    return this.#panels[index]?.stage;
  }

  /** A stage change for one prompt. Final stages are never overwritten by late updates. */
  update(index: number, stage: PanelStage, position?: number): void {
    const panel = this.#panels[index];
    if (!panel || FINAL.has(panel.stage)) return;
    panel.stage = stage;
    panel.position = stage === "in_queue" ? position : undefined;
    if (!this.#enabled) return;
    if (this.tty) {
      this.#redraw();
    } else if (stage !== "done" && stage !== "waiting") {
      // "done" is reported by `finished` with the facts; "waiting" is not worth a line.
      this.#plain(index, describeStage(stage, panel.position));
    }
  }

  /** A prompt finished: mark it done and say what it produced (e.g. the file written). */
  finished(index: number, detail: string): void {
    const panel = this.#panels[index];
    if (!panel) return;
    panel.stage = "done";
    if (!this.#enabled) return;
    if (this.tty) {
      this.#above(`${this.#label(index)} done: ${detail}`);
    } else {
      this.#plain(index, `done: ${detail}`);
    }
  }

  /** A prompt failed. */
  failed(index: number, message: string): void {
    const panel = this.#panels[index];
    if (!panel) return;
    panel.stage = "error";
    if (!this.#enabled) return;
    // Plain output leaves errors to the caller's final message (one clear line, not one per
    // prompt).
    if (this.tty) this.#above(`${this.#label(index)} error: ${message}`);
  }

  /** Every prompt not yet finished is cancelled. */
  cancelRemaining(): void {
    for (const panel of this.#panels) if (!FINAL.has(panel.stage)) panel.stage = "cancelled";
    if (this.#enabled && this.tty) this.#redraw();
  }

  /** A line of its own (kept above the live progress line on a TTY). Always shown. */
  note(line: string): void {
    if (this.tty && this.#enabled && !this.#finished) this.#above(line);
    else this.#stream.write(`${line}\n`);
  }

  /** Removes the live line (call once at the end). */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.tty && this.#lineShown) {
      this.#stream.write("\r\x1b[2K");
      this.#lineShown = false;
    }
  }

  /** The current one-line summary (also what the TTY shows). */
  summaryLine(width = 100): string {
    const total = this.#panels.length;
    const finished = this.finishedCount;
    const percent = total === 0 ? 100 : Math.floor((finished / total) * 100);
    const barWidth = 16;
    const filled = total === 0 ? barWidth : Math.round((finished / total) * barWidth);
    const spin = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"[this.#spinner % 10] ?? " ";
    const head = `${finished < total ? spin : "✓"} [${"█".repeat(filled)}${"░".repeat(barWidth - filled)}] ${finished}/${total} ${String(percent).padStart(3)}%`;
    const parts: string[] = [];
    for (const [index, panel] of this.#panels.entries()) {
      if (FINAL.has(panel.stage) || panel.stage === "waiting") continue;
      const what =
        panel.stage === "in_queue"
          ? panel.position === undefined
            ? "in queue"
            : `queue #${panel.position + 1}`
          : describeStage(panel.stage);
      parts.push(`${index + 1}: ${what}`);
    }
    const waiting = this.#panels.filter((p) => p.stage === "waiting").length;
    if (waiting > 0) parts.push(`${waiting} waiting`);
    const failed = this.#panels.filter((p) => p.stage === "error").length;
    if (failed > 0) parts.push(`${failed} failed`);
    const line = parts.length > 0 ? `${head}  ${parts.join(" · ")}` : head;
    return truncate(line, width);
  }

  #label(index: number): string {
    return `${this.#noun} ${index + 1}/${this.#panels.length}`;
  }

  #plain(index: number, what: string): void {
    const panel = this.#panels[index];
    const line = `${this.#label(index)} ${what}`;
    if (panel?.lastLine === line) return;
    if (panel) panel.lastLine = line;
    this.#stream.write(`${line}\n`);
  }

  #above(line: string): void {
    this.#clear();
    this.#stream.write(`${line}\n`);
    this.#redraw();
  }

  #clear(): void {
    if (this.#lineShown) {
      this.#stream.write("\r\x1b[2K");
      this.#lineShown = false;
    }
  }

  #redraw(): void {
    if (this.#finished) return;
    this.#spinner += 1;
    const width = Math.max(40, (this.#stream.columns || 100) - 1);
    this.#stream.write(`\r\x1b[2K${this.summaryLine(width)}`);
    this.#lineShown = true;
  }
}

/** Cuts `text` to `width` characters (code points), with an ellipsis. */
export function truncate(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join("")}…`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(2)} MB`;
}
