// Runtime settings updates, applied in frame order (Pipecat has none for image services).
import { ControlFrame } from "./base.js";
import type { NamedSource } from "./error.js";

/** The part of ServiceSettings a frame needs to know about (avoids an import cycle). */
export interface SettingsDelta {
  givenFields(): Record<string, unknown>;
}

export interface ServiceUpdateSettingsFrameOptions {
  /** Only this service applies the update; others forward it. Default: every service of the type. */
  service?: NamedSource;
}

export class ServiceUpdateSettingsFrame<
  TDelta extends SettingsDelta = SettingsDelta,
> extends ControlFrame {
  readonly service: NamedSource | undefined;
  constructor(
    readonly delta: TDelta,
    options: ServiceUpdateSettingsFrameOptions = {},
  ) {
    super();
    this.service = options.service;
  }
  override get uninterruptible(): boolean {
    return true;
  }
}

/** Changes an image service's settings for the prompts after it. */
export class ImageGenUpdateSettingsFrame<
  TDelta extends SettingsDelta = SettingsDelta,
> extends ServiceUpdateSettingsFrame<TDelta> {}

/** Changes an LLM service's settings for the requests after it. */
export class LLMUpdateSettingsFrame<
  TDelta extends SettingsDelta = SettingsDelta,
> extends ServiceUpdateSettingsFrame<TDelta> {}

/** Changes a TTS service's settings for the text after it. */
export class TTSUpdateSettingsFrame<
  TDelta extends SettingsDelta = SettingsDelta,
> extends ServiceUpdateSettingsFrame<TDelta> {}
