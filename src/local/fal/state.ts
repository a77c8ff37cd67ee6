// What the handlers of the local fal server share: the job queue, the file store, the counters
// behind stats(), the base of generated URLs, the log and the shutdown signal.
import type { RequestContext } from "../../server/context.js";
import type { TwinRequestStats } from "../twin-kit/stats.js";
import type { FileStore } from "./files.js";
import type { JobQueue } from "./queue.js";
import type { Operation } from "./routes.js";

/** What stats() reports: the requests (as every twin counts them), then the fal twin's work. */
export interface LocalFalStats extends TwinRequestStats<Operation> {
  cancelsReceived: number;
  submitted: number;
  runs: number;
  completed: number;
  cancelled: number;
  errors: number;
  queued: number;
  inProgress: number;
  workers: number;
  imagesRendered: number;
  renderMsTotal: number;
  uploads: number;
  webhooksDelivered: number;
  webhooksFailed: number;
  files: { count: number; bytes: number; evictions: number };
}

/** The server's own counters (the queue, file store and webhook sender keep theirs). */
export type LocalFalCounters = Pick<
  LocalFalStats,
  | "requests"
  | "refused"
  | "byOperation"
  | "byStatus"
  | "unauthorized"
  | "cancelsReceived"
  | "faultsInjected"
  | "imagesRendered"
  | "renderMsTotal"
  | "uploads"
>;

export interface LocalFalState {
  readonly queue: JobQueue;
  readonly files: FileStore;
  readonly counters: LocalFalCounters;
  /** Interval of `: keepalive` comments on status streams. */
  readonly keepaliveMs: number;
  /** Requests that may wait for a worker; beyond it, 429. */
  readonly maxQueuedRequests: number;
  /** Aborts when the server begins to close: open status streams end at once. */
  readonly shutdown: AbortSignal;
  /** Base of generated URLs, without a trailing slash ("" until the server knows its address). */
  baseUrl(): string;
  /**
   * Base of the URLs handed to this request's client: publicUrl when set, else the Host the
   * client used (already checked by the host guard), else baseUrl().
   */
  baseUrlFor(context: RequestContext): string;
  log(line: string): void;
}
