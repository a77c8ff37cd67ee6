// What the bots tell a Pipecat client beyond RTVI's own messages: the `data` of RTVI
// `server-message`s (the client's onServerMessage). RTVI has no image message, so an image is a
// server-message whose url is a path on the bot's own HTTP server. Every field name here is part
// of the contract documented in the README ("Live: Pipecat clients").
import type { URLImageRawFrame } from "../frames/image.js";
import type { SessionImages } from "./images.js";

/** An image, in the order the bot made them (scene order; month order). */
export interface BotImageMessage {
  type: "image";
  /** A same-origin path (`/images/<id>.png`) served by the bot; never fal's URL. */
  url: string;
  width: number;
  height: number;
  /** The prompt the image was made from (a scene; a month's sentence). */
  prompt: string;
  /** The scene's index in its run (storyboard) or the month's index (calendar), from 0. */
  index: number;
  /** The seed fal used, when it said. */
  seed: number | null;
  /** The model that made it. */
  model: string | null;
  mimeType: string;
  bytes: number;
}

/** Storyboard: scenes were accepted into a run (`from` 0 = a new run). */
export interface StoryboardScenesMessage {
  type: "scenes";
  run: number;
  /** Index of the first scene given here. */
  from: number;
  scenes: string[];
  settings: StoryboardSettingsSummary;
}

/** The stages a storyboard scene shows. "done" is its image message. */
export type SceneStage = "queued" | "in_queue" | "in_progress" | "error" | "cancelled";

/** Storyboard: a scene moved on. */
export interface StoryboardProgressMessage {
  type: "progress";
  run: number;
  index: number;
  stage: SceneStage;
  /** fal's queue position while `in_queue` (0 = next), else null. */
  queuePosition: number | null;
  /** Why the scene failed, for `error`. */
  error?: string;
}

/** Storyboard: every scene of the run is done, failed or cancelled. */
export interface StoryboardRunFinishedMessage {
  type: "run-finished";
  run: number;
  /** True when a stop (or a new run) cut it short. */
  stopped: boolean;
  images: number;
  errors: number;
  cancelled: number;
}

/** The storyboard's image settings in force, as a client shows them. */
export interface StoryboardSettingsSummary {
  model: string;
  /** The preset name or { width, height } as given, or null for the model's default. */
  imageSize: unknown;
  width: number | null;
  height: number | null;
  /** null = a random seed per image. */
  seed: number | null;
  numInferenceSteps: number | null;
}

/** Storyboard: the image message of a scene (`run` added). */
export interface StoryboardImageMessage extends BotImageMessage {
  run: number;
}

/** Calendar: the image message of a month (`month` added); sent as that month's audio starts. */
export interface CalendarImageMessage extends BotImageMessage {
  month: string;
}

/** What every image message carries beyond the frame itself. */
export interface ImageFacts {
  index: number;
  prompt: string;
  model: string | null;
}

/**
 * Publishes a generated image in the session's store and builds its message. The url is a path
 * on the bot's server: fal's URL stays here.
 */
export function publishImage(
  images: SessionImages,
  frame: URLImageRawFrame,
  facts: ImageFacts,
): BotImageMessage {
  const bytes = frame.encoded ?? new Uint8Array(0);
  const mimeType = frame.mimeType ?? "image/png";
  const fal = (frame.metadata.fal ?? {}) as { seed?: unknown };
  return {
    type: "image",
    url: images.put({ bytes, mimeType }),
    width: frame.size.width,
    height: frame.size.height,
    prompt: facts.prompt,
    index: facts.index,
    seed: typeof fal.seed === "number" ? fal.seed : null,
    model: facts.model,
    mimeType,
    bytes: bytes.byteLength,
  };
}
