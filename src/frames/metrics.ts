// Metrics frames: TTFB, processing time and per-request facts.
import { SystemFrame } from "./base.js";

export interface TTFBMetricsData {
  type: "ttfb";
  processor: string;
  model?: string;
  /** Seconds. */
  value: number;
}

export interface ProcessingMetricsData {
  type: "processing";
  processor: string;
  model?: string;
  /** Seconds. */
  value: number;
}

/** Facts about one image-generation request, for observers and dashboards. */
export interface ImageGenRequestMetricsData {
  type: "image_gen_request";
  processor: string;
  model?: string;
  prompt: string;
  /** fal's request id (x-fal-request-id), when known. */
  requestId?: string;
  /** fal's own timings (e.g. `{ inference: 0.83 }`), seconds. */
  timings?: Record<string, number>;
  seed?: number;
  imageCount: number;
  /** Encoded bytes downloaded (or decoded from data URIs). */
  bytes: number;
  /** True when served from the in-memory cache. */
  cached: boolean;
  attempts: number;
}

export type MetricsData = TTFBMetricsData | ProcessingMetricsData | ImageGenRequestMetricsData;

export class MetricsFrame extends SystemFrame {
  constructor(readonly data: MetricsData[]) {
    super();
  }
}
