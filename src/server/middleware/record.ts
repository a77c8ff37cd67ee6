// Request recording: a bounded ring of what clients sent (the twin decides the shape of an entry),
// with the answered status filled in once the answer has gone out, and secrets redacted before
// anything is stored.
import type { Middleware } from "../compose.js";
import type { RequestContext } from "../context.js";

/** Headers that carry credentials and are never recorded. */
export const CREDENTIAL_HEADERS: readonly string[] = [
  "authorization",
  "proxy-authorization",
  "x-api-key",
];

/** The least a recorded request has: its answered status, filled in when the answer is sent. */
export interface RecordedEntry {
  /** HTTP status answered (undefined while pending, or when the connection was dropped). */
  status?: number;
}

/** The newest `max` recorded requests, in a ring: recording one costs the same when it is full. */
export class RequestRecorder<Entry extends RecordedEntry> {
  readonly #max: number;
  readonly #entries: Entry[] = [];
  /** Where the oldest entry is, once the ring is full. */
  #oldest = 0;

  /** @param max how many entries to keep (the oldest go first) */
  constructor(max: number) {
    this.#max = Math.max(0, Math.floor(max));
  }

  /** False when nothing is kept (max 0): callers may skip describing requests. */
  get recording(): boolean {
    return this.#max > 0;
  }

  push(entry: Entry): void {
    if (this.#max === 0) return;
    if (this.#entries.length < this.#max) {
      this.#entries.push(entry);
      return;
    }
    this.#entries[this.#oldest] = entry;
    this.#oldest = (this.#oldest + 1) % this.#max;
  }

  /** Copies of the entries, oldest first. */
  list(): Entry[] {
    const ordered = [...this.#entries.slice(this.#oldest), ...this.#entries.slice(0, this.#oldest)];
    return ordered.map((entry) => structuredClone(entry));
  }

  clear(): void {
    this.#entries.length = 0;
    this.#oldest = 0;
  }
}

export interface RecordRequestsOptions<Entry extends RecordedEntry> {
  recorder: RequestRecorder<Entry>;
  /**
   * Builds the entry. `body` is the request body, or undefined when there was none or it could
   * not be read (too large).
   */
  describe: (request: Request, context: RequestContext, body: Uint8Array | undefined) => Entry;
  /** Cleans an entry before it is stored (e.g. `redactor.value`); default none. */
  redact?: (entry: Entry) => Entry;
}

/**
 * The request's headers as a plain object, without the credential headers.
 *
 * @example
 * ```ts
 * recordedHeaders(new Headers({ authorization: "Key k", accept: "text/html" })); // { accept: "text/html" }
 * ```
 */
export function recordedHeaders(
  headers: Headers,
  omit: readonly string[] = CREDENTIAL_HEADERS,
): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!omit.includes(name)) out[name] = value;
  });
  return out;
}

/**
 * Records every request that reaches it. It reads the body first (through `context.body()`, so
 * within the body limit); a body that fails to read is recorded as absent, and the failure (an
 * oversized body's 413) then answers the request.
 *
 * @example
 * ```ts
 * const recorder = new RequestRecorder<{ path: string; status?: number }>(100);
 * const app = createApp({
 *   middleware: [recordRequests({ recorder, describe: (request, context) => ({ path: context.target }) })],
 *   handler: () => new Response(null, { status: 204 }),
 * });
 * await app.request("/ping");
 * recorder.list(); // [{ path: "/ping", status: 204 }]
 * ```
 */
export function recordRequests<Entry extends RecordedEntry>(
  options: RecordRequestsOptions<Entry>,
): Middleware {
  const { recorder, describe, redact } = options;
  return async function recordRequests(request, context, next) {
    let body: Uint8Array | undefined;
    let failure: { error: unknown } | undefined;
    if (context.hasBody) {
      try {
        body = await context.body();
      } catch (error) {
        failure = { error };
      }
    }
    // The body is read either way, so that an oversized one is answered here (413) whether or
    // not anything is kept.
    if (recorder.recording) {
      const described = describe(request, context, body);
      const entry = redact ? redact(described) : described;
      recorder.push(entry);
      context.onFinish((response) => {
        entry.status = response.status;
      });
    }
    if (failure) throw failure.error;
    return next();
  };
}
