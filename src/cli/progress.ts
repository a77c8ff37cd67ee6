// The progress display of the CLI: on a TTY one line that updates in place (a bar, the percentage
// of prompts done, and what the unfinished ones are doing: queued, queue position, in progress);
// elsewhere one plain line per change that matters. It writes to stderr, so stdout stays for data.
// Callers pass text that is already terminal-safe (see terminal.ts).

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
  /** Prompts so far. */
  total: number;
  /** False while more prompts may come (the total is shown as "12+"). Default true. */
  totalKnown?: boolean;
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

/**
 * What the user sees of a run. Memory stays as small as the prompts in flight: only unfinished
 * prompts are held; finished ones are counted (and their indices kept only until every earlier
 * prompt has finished too). The total may grow while prompts stream in (`setTotal`).
 */
export class ProgressDisplay {
  readonly tty: boolean;
  readonly #stream: ProgressDisplayOptions["stream"];
  readonly #noun: string;
  readonly #enabled: boolean;
  /** Prompts started and not finished, by index. */
  readonly #active = new Map<number, Panel>();
  /** Every prompt below this index has finished. */
  #firstOpen = 0;
  /** Finished prompts at or above #firstOpen. */
  readonly #finishedAbove = new Set<number>();
  #counts = { done: 0, error: 0, cancelled: 0 };
  #total: number;
  /** False while prompts are still being read: the total shown is "so far". */
  #totalKnown: boolean;
  #lineShown = false;
  #finished = false;
  #spinner = 0;

  constructor(options: ProgressDisplayOptions) {
    this.#stream = options.stream;
    this.tty = options.tty ?? Boolean(options.stream.isTTY);
    this.#noun = options.noun ?? "prompt";
    this.#enabled = options.enabled ?? true;
    this.#total = options.total;
    this.#totalKnown = options.totalKnown ?? true;
  }

  get total(): number {
    return this.#total;
  }

  /** Prompts that reached an end (done, error or cancelled). */
  get finishedCount(): number {
    return this.#counts.done + this.#counts.error + this.#counts.cancelled;
  }

  /** More prompts were read (`known`: that is all of them). */
  setTotal(total: number, known: boolean): void {
    this.#total = Math.max(total, this.#total);
    this.#totalKnown = known;
  }

  /** The stage of an unfinished prompt, "waiting" before it started, undefined once finished. */
  stageOf(index: number): PanelStage | undefined {
    if (this.#isFinished(index)) return undefined;
    return this.#active.get(index)?.stage ?? "waiting";
  }

  /** A stage change for one prompt. Final stages are never overwritten by late updates. */
  update(index: number, stage: PanelStage, position?: number): void {
    if (this.#isFinished(index)) return;
    if (FINAL.has(stage)) {
      this.#finish(index, stage as "done" | "error" | "cancelled");
      if (this.#enabled && this.tty) this.#redraw();
      return;
    }
    let panel = this.#active.get(index);
    if (panel === undefined) {
      panel = { stage, position: undefined, lastLine: undefined };
      this.#active.set(index, panel);
    }
    panel.stage = stage;
    panel.position = stage === "in_queue" ? position : undefined;
    if (!this.#enabled) return;
    if (this.tty) {
      this.#redraw();
    } else if (stage !== "waiting") {
      // "done" is reported by `finished` with the facts; "waiting" is not worth a line.
      this.#plain(index, describeStage(stage, panel.position), panel);
    }
  }

  /** A prompt finished: mark it done and say what it produced (e.g. the file written). */
  finished(index: number, detail: string): void {
    if (this.#isFinished(index)) return;
    const panel = this.#active.get(index);
    this.#finish(index, "done");
    if (!this.#enabled) return;
    if (this.tty) this.#above(`${this.#label(index)} done: ${detail}`);
    else this.#plain(index, `done: ${detail}`, panel);
  }

  /** A prompt failed. */
  failed(index: number, message: string): void {
    if (this.#isFinished(index)) return;
    this.#finish(index, "error");
    if (!this.#enabled) return;
    // Plain output leaves errors to the caller's final message (one clear line, not one per
    // prompt).
    if (this.tty) this.#above(`${this.#label(index)} error: ${message}`);
  }

  /** Every prompt not yet finished is cancelled. */
  cancelRemaining(): void {
    const open = this.#total - this.finishedCount;
    this.#counts.cancelled += Math.max(0, open);
    this.#active.clear();
    this.#finishedAbove.clear();
    this.#firstOpen = Math.max(this.#firstOpen, this.#total);
    if (this.#enabled && this.tty) this.#redraw();
  }

  /** A line of its own (kept above the live progress line on a TTY). Always shown. */
  note(line: string): void {
    if (this.tty && this.#enabled && !this.#finished) this.#above(line);
    else this.#stream.write(`${line}\n`);
  }

  /**
   * Writes `text` to another stream (stdout) without tearing the live line: on a TTY the line is
   * cleared first and drawn again after.
   */
  around(write: () => void): void {
    if (!(this.tty && this.#enabled && this.#lineShown)) {
      write();
      return;
    }
    this.#clear();
    write();
    this.#redraw();
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
    const total = this.#total;
    const finished = this.finishedCount;
    const percent = total === 0 ? 100 : Math.floor((finished / total) * 100);
    const barWidth = 16;
    const filled = total === 0 ? barWidth : Math.round((finished / total) * barWidth);
    const spin = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"[this.#spinner % 10] ?? " ";
    const shownTotal = this.#totalKnown ? String(total) : `${total}+`;
    const head = `${finished < total || !this.#totalKnown ? spin : "✓"} [${"█".repeat(filled)}${"░".repeat(barWidth - filled)}] ${finished}/${shownTotal} ${String(percent).padStart(3)}%`;
    const parts: string[] = [];
    const shown = [...this.#active.entries()]
      .filter(([, panel]) => panel.stage !== "waiting")
      .sort(([a], [b]) => a - b)
      .slice(0, 24);
    for (const [index, panel] of shown) {
      const what =
        panel.stage === "in_queue"
          ? panel.position === undefined
            ? "in queue"
            : `queue #${panel.position + 1}`
          : describeStage(panel.stage);
      parts.push(`${index + 1}: ${what}`);
    }
    const started = [...this.#active.values()].filter((p) => p.stage !== "waiting").length;
    const waiting = total - finished - started;
    if (waiting > 0) parts.push(`${waiting} waiting`);
    if (this.#counts.error > 0) parts.push(`${this.#counts.error} failed`);
    const line = parts.length > 0 ? `${head}  ${parts.join(" · ")}` : head;
    return truncate(line, width);
  }

  #isFinished(index: number): boolean {
    return index < this.#firstOpen || this.#finishedAbove.has(index);
  }

  #finish(index: number, stage: "done" | "error" | "cancelled"): void {
    this.#active.delete(index);
    this.#counts[stage] += 1;
    this.#finishedAbove.add(index);
    while (this.#finishedAbove.delete(this.#firstOpen)) this.#firstOpen += 1;
  }

  #label(index: number): string {
    return `${this.#noun} ${index + 1}/${this.#totalKnown ? this.#total : `${this.#total}+`}`;
  }

  #plain(index: number, what: string, panel: Panel | undefined): void {
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
