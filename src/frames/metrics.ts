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

/** Tokens one LLM request used (Pipecat's LLMTokenUsage). */
export interface LLMTokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheCreationInputTokens?: number;
  reasoningTokens?: number;
}

/** An LLM request's token usage (Pipecat's LLMUsageMetricsData). */
export interface LLMUsageMetricsData {
  type: "llm_usage";
  processor: string;
  model?: string;
  value: LLMTokenUsage;
}

/** Characters a TTS request synthesized (Pipecat's TTSUsageMetricsData). */
export interface TTSUsageMetricsData {
  type: "tts_usage";
  processor: string;
  model?: string;
  /** Characters. */
  value: number;
}

export type MetricsData =
  | TTFBMetricsData
  | ProcessingMetricsData
  | ImageGenRequestMetricsData
  | LLMUsageMetricsData
  | TTSUsageMetricsData;

export class MetricsFrame extends SystemFrame {
  constructor(readonly data: MetricsData[]) {
    super();
  }
}
