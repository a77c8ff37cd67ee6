// Per-processor metrics: time to first byte (TTFB) and processing time, in seconds.
import type { ProcessingMetricsData, TTFBMetricsData } from "../frames/metrics.js";
import { monotonicMs as nowMs } from "../utils/clock.js";

export class FrameProcessorMetrics {
  /** With this on, only the first TTFB measurement of the processor's life is reported. */
  reportOnlyInitialTtfb = false;
  #ttfbStart: number | undefined;
  #ttfbReported = false;
  #processingStart: number | undefined;

  constructor(readonly processorName: string) {}

  get ttfbRunning(): boolean {
    return this.#ttfbStart !== undefined;
  }

  get processingRunning(): boolean {
    return this.#processingStart !== undefined;
  }

  startTtfb(): void {
    if (this.reportOnlyInitialTtfb && this.#ttfbReported) return;
    this.#ttfbStart = nowMs();
  }

  /** Closes the open TTFB measurement; undefined when none was open (only the first stop after a start reports). */
  stopTtfb(model?: string): TTFBMetricsData | undefined {
    if (this.#ttfbStart === undefined) return undefined;
    const value = (nowMs() - this.#ttfbStart) / 1000;
    this.#ttfbStart = undefined;
    this.#ttfbReported = true;
    const data: TTFBMetricsData = { type: "ttfb", processor: this.processorName, value };
    if (model !== undefined) data.model = model;
    return data;
  }

  /** Discards the open TTFB measurement. */
  cancelTtfb(): void {
    this.#ttfbStart = undefined;
  }

  startProcessing(): void {
    this.#processingStart = nowMs();
  }

  stopProcessing(model?: string): ProcessingMetricsData | undefined {
    if (this.#processingStart === undefined) return undefined;
    const value = (nowMs() - this.#processingStart) / 1000;
    this.#processingStart = undefined;
    const data: ProcessingMetricsData = {
      type: "processing",
      processor: this.processorName,
      value,
    };
    if (model !== undefined) data.model = model;
    return data;
  }

  cancelProcessing(): void {
    this.#processingStart = undefined;
  }
}
