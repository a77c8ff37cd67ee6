// A Server-Sent Events reader (the text/event-stream format of the HTML spec), provider-neutral:
// fal's queue status stream and OpenAI's chat completions both use it. ServerSentEventParser is the
// incremental parser (text in, events out; any split of the input gives the same events), and
// readServerSentEvents() drives it from a fetch body, decoding UTF-8 across chunk boundaries, with
// an optional end marker (OpenAI's `data: [DONE]`) after which it stops reading.
import { PipecatError, brandErrorClass } from "./errors.js";

/** The longest event (its data plus the line being read) accepted by default, in characters. */
export const DEFAULT_MAX_EVENT_CHARS = 1_048_576;
/** How long, after the end marker, the body is given to end by itself before it is cancelled. */
export const DEFAULT_DONE_GRACE_MS = 100;

/** One dispatched event. */
export interface ServerSentEvent {
  /** The `event:` field, "message" when the event named none. */
  event: string;
  /** The `data:` lines joined with "\n" (may be ""). */
  data: string;
  /** The last event id seen so far (`id:`), if any. */
  id: string | undefined;
}

/** A stream that does not follow the format, or an event over the size limit. */
export class ServerSentEventsError extends PipecatError {
  static {
    brandErrorClass(ServerSentEventsError, "ServerSentEventsError", "SERVER_SENT_EVENTS_ERROR");
  }

  constructor(message: string) {
    super(message, { category: "server" });
  }
}

export interface ServerSentEventParserOptions {
  /** Refuse an event (its data plus any unfinished line) longer than this. Default 1 Mi characters. */
  maxEventChars?: number;
}

/**
 * The spec's parser, incrementally: `feed()` any piece of the decoded text and get the events it
 * completes. Lines end with CRLF, LF or CR (a CR at the end of one piece and an LF at the start of
 * the next are one line ending); `:` lines are comments; a line without a colon is a field with an
 * empty value; one space after the colon is dropped; unknown fields are ignored; an empty line
 * dispatches the event, unless it has no data.
 */
export class ServerSentEventParser {
  readonly #maxEventChars: number;
  /** An unfinished line from the previous pieces (kept in parts: joining once is linear). */
  #pending: string[] = [];
  #pendingChars = 0;
  /** The previous piece ended with CR: an LF starting the next one belongs to that line ending. */
  #afterCR = false;
  #data: string[] = [];
  #dataChars = 0;
  #event = "";
  #lastId: string | undefined;

  constructor(options: ServerSentEventParserOptions = {}) {
    this.#maxEventChars = options.maxEventChars ?? DEFAULT_MAX_EVENT_CHARS;
  }

  /** Parses the next piece of text; returns the events it completed, in order. */
  feed(text: string): ServerSentEvent[] {
    const events: ServerSentEvent[] = [];
    // An empty piece (a decoder holding half a UTF-8 sequence) must not forget a pending CR.
    if (text === "") return events;
    let start = 0;
    if (this.#afterCR && text.startsWith("\n")) start = 1;
    this.#afterCR = false;
    // Where the next CR and LF are, found once per piece rather than once per line (a piece may
    // hold thousands of lines; a search from each line to the end would make that quadratic).
    let nextCR = text.indexOf("\r", start);
    let nextLF = text.indexOf("\n", start);
    while (nextCR >= 0 || nextLF >= 0) {
      const end = nextCR < 0 ? nextLF : nextLF < 0 ? nextCR : Math.min(nextCR, nextLF);
      const piece = text.slice(start, end);
      const line = this.#pending.length === 0 ? piece : this.#takePending() + piece;
      start = end + 1;
      if (text.charCodeAt(end) === 13 /* \r */) {
        if (start === text.length) this.#afterCR = true;
        else if (text.charCodeAt(start) === 10 /* \n */) start += 1;
      }
      this.#line(line, events);
      if (nextCR >= 0 && nextCR < start) nextCR = text.indexOf("\r", start);
      if (nextLF >= 0 && nextLF < start) nextLF = text.indexOf("\n", start);
    }
    if (start < text.length) {
      this.#pending.push(text.slice(start));
      this.#pendingChars += text.length - start;
      this.#checkSize();
    }
    return events;
  }

  /**
   * The stream ended. An unfinished last event is dispatched as if a blank line followed (the spec
   * drops it; servers that close right after their last `data:` line are common enough, fal's
   * among them, to be lenient).
   */
  end(): ServerSentEvent[] {
    const events: ServerSentEvent[] = [];
    if (this.#pending.length > 0) this.#line(this.#takePending(), events);
    this.#afterCR = false;
    this.#line("", events);
    return events;
  }

  #line(line: string, events: ServerSentEvent[]): void {
    if (line === "") {
      if (this.#data.length > 0) {
        events.push({
          event: this.#event || "message",
          data: this.#data.join("\n"),
          id: this.#lastId,
        });
      }
      this.#data = [];
      this.#dataChars = 0;
      this.#event = "";
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return; // a comment (keep-alives are often ": ping")
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* space */) value = value.slice(1);
    if (field === "data") {
      this.#dataChars += value.length + 1;
      this.#checkSize();
      this.#data.push(value);
    } else if (field === "event") {
      this.#event = value;
    } else if (field === "id") {
      if (!value.includes("\0")) this.#lastId = value;
    }
    // "retry" (a reconnection delay) and unknown fields carry nothing a one-shot reader uses.
  }

  #takePending(): string {
    const line = this.#pending.join("");
    this.#pending = [];
    this.#pendingChars = 0;
    return line;
  }

  #checkSize(): void {
    if (this.#pendingChars + this.#dataChars > this.#maxEventChars) {
      throw new ServerSentEventsError(
        `An event of the stream is longer than ${this.#maxEventChars} characters`,
      );
    }
  }
}

export interface ReadServerSentEventsOptions extends ServerSentEventParserOptions {
  /**
   * The data of the event that ends the stream (OpenAI's "[DONE]"). It is yielded like any event;
   * nothing after it is, and the reader stops reading. The body is then given `doneGraceMs` to
   * end by itself (so its connection can be reused) and cancelled if it has not, in the
   * background: the consumer never waits for the server to close.
   */
  doneData?: string;
  /** Default 100 ms. */
  doneGraceMs?: number;
  /** Called with each chunk's size as it arrives, comments included (e.g. to extend an idle deadline). */
  onChunk?: (bytes: number) => void;
}

/**
 * Yields each event's data, in order, as the body streams in (see ServerSentEventParser for the
 * format; `event:`/`id:` are available through the parser). UTF-8 sequences cut across chunks are
 * decoded whole. Ends when the stream ends, or at the `doneData` event. Always lets go of the body
 * when done, also when the consumer stops early (break, throw): cancelled at once, or after the
 * grace period following the end marker.
 */
export async function* readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  options: ReadServerSentEventsOptions = {},
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const parser = new ServerSentEventParser(options);
  const reader = body.getReader();
  let sawDone = false;
  let ended = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (!done) options.onChunk?.(value.byteLength);
      const events = done
        ? parser.feed(decoder.decode()).concat(parser.end())
        : parser.feed(decoder.decode(value, { stream: true }));
      for (const event of events) {
        // Known before the yield: a consumer that stops at the marker leaves through `finally`.
        sawDone = options.doneData !== undefined && event.data === options.doneData;
        yield event.data;
        if (sawDone) return;
      }
      if (done) {
        ended = true;
        return;
      }
    }
  } finally {
    if (ended) reader.releaseLock();
    else if (sawDone) void drainThenCancel(reader, options.doneGraceMs ?? DEFAULT_DONE_GRACE_MS);
    else await reader.cancel().catch(() => undefined);
  }
}

/** Reads what is left of a finished stream for at most `graceMs`, then cancels it. Never rejects. */
async function drainThenCancel(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  graceMs: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<"expired">((resolve) => {
    timer = setTimeout(() => resolve("expired"), graceMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), expired]);
      if (next === "expired" || next.done) break;
    }
  } catch {
    // The body failed after the end marker: nothing left to read anyway.
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
  }
}
