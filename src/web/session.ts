// One storyboard session per WebSocket connection: ONE pipeline, Pipeline([ErrorTap,
// FalImageGenService, SessionOutput]), fed one prompt per panel as TextFrames. Prompts are fed a
// few at a time (the service's concurrency), so a settings change (an ImageGenUpdateSettingsFrame,
// applied in frame order) reaches every panel not yet fed. "stop" queues an InterruptionFrame,
// which cancels the work in flight; the panels left are reported "cancelled".
import { describeFailure } from "../app/describe-failure.js";
import { promptProblem } from "../app/prompts.js";
import type { Frame } from "../frames/base.js";
import type { ErrorFrame } from "../frames/error.js";
import { URLImageRawFrame } from "../frames/image.js";
import { InterruptionFrame } from "../frames/lifecycle.js";
import { ImageGenProgressFrame } from "../frames/progress.js";
import { ImageGenUpdateSettingsFrame } from "../frames/settings.js";
import { TextFrame } from "../frames/text.js";
import { FrameDirection } from "../processors/direction.js";
import { ErrorTap } from "../processors/error-tap.js";
import { FrameProcessor } from "../processors/frame-processor.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { PipelineRunner } from "../pipeline/runner.js";
import { PipelineTask } from "../pipeline/task.js";
import { FalImageGenService, type FalMode } from "../services/fal/image.js";
import { validateSettingsForModel } from "../services/fal/models.js";
import { FalImageGenSettings } from "../services/fal/settings.js";
import { parseImageSize, resolveImageSize, type ImageSize } from "../services/image-size.js";
import { isGiven } from "../services/settings.js";
import { SettingsValidationError, describeError } from "../utils/errors.js";
import { logger } from "../utils/logger.js";
import { redactText } from "../utils/secrets.js";
import type { ImageStore } from "./images.js";

/** Limits on what a page may ask for. */
export const MAX_PROMPTS = 24;
export const MAX_PROMPT_CHARS = 600;

export type PanelStage = "queued" | "in_queue" | "in_progress" | "done" | "error" | "cancelled";

export interface SessionBackend {
  baseUrl: string | undefined;
  key: string | undefined;
}

export interface SessionOptions {
  backend: SessionBackend;
  images: ImageStore;
  maxConcurrency: number;
  mode: FalMode;
  /** Sends one message to the page (already JSON-safe). */
  send: (message: Record<string, unknown>) => void;
  /** Strings that must never reach the page (the fal key). */
  secrets: readonly (string | undefined)[];
}

interface Panel {
  prompt: string;
  stage: PanelStage;
  position?: number | null;
  /** Settings in force when the panel was fed (for the caption). */
  model?: string;
}

interface Run {
  id: number;
  panels: Panel[];
  next: number;
  inFlight: Set<number>;
  stopped: boolean;
  finished: boolean;
}

/** The settings a page may send. */
const PAGE_SETTINGS = ["model", "imageSize", "seed"];

/**
 * A page's settings message: { model?, imageSize?, seed? } (seed null or "" = random). Any other
 * key (`__proto__` included) is refused, naming it; a seed is refused as it was written.
 */
export function settingsFromMessage(input: unknown): FalImageGenSettings {
  if (input === undefined || input === null) return new FalImageGenSettings();
  if (typeof input !== "object" || Array.isArray(input))
    throw new SettingsValidationError("settings", input, "an object");
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw))
    if (!PAGE_SETTINGS.includes(key))
      throw new SettingsValidationError(
        "settings",
        key.slice(0, 40),
        `only the keys ${PAGE_SETTINGS.join(", ")}`,
      );
  const init: Record<string, unknown> = {};
  if (typeof raw.model === "string" && raw.model.trim() !== "") init.model = raw.model.trim();
  if (raw.imageSize !== undefined && raw.imageSize !== "") {
    init.imageSize =
      typeof raw.imageSize === "string"
        ? parseImageSize(raw.imageSize, "imageSize")
        : (raw.imageSize as ImageSize);
  }
  if (raw.seed !== undefined) {
    if (raw.seed === null || raw.seed === "") init.seed = null;
    else if (typeof raw.seed === "string") {
      // Refused as written: Number("abc") would show the user "NaN".
      const text = raw.seed.trim();
      if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text)))
        throw new SettingsValidationError(
          "seed",
          raw.seed,
          `an integer 0..${Number.MAX_SAFE_INTEGER}, or empty for a random seed`,
        );
      init.seed = Number(text);
    } else init.seed = raw.seed;
  }
  return new FalImageGenSettings(init);
}

function shownStage(stage: string): PanelStage | undefined {
  switch (stage) {
    case "queued":
      return "queued";
    case "in_queue":
      return "in_queue";
    case "submitted":
    case "in_progress":
    case "downloading":
      return "in_progress";
    default:
      return undefined;
  }
}

class SessionOutput extends FrameProcessor {
  constructor(private readonly session: StoryboardSession) {
    super({ name: "StoryboardOutput" });
  }
  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (direction === FrameDirection.DOWNSTREAM) this.session.onOutput(frame);
    await this.pushFrame(frame, direction);
  }
}

export class StoryboardSession {
  readonly #options: SessionOptions;
  readonly #service: FalImageGenService;
  readonly #task: PipelineTask;
  readonly #running: Promise<void>;
  /** The settings the service will have once every queued update is applied (validated here first). */
  #settings: FalImageGenSettings;
  #run: Run | undefined;
  #runIds = 0;
  /** TextFrame id → [run, panel index]. */
  readonly #frames = new Map<number, { run: Run; index: number }>();
  /** The panel whose TextFrame last left the service: its images follow. */
  #current: { run: Run; index: number } | undefined;
  #closed = false;

  constructor(options: SessionOptions) {
    this.#options = options;
    this.#service = new FalImageGenService({
      key: options.backend.key,
      baseUrl: options.backend.baseUrl,
      mode: options.mode,
      maxConcurrency: options.maxConcurrency,
      decode: "deferred",
      settings: new FalImageGenSettings({ imageSize: "landscape_4_3" }),
    });
    this.#settings = this.#service.settings;
    const pipeline = new Pipeline([
      new ErrorTap((frame) => this.#onError(frame), { name: "StoryboardErrorTap" }),
      this.#service,
      new SessionOutput(this),
    ]);
    this.#task = new PipelineTask(pipeline, { params: { enableMetrics: false } });
    const runner = new PipelineRunner({ handleSigint: false });
    this.#running = runner.run(this.#task).catch((error: unknown) => {
      logger.error(`storyboard session: pipeline failed: ${describeError(error)}`);
    });
  }

  /** Handles one message from the page. */
  async handle(message: unknown): Promise<void> {
    if (this.#closed) return;
    if (typeof message !== "object" || message === null)
      return this.#fail("Messages must be JSON objects.");
    const msg = message as Record<string, unknown>;
    switch (msg.type) {
      case "start":
        return this.#start(msg.prompts, msg.settings);
      case "stop":
        return this.#stop();
      case "settings":
        await this.#updateSettings(msg.settings, true);
        return;
      case "ping":
        this.#options.send({ type: "pong" });
        return;
      default:
        return this.#fail(`Unknown message type ${JSON.stringify(String(msg.type)).slice(0, 40)}.`);
    }
  }

  /** The connection closed: cancel everything. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#run) this.#run.stopped = true;
    await this.#task.cancel();
    await this.#running;
  }

  async #start(promptsInput: unknown, settingsInput: unknown): Promise<void> {
    if (!Array.isArray(promptsInput)) return this.#fail("Start needs a list of prompts.");
    const prompts = promptsInput
      .filter((p): p is string => typeof p === "string")
      .map((p) => p.replace(/\s+/g, " ").trim())
      .filter((p) => p.length > 0);
    if (prompts.length === 0) return this.#fail("Write at least one scene first.");
    if (prompts.length > MAX_PROMPTS)
      return this.#fail(`At most ${MAX_PROMPTS} scenes per storyboard (got ${prompts.length}).`);
    for (const [index, prompt] of prompts.entries()) {
      const problem = promptProblem(prompt, MAX_PROMPT_CHARS);
      if (problem !== undefined) return this.#fail(`Scene ${index + 1} ${problem}.`);
    }
    if (settingsInput !== undefined && !(await this.#updateSettings(settingsInput, false))) return;

    if (this.#run && !this.#run.finished) await this.#stop();
    const run: Run = {
      id: ++this.#runIds,
      panels: prompts.map((prompt) => ({ prompt, stage: "queued" })),
      next: 0,
      inFlight: new Set(),
      stopped: false,
      finished: false,
    };
    this.#run = run;
    this.#options.send({
      type: "started",
      run: run.id,
      prompts,
      settings: this.#settingsSummary(),
    });
    await this.#pump(run);
  }

  /** Feeds prompts while fewer than maxConcurrency are in flight. */
  async #pump(run: Run): Promise<void> {
    while (
      !run.stopped &&
      !this.#closed &&
      run.next < run.panels.length &&
      run.inFlight.size < this.#options.maxConcurrency
    ) {
      const index = run.next++;
      const panel = run.panels[index] as Panel;
      panel.model = String(this.#settings.model);
      const frame = new TextFrame(panel.prompt);
      this.#frames.set(frame.id, { run, index });
      run.inFlight.add(index);
      await this.#task.queueFrame(frame);
    }
    this.#maybeFinish(run);
  }

  async #stop(): Promise<void> {
    const run = this.#run;
    if (!run || run.finished) {
      this.#options.send({ type: "done", run: run?.id ?? 0, stopped: true, ...this.#counts(run) });
      return;
    }
    run.stopped = true;
    await this.#task.queueFrame(new InterruptionFrame());
    for (const [index, panel] of run.panels.entries()) {
      if (panel.stage === "done" || panel.stage === "error" || panel.stage === "cancelled")
        continue;
      panel.stage = "cancelled";
      this.#options.send({ type: "progress", run: run.id, index, stage: "cancelled" });
    }
    run.inFlight.clear();
    this.#maybeFinish(run);
  }

  /** Validates a settings delta against the merged settings, then queues it as an ImageGenUpdateSettingsFrame. */
  async #updateSettings(input: unknown, announce: boolean): Promise<boolean> {
    let delta: FalImageGenSettings;
    let merged: FalImageGenSettings;
    try {
      delta = settingsFromMessage(input);
      merged = this.#settings.copy() as FalImageGenSettings;
      merged.applyUpdate(delta);
      validateSettingsForModel(merged);
    } catch (error) {
      const message =
        error instanceof SettingsValidationError
          ? settingsMessage(error)
          : "Those settings are not valid.";
      this.#fail(message);
      return false;
    }
    if (Object.keys(delta.givenFields()).length === 0) return true;
    this.#settings = merged;
    await this.#task.queueFrame(new ImageGenUpdateSettingsFrame(delta));
    if (announce) {
      const run = this.#run;
      const from = run && !run.finished && !run.stopped ? run.next : undefined;
      this.#options.send({
        type: "settings",
        settings: this.#settingsSummary(),
        appliesFrom: from ?? null,
        run: run?.id ?? 0,
      });
    }
    return true;
  }

  #settingsSummary(): Record<string, unknown> {
    const s = this.#settings;
    const size = isGiven(s.imageSize) ? resolveImageSize(s.imageSize) : undefined;
    return {
      model: String(s.model),
      imageSize: isGiven(s.imageSize) ? s.imageSize : null,
      width: size?.width ?? null,
      height: size?.height ?? null,
      seed: isGiven(s.seed) ? s.seed : null,
    };
  }

  /** Called by SessionOutput for every frame that leaves the service downstream. */
  onOutput(frame: Frame): void {
    if (frame instanceof TextFrame) {
      this.#current = this.#frames.get(frame.id);
    } else if (frame instanceof ImageGenProgressFrame) {
      const entry = this.#frames.get(frame.promptId);
      if (!entry || entry.run.stopped || entry.run !== this.#run) return;
      const panel = entry.run.panels[entry.index];
      const stage = shownStage(frame.stage);
      if (
        !panel ||
        !stage ||
        panel.stage === "done" ||
        panel.stage === "error" ||
        panel.stage === "cancelled"
      )
        return;
      const position = stage === "in_queue" ? (frame.queuePosition ?? null) : null;
      if (panel.stage === stage && panel.position === position) return; // nothing new to show
      panel.stage = stage;
      panel.position = position;
      this.#options.send({
        type: "progress",
        run: entry.run.id,
        index: entry.index,
        stage,
        queuePosition: position,
      });
    } else if (frame instanceof URLImageRawFrame) {
      const entry = this.#current;
      if (!entry || entry.run.stopped || entry.run !== this.#run) return;
      const panel = entry.run.panels[entry.index];
      if (!panel || panel.stage === "done" || panel.stage === "cancelled") return;
      const url = this.#options.images.put({
        bytes: frame.encoded ?? new Uint8Array(0),
        mimeType: frame.mimeType ?? "image/png",
      });
      const fal = (frame.metadata.fal ?? {}) as { seed?: number; requestId?: string };
      panel.stage = "done";
      this.#options.send({
        type: "image",
        run: entry.run.id,
        index: entry.index,
        url,
        width: frame.size.width,
        height: frame.size.height,
        prompt: panel.prompt,
        mimeType: frame.mimeType ?? null,
        bytes: frame.encoded?.byteLength ?? 0,
        seed: fal.seed ?? null,
        model: panel.model ?? null,
        requestId: fal.requestId ?? null,
      });
      this.#settle(entry.run, entry.index);
    }
  }

  #onError(frame: ErrorFrame): void {
    const run = this.#run;
    const { message } = describeFailure(frame, {
      model: String(this.#settings.model),
      baseUrl: this.#options.backend.baseUrl,
      key: this.#options.backend.key,
    });
    const safe = this.#scrub(message);
    if (!run || run.stopped || frame.prompt === undefined) {
      if (frame.category !== "cancelled")
        this.#options.send({ type: "error", run: run?.id ?? 0, index: -1, message: safe });
      return;
    }
    // The panel whose TextFrame this error answers (identical prompts are told apart by frame id).
    const entry = frame.promptId === undefined ? undefined : this.#frames.get(frame.promptId);
    if (!entry || entry.run !== run) return;
    const index = entry.index;
    if (run.panels[index]?.stage === "done" || run.panels[index]?.stage === "error") return;
    const panel = run.panels[index] as Panel;
    panel.stage = "error";
    this.#options.send({ type: "error", run: run.id, index, message: safe });
    this.#settle(run, index);
  }

  #settle(run: Run, index: number): void {
    run.inFlight.delete(index);
    void this.#pump(run);
  }

  #maybeFinish(run: Run): void {
    if (run.finished) return;
    const open = run.panels.some(
      (p) => p.stage !== "done" && p.stage !== "error" && p.stage !== "cancelled",
    );
    if (open) return;
    run.finished = true;
    // Late frames of a finished run are ignored anyway: forget its prompts.
    for (const [id, entry] of this.#frames) if (entry.run === run) this.#frames.delete(id);
    this.#options.send({ type: "done", run: run.id, stopped: run.stopped, ...this.#counts(run) });
  }

  #counts(run: Run | undefined): { images: number; errors: number; cancelled: number } {
    const panels = run?.panels ?? [];
    return {
      images: panels.filter((p) => p.stage === "done").length,
      errors: panels.filter((p) => p.stage === "error").length,
      cancelled: panels.filter((p) => p.stage === "cancelled").length,
    };
  }

  #fail(message: string): void {
    this.#options.send({
      type: "error",
      run: this.#run?.id ?? 0,
      index: -1,
      message: this.#scrub(message),
    });
  }

  #scrub(text: string): string {
    // Keys, and any URL query string (fal file URLs can carry tokens), never reach the page.
    return redactText(text, this.#options.secrets).replace(
      /(https?:\/\/[^\s?"']+)\?[^\s"']*/g,
      "$1",
    );
  }
}

function settingsMessage(error: SettingsValidationError): string {
  const names: Record<string, string> = {
    model: "Model",
    imageSize: "Size",
    "imageSize.width": "Size width",
    "imageSize.height": "Size height",
    seed: "Seed",
    settings: "Settings",
  };
  const root = names[error.field] !== undefined ? error.field : (error.field.split(".")[0] ?? "");
  const value =
    typeof error.value === "object" && error.value !== null
      ? JSON.stringify(error.value)
      : String(error.value);
  return `${names[root] ?? error.field} "${value}" is not valid: expected ${error.allowed.replace(/\.$/, "")}.`;
}
