// Request store and simulated GPU workers. Every request (queue submit or sync run) waits for a
// free worker (IN_QUEUE, with a queue position = number of requests ahead), then runs
// (IN_PROGRESS) and ends COMPLETED with a result that is either the output or an error to replay.
import { randomUUID } from "node:crypto";
import { describeError } from "../../utils/errors.js";

export type QueueStatusName = "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED";

export interface LogEntry {
  message: string;
  level: "STDERR" | "STDOUT" | "ERROR" | "INFO" | "WARN" | "DEBUG";
  source: "USER";
  timestamp: string;
}

/** What the result endpoint (or a sync run) answers for a finished request. */
export interface JobResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** For the status body / webhook when the result is an error. */
  error?: string;
  errorType?: string;
}

export interface Job {
  id: string;
  /** Full endpoint id, e.g. fal-ai/flux/dev. */
  model: string;
  /** `[namespace/]owner/alias`, e.g. fal-ai/flux. */
  app: string;
  kind: "queue" | "run";
  /** Parsed request body (validated by the executor). */
  body: unknown;
  status: QueueStatusName;
  logs: LogEntry[];
  createdAt: number;
  startedAt?: number;
  completedAt?: number;
  result?: JobResult;
  inferenceSeconds?: number;
  webhookUrl?: string;
  /** Base of the URLs generated for this request (the one its client used); default the server's. */
  baseUrl?: string;
  /** Changes (status, queue position, logs) are announced to these listeners. */
  readonly listeners: Set<() => void>;
  /** Resolves when the job is COMPLETED. */
  readonly done: Promise<void>;
}

interface JobInternals {
  resolveDone: () => void;
  abort?: AbortController;
  holdsWorker: boolean;
  startTimer?: NodeJS.Timeout;
}

export interface ExecutionContext {
  signal: AbortSignal;
  log(message: string, level?: LogEntry["level"]): void;
}

export type Executor = (job: Job, ctx: ExecutionContext) => Promise<JobResult>;

export interface JobQueueOptions {
  workers: number;
  execute: Executor;
  /** Called once per job when it becomes COMPLETED (after listeners). */
  onComplete?: (job: Job) => void;
  /** How many finished queue requests to keep for status/result (oldest dropped first). */
  maxRetained?: number;
  /**
   * How many bytes of finished results (as JSON) to keep, oldest dropped first; the newest is
   * always kept. Default 256 MiB: sync_mode results carry their images as data URIs.
   */
  maxRetainedBytes?: number;
}

const DEFAULT_MAX_RETAINED = 5000;
const DEFAULT_MAX_RETAINED_BYTES = 256 * 1024 * 1024;

export type CancelOutcome = "CANCELLATION_REQUESTED" | "ALREADY_COMPLETED" | "NOT_FOUND";

export const CANCELLED_RESULT: JobResult = {
  status: 499,
  body: { detail: "Request was cancelled", error_type: "client_cancelled" },
  headers: { "x-fal-error-type": "client_cancelled" },
  error: "Request was cancelled",
  errorType: "client_cancelled",
};

export class JobQueue {
  private readonly jobs = new Map<string, Job>();
  private readonly internals = new WeakMap<Job, JobInternals>();
  private readonly waiting: Job[] = [];
  /**
   * Each waiting job's position, rebuilt once after the queue changes: every status stream asks
   * for its job's position on every change, and an indexOf each would make a long queue cost
   * O(n²) per change.
   */
  private positions: Map<Job, number> | undefined;
  /** Finished queue requests still kept, oldest first, with the size of their result. */
  private readonly finishedOrder: Array<{ id: string; bytes: number }> = [];
  private retainedBytes = 0;
  private running = 0;
  private closed = false;
  private readonly maxRetained: number;
  private readonly maxRetainedBytes: number;
  counters = { submitted: 0, runs: 0, completed: 0, cancelled: 0, errors: 0 };

  constructor(private readonly options: JobQueueOptions) {
    this.maxRetained = options.maxRetained ?? DEFAULT_MAX_RETAINED;
    this.maxRetainedBytes = options.maxRetainedBytes ?? DEFAULT_MAX_RETAINED_BYTES;
  }

  get workers(): number {
    return this.options.workers;
  }

  /** Counts of requests by state (queue and run requests). */
  get depth(): { queued: number; inProgress: number } {
    return { queued: this.waiting.length, inProgress: this.running };
  }

  /** Creates and enqueues a job. `startTimeoutSeconds` completes it with a 504 if it has not started in time. */
  enqueue(init: {
    model: string;
    app: string;
    kind: "queue" | "run";
    body: unknown;
    webhookUrl?: string;
    baseUrl?: string;
    startTimeoutSeconds?: number;
  }): Job {
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const job: Job = {
      id: randomUUID(),
      model: init.model,
      app: init.app,
      kind: init.kind,
      body: init.body,
      status: "IN_QUEUE",
      logs: [],
      createdAt: Date.now(),
      listeners: new Set(),
      done,
    };
    if (init.webhookUrl !== undefined) job.webhookUrl = init.webhookUrl;
    if (init.baseUrl !== undefined) job.baseUrl = init.baseUrl;
    const internals: JobInternals = { resolveDone, holdsWorker: false };
    this.internals.set(job, internals);
    if (init.kind === "queue") {
      this.jobs.set(job.id, job);
      this.counters.submitted += 1;
    } else this.counters.runs += 1;
    if (this.closed) {
      this.complete(job, { status: 503, body: { detail: "Server is shutting down" } });
      return job;
    }
    this.waiting.push(job);
    this.positions = undefined;
    if (init.startTimeoutSeconds !== undefined && init.startTimeoutSeconds > 0) {
      internals.startTimer = setTimeout(
        () => this.expireStart(job),
        init.startTimeoutSeconds * 1000,
      );
      internals.startTimer.unref?.();
    }
    this.pump();
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Number of requests ahead of this one, or undefined when it is not waiting. */
  position(job: Job): number | undefined {
    if (!this.positions) {
      this.positions = new Map();
      for (const [i, waiting] of this.waiting.entries()) this.positions.set(waiting, i);
    }
    return this.positions.get(job);
  }

  cancel(id: string): CancelOutcome {
    const job = this.jobs.get(id);
    if (!job) return "NOT_FOUND";
    return this.cancelJob(job);
  }

  cancelJob(job: Job): CancelOutcome {
    if (job.status === "COMPLETED") return "ALREADY_COMPLETED";
    this.counters.cancelled += 1;
    this.stop(job, CANCELLED_RESULT);
    return "CANCELLATION_REQUESTED";
  }

  /** Stops every job (no webhooks) and refuses new ones; used by close(). */
  close(): void {
    this.closed = true;
    const all = new Set<Job>([...this.waiting, ...this.jobs.values()]);
    for (const job of all) {
      const internals = this.internals.get(job);
      if (internals?.startTimer) clearTimeout(internals.startTimer);
      if (job.status !== "COMPLETED")
        this.stop(job, { status: 503, body: { detail: "Server is shutting down" } }, false);
    }
  }

  /** Ends a job that is queued or running with the given result. */
  private stop(job: Job, result: JobResult, notifyCompletion = true): void {
    const internals = this.internals.get(job);
    const i = this.waiting.indexOf(job);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      this.positions = undefined;
      this.notifyWaiting(i);
    }
    if (internals?.holdsWorker) {
      internals.holdsWorker = false;
      this.running -= 1;
      internals.abort?.abort(new Error("cancelled"));
    }
    this.complete(job, result, notifyCompletion);
    this.pump();
  }

  private expireStart(job: Job): void {
    if (job.status !== "IN_QUEUE") return;
    this.stop(job, {
      status: 504,
      body: { detail: "Request timed out before it could start", error_type: "startup_timeout" },
      headers: { "x-fal-request-timeout-type": "user", "x-fal-error-type": "startup_timeout" },
      error: "Request timed out before it could start",
      errorType: "startup_timeout",
    });
  }

  private pump(): void {
    while (!this.closed && this.running < this.options.workers && this.waiting.length > 0) {
      const job = this.waiting.shift() as Job;
      this.positions = undefined;
      this.start(job);
      this.notifyWaiting(0);
    }
  }

  /** Tells the waiting jobs from index `from` on that their queue position changed. */
  private notifyWaiting(from: number): void {
    for (let i = from; i < this.waiting.length; i += 1) notify(this.waiting[i] as Job);
  }

  private start(job: Job): void {
    const internals = this.internals.get(job) as JobInternals;
    if (internals.startTimer) clearTimeout(internals.startTimer);
    internals.holdsWorker = true;
    internals.abort = new AbortController();
    this.running += 1;
    job.status = "IN_PROGRESS";
    job.startedAt = Date.now();
    notify(job);
    const signal = internals.abort.signal;
    const ctx: ExecutionContext = {
      signal,
      log: (message, level = "INFO") => {
        if (signal.aborted || job.status !== "IN_PROGRESS") return;
        job.logs.push({ message, level, source: "USER", timestamp: new Date().toISOString() });
        notify(job);
      },
    };
    let promise: Promise<JobResult>;
    try {
      promise = this.options.execute(job, ctx);
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (result) => this.finish(job, result),
      (error: unknown) => {
        if (signal.aborted) return;
        ctx.log(`Unhandled error: ${describeError(error)}`, "ERROR");
        this.finish(job, {
          status: 500,
          body: { detail: "Internal Server Error" },
          error: "Internal Server Error",
          errorType: "runner_server_error",
        });
      },
    );
  }

  private finish(job: Job, result: JobResult): void {
    const internals = this.internals.get(job) as JobInternals;
    if (job.status === "COMPLETED" || !internals.holdsWorker) return; // cancelled meanwhile
    internals.holdsWorker = false;
    this.running -= 1;
    this.complete(job, result);
    this.pump();
  }

  private complete(job: Job, result: JobResult, notifyCompletion = true): void {
    if (job.status === "COMPLETED") return;
    job.status = "COMPLETED";
    job.completedAt = Date.now();
    job.result = result;
    if (job.inferenceSeconds === undefined) {
      job.inferenceSeconds =
        job.startedAt !== undefined ? (job.completedAt - job.startedAt) / 1000 : 0;
    }
    this.counters.completed += 1;
    if (result.status >= 400) this.counters.errors += 1;
    notify(job);
    job.listeners.clear();
    // The input has been used: a retained request keeps only its result.
    job.body = undefined;
    this.internals.get(job)?.resolveDone();
    if (job.kind === "queue") this.retain(job, result);
    if (notifyCompletion) this.options.onComplete?.(job);
  }

  /** Keeps a finished queue request for status/result within the count and byte budgets. */
  private retain(job: Job, result: JobResult): void {
    const bytes = resultBytes(result);
    this.finishedOrder.push({ id: job.id, bytes });
    this.retainedBytes += bytes;
    while (
      this.finishedOrder.length > 1 &&
      (this.finishedOrder.length > this.maxRetained || this.retainedBytes > this.maxRetainedBytes)
    ) {
      const old = this.finishedOrder.shift() as { id: string; bytes: number };
      this.retainedBytes -= old.bytes;
      this.jobs.delete(old.id);
    }
  }
}

/** Roughly how much memory a result holds: the length of its JSON. */
function resultBytes(result: JobResult): number {
  try {
    return JSON.stringify(result.body ?? null).length;
  } catch {
    return 0;
  }
}

function notify(job: Job): void {
  for (const listener of [...job.listeners]) {
    try {
      listener();
    } catch {
      // listeners must not break the queue
    }
  }
}
