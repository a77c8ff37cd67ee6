// BaseInputTransport (Pipecat's transports/base_input.py, without VAD or filters): brings what the
// client sends into the pipeline. Audio is pushed downstream only when audioInEnabled (and
// audioInPassthrough); everything else a transport receives is pushed as it comes. A StopFrame
// pauses input until the next StartFrame.
import { InputAudioRawFrame } from "../frames/audio.js";
import type { Frame } from "../frames/base.js";
import { CancelFrame, EndFrame, StartFrame, StopFrame } from "../frames/lifecycle.js";
import type { FrameDirection } from "../processors/direction.js";
import { FrameProcessor, type FrameProcessorOptions } from "../processors/frame-processor.js";
import {
  resolveTransportParams,
  type ResolvedTransportParams,
  type TransportParams,
} from "./params.js";

export class BaseInputTransport extends FrameProcessor {
  protected readonly params: ResolvedTransportParams;
  #sampleRate = 0;
  #paused = false;

  constructor(params: TransportParams = {}, options: FrameProcessorOptions = {}) {
    super(options);
    this.params = resolveTransportParams(params);
  }

  /** The input sample rate (known once the StartFrame arrived). */
  get sampleRate(): number {
    return this.#sampleRate;
  }

  /** True after a StopFrame, until the next StartFrame. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Called after the StartFrame was pushed on; transports start receiving here. */
  protected async start(_frame: StartFrame): Promise<void> {}

  /** Called after the EndFrame was pushed on; transports stop receiving here. */
  protected async stop(_frame: EndFrame): Promise<void> {}

  /** Called before the CancelFrame is pushed on. */
  protected async cancel(_frame: CancelFrame): Promise<void> {}

  /** Pushes client audio downstream when audio input is enabled and not paused. */
  async pushAudioFrame(frame: InputAudioRawFrame): Promise<void> {
    if (this.params.audioInEnabled && this.params.audioInPassthrough && !this.#paused)
      await this.pushFrame(frame);
  }

  /** Pushes any other frame a transport received, unless paused. */
  protected async pushReceivedFrame(frame: Frame): Promise<void> {
    if (!this.#paused) await this.pushFrame(frame);
  }

  override async processFrame(
    frame: Frame,
    direction: FrameDirection,
    signal: AbortSignal,
  ): Promise<void> {
    await super.processFrame(frame, direction, signal);
    if (frame instanceof StartFrame) {
      await this.pushFrame(frame, direction);
      this.#sampleRate = this.params.audioInSampleRate ?? frame.audioInSampleRate;
      this.#paused = false;
      await this.start(frame);
    } else if (frame instanceof CancelFrame) {
      await this.cancel(frame);
      await this.pushFrame(frame, direction);
    } else if (frame instanceof InputAudioRawFrame) {
      // Audio injected from upstream (e.g. RTVI raw audio) takes the client audio's path.
      await this.pushAudioFrame(frame);
    } else if (frame instanceof EndFrame) {
      await this.pushFrame(frame, direction);
      await this.stop(frame);
    } else if (frame instanceof StopFrame) {
      await this.pushFrame(frame, direction);
      this.#paused = true;
    } else {
      await this.pushFrame(frame, direction);
    }
  }
}
