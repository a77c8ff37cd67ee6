// A minimal Server-Sent Events reader: yields the `data` of each event, skips comments.

/** Yields each event's data (multi-line data joined with "\n"). Ends when the stream ends. */
const LINE_BREAK = /\r\n|\r|\n/;

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
