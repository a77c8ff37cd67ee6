// AIService: a FrameProcessor with a settings store that can change at runtime.
import type { Frame } from "../frames/base.js";
import { CancelFrame, EndFrame, StartFrame } from "../frames/lifecycle.js";
import type { FrameDirection } from "../processors/direction.js";
import { FrameProcessor, type FrameProcessorOptions } from "../processors/frame-processor.js";
import { logger } from "../utils/logger.js";
import type { SettingsMapping } from "../frames/settings.js";
import { isGiven, toSettingsDelta, type ServiceSettings, type SettingsClass } from "./settings.js";
import { describeError } from "../utils/errors.js";

export interface AIServiceOptions<S extends ServiceSettings> extends FrameProcessorOptions {
  /** The complete settings store (every field given). */
  settings: S;
}

export class AIService<S extends ServiceSettings> extends FrameProcessor {
  #settings: S;

  constructor(options: AIServiceOptions<S>) {
    super(options);
    this.#settings = options.settings;
    this.syncMetricsModel();
  }

  /** A copy of the current settings (the store itself is private so changes go through updateSettings). */
  get settings(): S {
    return this.#settings.copy() as S;
  }

  /** The live store, for subclasses that only read it. */
  protected get settingsStore(): S {
    return this.#settings;
  }

  /**
   * Applies a delta (only its given fields) and returns the changed fields' previous values.
   * `delta` is a settings object or a plain object of fields (`{ imageSize: "square" }`, snake_case
   * accepted), converted with the settings class's `fromMapping`. The result is validated first
   * (validateSettings): on a bad value nothing changes and the SettingsValidationError naming the
   * field is thrown; so it is for a delta that is neither. Any real change makes the service usable
   * again.
   */
  async updateSettings(delta: ServiceSettings | SettingsMapping): Promise<Record<string, unknown>> {
    const next = this.#settings.copy() as S;
    const changed = next.applyUpdate(
      toSettingsDelta(this.#settingsClass(), delta, this.#shownAs()),
    );
    if (Object.keys(changed).length === 0) return changed;
    this.validateSettings(next);
    this.#settings = next;
    if ("model" in changed) this.syncMetricsModel();
    logger.info(`${this.name}: updated settings fields: ${Object.keys(changed).join(", ")}`);
    await this.setUsable(true);
    return changed;
  }

  /** Hook: throw a SettingsValidationError if `settings` is not acceptable. */
  protected validateSettings(_settings: S): void {}

  /** Called when the StartFrame is processed. Logs fields left NOT_GIVEN in the store. */
  protected async start(_frame: StartFrame): Promise<void> {
    const missing = this.#settings.validateComplete();
    if (missing.length > 0)
      logger.error(`${this.name}: settings fields not given: ${missing.join(", ")}`);
  }

  /** Called when the EndFrame is processed, in order. */
  protected async stop(_frame: EndFrame): Promise<void> {}

  /** Called at once when a CancelFrame arrives. */
  protected async cancel(_frame: CancelFrame): Promise<void> {}

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    // Lifecycle hook failures are logged, not pushed (as in Pipecat): the frame must still go on.
    try {
      if (frame instanceof StartFrame) await this.start(frame);
      else if (frame instanceof EndFrame) await this.stop(frame);
      else if (frame instanceof CancelFrame) await this.cancel(frame);
    } catch (error) {
      logger.error(`${this.name}: lifecycle hook failed: ${describeError(error)}`);
    }
  }

  #settingsClass(): SettingsClass {
    return this.#settings.constructor as SettingsClass;
  }

  /** How users write the settings class: `FalImageGenService.Settings` when the service names it. */
  #shownAs(): string {
    const service = this.constructor as { name: string; Settings?: unknown };
    const cls = this.#settingsClass();
    return service.Settings === cls ? `${service.name}.Settings` : cls.name;
  }

  private syncMetricsModel(): void {
    const model = this.#settings.model;
    this.metricsModel = isGiven(model) && typeof model === "string" ? model : undefined;
  }
}
