// The storyboard bot: a client's send-text makes each non-empty line a scene, and fal draws them,
// a few at a time, with the images sent back in scene order as RTVI server-messages. Its
// processors, between the session's RTVIProcessor and transport.output():
//
//   ErrorTap (scenes are fed here; ErrorFrames stop here) → FalImageGenService → ClientMessenger
//
// Scenes are fed as TextFrames while fewer than maxConcurrency are in flight, so a settings change
// (an ImageGenUpdateSettingsFrame, applied in frame order) reaches every scene not yet started.
// "stop" pushes an InterruptionFrame, which cancels the requests in flight at fal; the scenes left
// are reported cancelled. A send-text with run_immediately (the client's default) stops the run in
// progress and starts a new one; with run_immediately false its scenes join the current run.
import { describeFailure } from "../../app/describe-failure.js";
import type { BackendKind } from "../../app/backend.js";
import type { Frame } from "../../frames/base.js";
import type { ErrorFrame } from "../../frames/error.js";
import { URLImageRawFrame } from "../../frames/image.js";
import { InterruptionFrame } from "../../frames/lifecycle.js";
import { ImageGenProgressFrame } from "../../frames/progress.js";
import { ImageGenUpdateSettingsFrame } from "../../frames/settings.js";
import { TextFrame } from "../../frames/text.js";
import { FrameDirection } from "../../processors/direction.js";
import { ErrorTap } from "../../processors/error-tap.js";
import type { FrameProcessor } from "../../processors/frame-processor.js";
import type { RTVIProcessor } from "../../processors/frameworks/rtvi/processor.js";
import type { RTVISendTextOptions } from "../../processors/frameworks/rtvi/models.js";
import { FalImageGenService, type FalMode } from "../../services/fal/image.js";
import { FalImageGenSettings } from "../../services/fal/settings.js";
import { SettingsValidationError } from "../../utils/errors.js";
import type { BotContext, LiveBot } from "../bot.js";
import {
  type SceneStage,
  type StoryboardImageMessage,
  type StoryboardProgressMessage,
  type StoryboardRunFinishedMessage,
  type StoryboardScenesMessage,
  type StoryboardSettingsSummary,
  publishImage,
} from "../messages.js";
import { ClientMessenger } from "../messenger.js";
import { parseScenes } from "./scenes.js";
import {
  mergeSettings,
  settingsErrorText,
  settingsFromMessage,
  summarizeSettings,
} from "./settings.js";

/** Scenes at fal at once, per session, by default. */
export const DEFAULT_STORYBOARD_CONCURRENCY = 3;
/** Scenes a session may have waiting or in flight at once, by default. */
export const DEFAULT_MAX_QUEUED_SCENES = 24;

export interface StoryboardBotOptions {
  /** Where images are made (the key stays in the service). */
  backend: { kind: BackendKind; baseUrl: string | undefined; key: string | undefined };
  /** Scenes at fal at once. Default 3. */
  maxConcurrency?: number;
  /** Scenes waiting or in flight at once; a send-text beyond is refused with an error. Default 24. */
  maxQueuedScenes?: number;
  /** fal's queue (default: positions can be shown) or a direct run. */
  mode?: FalMode;
  /** The settings a session starts with. Default landscape_4_3 on fal-ai/fast-sdxl. */
  settings?: FalImageGenSettings;
}

/** A scene's stage as the bot tracks it ("done": its image was sent). */
type Stage = SceneStage | "done";
const FINAL: ReadonlySet<Stage> = new Set(["done", "error", "cancelled"]);

interface Scene {
  prompt: string;
  stage: Stage;
  queuePosition: number | null;
  /** The model in force when the scene was fed. */
  model?: string;
}

interface Run {
  id: number;
  scenes: Scene[];
  /** The next scene to feed. */
  next: number;
  inFlight: Set<number>;
  stopped: boolean;
  finished: boolean;
}

/** What the client's stop request is answered with. */
export interface StoryboardStopResult {
  run: number;
  cancelled: number;
}

/** What a settings request is answered with. */
export interface StoryboardSettingsResult {
  settings: StoryboardSettingsSummary;
  /** The first scene of the current run the change applies to; null with no run in progress. */
  appliesFrom: number | null;
  run: number;
}

/** Maps fal's progress stages to what a client shows. */
function shownStage(stage: string): SceneStage | undefined {
  switch (stage) {
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

export class StoryboardBot implements LiveBot {
  readonly kind = "storyboard" as const;
  readonly rtviOptions: LiveBot["rtviOptions"];
  readonly #context: BotContext;
  readonly #backend: StoryboardBotOptions["backend"];
  readonly #maxConcurrency: number;
  readonly #maxQueued: number;
  readonly #head: ErrorTap;
  readonly #service: FalImageGenService;
  readonly #messenger: ClientMessenger;
  /** The settings the service will have once every update fed is applied (checked here first). */
  #settings: FalImageGenSettings;
  #run: Run | undefined;
  #runIds = 0;
  /** TextFrame id → its run and scene index. */
  readonly #frames = new Map<number, { run: Run; index: number }>();
  /** The scene whose TextFrame last left the service: its image follows. */
  #current: { run: Run; index: number } | undefined;
  #closed = false;

  constructor(context: BotContext, options: StoryboardBotOptions) {
    this.#context = context;
    this.#backend = options.backend;
    this.#maxConcurrency = options.maxConcurrency ?? DEFAULT_STORYBOARD_CONCURRENCY;
    this.#maxQueued = options.maxQueuedScenes ?? DEFAULT_MAX_QUEUED_SCENES;
    this.#service = new FalImageGenService({
      key: options.backend.key,
      baseUrl: options.backend.baseUrl,
      mode: options.mode ?? "queue",
      maxConcurrency: this.#maxConcurrency,
      decode: "deferred",
      settings: options.settings ?? new FalImageGenSettings({ imageSize: "landscape_4_3" }),
    });
    this.#settings = this.#service.settings;
    this.#head = new ErrorTap((frame) => void this.#onError(frame), { name: "StoryboardInput" });
    this.#messenger = new ClientMessenger({
      name: "StoryboardOutput",
      secrets: context.secrets,
      watch: (frame, direction) => this.#watch(frame, direction),
    });
    this.rtviOptions = {
      sendText: (text, sendOptions) => this.acceptText(text, sendOptions),
      about: {
        bot: "storyboard",
        backend: options.backend.kind,
        maxConcurrency: this.#maxConcurrency,
        maxQueuedScenes: this.#maxQueued,
        settings: summarizeSettings(this.#settings),
      },
    };
  }

  processors(): FrameProcessor[] {
    return [this.#head, this.#service, this.#messenger];
  }

  attach(rtvi: RTVIProcessor): void {
    rtvi.onClientMessage("stop", () => this.stop());
    rtvi.onClientMessage("settings", (data) => this.updateSettings(data));
  }

  close(): void {
    this.#closed = true;
    if (this.#run) this.#run.stopped = true;
    this.#frames.clear();
  }

  /** The settings in force for the next scene fed. */
  get settings(): StoryboardSettingsSummary {
    return summarizeSettings(this.#settings);
  }

  // ---------------------------------------------------------------------------------------------
  // What the client asks

  /** A send-text: each non-empty line a scene. */
  async acceptText(text: string, options: Required<RTVISendTextOptions>): Promise<void> {
    if (this.#closed) return;
    const active = this.#run !== undefined && !this.#run.finished ? this.#run : undefined;
    const append = active !== undefined && !options.run_immediately;
    const waiting = append ? active.scenes.length - this.#settledCount(active) : 0;
    const parsed = parseScenes(text, this.#maxQueued - waiting);
    if ("error" in parsed) {
      const more = waiting > 0 ? ` (${waiting} already waiting)` : "";
      await this.#messenger.error(`${parsed.error}${more}`);
      return;
    }
    const settings = summarizeSettings(this.#settings);
    if (append) {
      const from = active.scenes.length;
      for (const prompt of parsed.scenes)
        active.scenes.push({ prompt, stage: "queued", queuePosition: null });
      await this.#say<StoryboardScenesMessage>({
        type: "scenes",
        run: active.id,
        from,
        scenes: parsed.scenes,
        settings,
      });
      await this.#pump(active);
      return;
    }
    if (active !== undefined) await this.stop();
    const run: Run = {
      id: ++this.#runIds,
      scenes: parsed.scenes.map((prompt) => ({ prompt, stage: "queued", queuePosition: null })),
      next: 0,
      inFlight: new Set(),
      stopped: false,
      finished: false,
    };
    this.#run = run;
    await this.#say<StoryboardScenesMessage>({
      type: "scenes",
      run: run.id,
      from: 0,
      scenes: parsed.scenes,
      settings,
    });
    await this.#pump(run);
  }

  /** Stops the run in progress: the requests in flight are cancelled at fal, the rest reported cancelled. */
  async stop(): Promise<StoryboardStopResult> {
    const run = this.#run;
    if (run === undefined || run.finished) return { run: run?.id ?? 0, cancelled: 0 };
    run.stopped = true;
    await this.#head.pushFrame(new InterruptionFrame(), FrameDirection.DOWNSTREAM);
    let cancelled = 0;
    for (const [index, scene] of run.scenes.entries()) {
      if (FINAL.has(scene.stage)) continue;
      scene.stage = "cancelled";
      cancelled += 1;
      await this.#progress(run, index, "cancelled");
    }
    run.inFlight.clear();
    await this.#maybeFinish(run);
    return { run: run.id, cancelled };
  }

  /** Changes the settings of the scenes not yet started; throws (an error-response) naming a bad field. */
  async updateSettings(data: unknown): Promise<StoryboardSettingsResult> {
    let delta: FalImageGenSettings;
    let merged: FalImageGenSettings;
    try {
      delta = settingsFromMessage(data);
      merged = mergeSettings(this.#settings, delta);
    } catch (error) {
      if (error instanceof SettingsValidationError)
        throw new Error(settingsErrorText(error), { cause: error });
      throw error;
    }
    const run = this.#run;
    const open = run !== undefined && !run.finished && !run.stopped;
    const appliesFrom = open && run.next < run.scenes.length ? run.next : null;
    if (Object.keys(delta.givenFields()).length > 0) {
      this.#settings = merged;
      await this.#head.pushFrame(new ImageGenUpdateSettingsFrame(delta), FrameDirection.DOWNSTREAM);
    }
    return { settings: summarizeSettings(this.#settings), appliesFrom, run: run?.id ?? 0 };
  }

  // ---------------------------------------------------------------------------------------------
  // Feeding scenes

  /** Feeds scenes while fewer than maxConcurrency are in flight. */
  async #pump(run: Run): Promise<void> {
    while (
      !run.stopped &&
      !this.#closed &&
      run.next < run.scenes.length &&
      run.inFlight.size < this.#maxConcurrency
    ) {
      const index = run.next++;
      const scene = run.scenes[index] as Scene;
      scene.model = String(this.#settings.model);
      const frame = new TextFrame(scene.prompt);
      this.#frames.set(frame.id, { run, index });
      run.inFlight.add(index);
      await this.#head.pushFrame(frame, FrameDirection.DOWNSTREAM);
    }
    await this.#maybeFinish(run);
  }

  async #settle(run: Run, index: number): Promise<void> {
    run.inFlight.delete(index);
    await this.#pump(run);
  }

  #settledCount(run: Run): number {
    return run.scenes.filter((s) => FINAL.has(s.stage)).length;
  }

  async #maybeFinish(run: Run): Promise<void> {
    if (run.finished || run.scenes.some((s) => !FINAL.has(s.stage))) return;
    run.finished = true;
    // Late frames of a finished run are ignored: forget its prompts.
    for (const [id, entry] of this.#frames) if (entry.run === run) this.#frames.delete(id);
    const count = (stage: Stage): number => run.scenes.filter((s) => s.stage === stage).length;
    await this.#say<StoryboardRunFinishedMessage>({
      type: "run-finished",
      run: run.id,
      stopped: run.stopped,
      images: count("done"),
      errors: count("error"),
      cancelled: count("cancelled"),
    });
  }

  // ---------------------------------------------------------------------------------------------
  // What comes out of the service

  /** Frames leaving the service downstream; false keeps them from the transport. */
  async #watch(frame: Frame, direction: FrameDirection): Promise<boolean> {
    if (direction !== FrameDirection.DOWNSTREAM) return true;
    if (frame instanceof TextFrame) {
      this.#current = this.#frames.get(frame.id);
    } else if (frame instanceof ImageGenProgressFrame) {
      await this.#onProgress(frame);
    } else if (frame instanceof URLImageRawFrame) {
      await this.#onImage(frame);
      return false;
    }
    return true;
  }

  async #onProgress(frame: ImageGenProgressFrame): Promise<void> {
    const entry = this.#frames.get(frame.promptId);
    if (entry === undefined || entry.run.stopped || entry.run !== this.#run) return;
    const scene = entry.run.scenes[entry.index];
    const stage = shownStage(frame.stage);
    if (scene === undefined || stage === undefined || FINAL.has(scene.stage)) return;
    const position = stage === "in_queue" ? (frame.queuePosition ?? null) : null;
    if (scene.stage === stage && scene.queuePosition === position) return;
    scene.stage = stage;
    scene.queuePosition = position;
    await this.#progress(entry.run, entry.index, stage);
  }

  async #onImage(frame: URLImageRawFrame): Promise<void> {
    const entry = this.#current;
    if (entry === undefined || entry.run.stopped || entry.run !== this.#run) return;
    const scene = entry.run.scenes[entry.index];
    if (scene === undefined || FINAL.has(scene.stage)) return;
    scene.stage = "done";
    const image = publishImage(this.#context.images, frame, {
      index: entry.index,
      prompt: scene.prompt,
      model: scene.model ?? null,
    });
    await this.#say<StoryboardImageMessage>({ ...image, run: entry.run.id });
    await this.#settle(entry.run, entry.index);
  }

  async #onError(frame: ErrorFrame): Promise<void> {
    const { message } = describeFailure(frame, {
      model: String(this.#settings.model),
      baseUrl: this.#backend.baseUrl,
      key: this.#backend.key,
    });
    const run = this.#run;
    const entry = frame.promptId === undefined ? undefined : this.#frames.get(frame.promptId);
    if (run === undefined || entry === undefined || entry.run !== run || run.stopped) {
      // An error that answers no scene of the current run (a cancelled one says nothing).
      if (frame.category !== "cancelled") await this.#messenger.error(message);
      return;
    }
    const scene = run.scenes[entry.index] as Scene;
    if (FINAL.has(scene.stage)) return;
    scene.stage = "error";
    const text = this.#messenger.safe(message);
    await this.#progress(run, entry.index, "error", text);
    await this.#messenger.error(`Scene ${entry.index + 1}: ${text}`);
    await this.#settle(run, entry.index);
  }

  // ---------------------------------------------------------------------------------------------
  // Telling the client

  async #progress(run: Run, index: number, stage: SceneStage, error?: string): Promise<void> {
    const scene = run.scenes[index] as Scene;
    const message: StoryboardProgressMessage = {
      type: "progress",
      run: run.id,
      index,
      stage,
      queuePosition: stage === "in_queue" ? scene.queuePosition : null,
    };
    if (error !== undefined) message.error = error;
    await this.#say(message);
  }

  async #say<T>(message: T): Promise<void> {
    await this.#messenger.serverMessage(message);
  }
}

/** Most scenes at fal at once per session. */
export const MAX_STORYBOARD_CONCURRENCY = 16;

/**
 * A factory for the bot server: one StoryboardBot per connection. The options are checked here,
 * once, so a bad one fails at startup rather than at the first connection.
 *
 * @throws SettingsValidationError naming a bad option
 */
export function storyboardBot(
  options: StoryboardBotOptions,
): (context: BotContext) => StoryboardBot {
  const concurrency = options.maxConcurrency ?? DEFAULT_STORYBOARD_CONCURRENCY;
  if (
    !(
      Number.isInteger(concurrency) &&
      concurrency >= 1 &&
      concurrency <= MAX_STORYBOARD_CONCURRENCY
    )
  )
    throw new SettingsValidationError(
      "maxConcurrency",
      concurrency,
      `an integer from 1 to ${MAX_STORYBOARD_CONCURRENCY}`,
    );
  const queued = options.maxQueuedScenes ?? DEFAULT_MAX_QUEUED_SCENES;
  if (!(Number.isInteger(queued) && queued >= 1))
    throw new SettingsValidationError("maxQueuedScenes", queued, "an integer >= 1");
  return (context) => new StoryboardBot(context, options);
}
