// A minimal Server-Sent Events reader (the text/event-stream format of the HTML spec): yields the
// `data` of each event and skips comments. Provider-neutral: fal's queue status stream uses it, and
// so can any streaming HTTP API that speaks SSE (OpenAI's chat completions, for one).

/** Any of the spec's line endings: CRLF, CR or LF. */
const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Yields each event's data (multi-line data joined with "\n"), in order, as the body streams in;
 * `event:`, `id:` and `retry:` fields are ignored. Ends when the stream ends. Always releases and
 * cancels the body when done, also when the consumer stops early (break, throw).
 */
export async function* readServerSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = "";
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (
        let newline = buffer.search(LINE_BREAK);
        newline >= 0;
        newline = buffer.search(LINE_BREAK)
      ) {
        // A "\r" ending the chunk may be the first half of "\r\n": wait for the next chunk.
        if (newline === buffer.length - 1 && buffer.endsWith("\r")) break;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
        if (line === "") {
          if (data.length > 0) yield data.join("\n");
          data = [];
        } else if (line.startsWith("data:")) {
          data.push(line.slice(5).replace(/^ /, ""));
        }
        // Comments (":"), "event:", "id:" and "retry:" lines carry nothing we use.
      }
    }
    buffer = (buffer + decoder.decode()).replace(/\r$/, "");
    if (buffer.startsWith("data:")) data.push(buffer.slice(5).replace(/^ /, ""));
    if (data.length > 0) yield data.join("\n");
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}
