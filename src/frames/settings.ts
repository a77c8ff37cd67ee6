// Runtime settings updates, applied in frame order (Pipecat has none for image services).
import { ControlFrame } from "./base.js";
import type { NamedSource } from "./error.js";

/** The part of ServiceSettings a frame needs to know about (avoids an import cycle). */
export interface SettingsDelta {
  givenFields(): Record<string, unknown>;
}

/**
 * A settings update written as a plain object (`{ imageSize: "square" }`), as JavaScript users
 * write it. The service turns it into its settings class with `fromMapping` (camelCase or
 * snake_case keys), validated like any other update.
 */
export type SettingsMapping = Readonly<Record<string, unknown>>;

export interface ServiceUpdateSettingsFrameOptions {
  /** Only this service applies the update; others forward it. Default: every service of the type. */
  service?: NamedSource;
}

export class ServiceUpdateSettingsFrame<
  TDelta extends SettingsDelta | SettingsMapping = SettingsDelta | SettingsMapping,
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
  TDelta extends SettingsDelta | SettingsMapping = SettingsDelta | SettingsMapping,
> extends ServiceUpdateSettingsFrame<TDelta> {}

/** Changes an LLM service's settings for the requests after it. */
export class LLMUpdateSettingsFrame<
  TDelta extends SettingsDelta | SettingsMapping = SettingsDelta | SettingsMapping,
> extends ServiceUpdateSettingsFrame<TDelta> {}

/** Changes a TTS service's settings for the text after it. */
export class TTSUpdateSettingsFrame<
  TDelta extends SettingsDelta | SettingsMapping = SettingsDelta | SettingsMapping,
> extends ServiceUpdateSettingsFrame<TDelta> {}
