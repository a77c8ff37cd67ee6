// POST /tts/bytes: speech for one transcript. The raw container streams the audio as the
// synthesizer makes it (a chunked body; the first chunk is awaited before answering, so a
// synthesis that fails at once is a 500 rather than a broken stream). The wav container needs
// its sizes in the header, so its body goes out whole once the synthesis is done.
import { LinkedAbort, sleep } from "../../../utils/abort.js";
import { describeError } from "../../../utils/errors.js";
import type { Handler } from "../../../server/compose.js";
import { bytesResponse } from "../../../server/response.js";
import { encodePcm16, wavHeaderFor } from "../encodings.js";
import { cartesiaError } from "../replies.js";
import { readParsedBody } from "../body.js";
import type { LocalCartesiaState } from "../state.js";
import { parseTtsRequest } from "../tts-request.js";

const RAW_CONTENT_TYPE = "application/octet-stream";
const WAV_CONTENT_TYPE = "audio/wav";

export function createTtsHandler(state: LocalCartesiaState): Handler {
  return async function tts(_request, context) {
    const parsed = await readParsedBody(context);
    if (!parsed.ok)
      return cartesiaError(
        400,
        "invalid_request",
        `Request body is not valid JSON: ${parsed.message}`,
      );
    const checked = parseTtsRequest(parsed.value, state.requestOptions);
    if (!checked.ok)
      return cartesiaError(checked.error.status, checked.error.code, checked.error.message);
    const request = checked.request;
    // Ends with the request (client gone) or the twin (closing); released when the answer is done.
    const linked = new LinkedAbort([context.signal, state.shutdown]);
    context.onFinish(() => linked.dispose());
    const { signal } = linked;

    if (state.latencyMs > 0) {
      try {
        await sleep(state.latencyMs, signal);
      } catch {
        return Response.error(); // the client went away (or the server is closing)
      }
    }

    const synthesizer = await state.synthesizer();
    const started = performance.now();
    const iterator = synthesizer
      .synthesize({
        text: request.transcript,
        sampleRate: request.sampleRate,
        voice: request.voice.id,
        speed: request.speed,
        volume: request.volume,
        signal,
      })
      [Symbol.asyncIterator]();
    let samples = 0;
    const encode = (pcm: Uint8Array): Uint8Array => {
      samples += pcm.byteLength / 2;
      return encodePcm16(pcm, request.encoding);
    };
    const finish = (): void => {
      state.counters.syntheses += 1;
      state.counters.characters += request.transcript.length;
      state.counters.audioSeconds += samples / request.sampleRate;
      state.counters.synthesisMsTotal += performance.now() - started;
    };

    let first: IteratorResult<Uint8Array>;
    try {
      first = await iterator.next();
    } catch (error) {
      if (signal.aborted) return Response.error();
      state.log(`synthesis failed: ${describeError(error)}`);
      return cartesiaError(500, "synthesis_failed", `Synthesis failed: ${describeError(error)}`);
    }

    if (request.container === "wav") {
      const parts: Uint8Array[] = [];
      try {
        for (let step = first; !step.done; step = await iterator.next())
          parts.push(encode(step.value));
      } catch (error) {
        if (signal.aborted) return Response.error();
        return cartesiaError(500, "synthesis_failed", `Synthesis failed: ${describeError(error)}`);
      }
      const dataBytes = parts.reduce((n, p) => n + p.byteLength, 0);
      const header = wavHeaderFor(request.encoding, request.sampleRate, dataBytes);
      const file = new Uint8Array(header.byteLength + dataBytes);
      file.set(header, 0);
      let offset = header.byteLength;
      for (const part of parts) {
        file.set(part, offset);
        offset += part.byteLength;
      }
      finish();
      return bytesResponse(200, file, WAV_CONTENT_TYPE);
    }

    let pending: IteratorResult<Uint8Array> | undefined = first;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const step = pending ?? (await iterator.next());
          pending = undefined;
          if (step.done) {
            finish();
            controller.close();
          } else controller.enqueue(encode(step.value));
        } catch (error) {
          // A failure mid-stream can only break the connection: the status has gone out.
          if (!signal.aborted) state.log(`synthesis failed mid-stream: ${describeError(error)}`);
          controller.error(error);
        }
      },
      cancel() {
        // The client stopped reading: end the synthesis (the signal has usually stopped it
        // already; a generator still busy finishes its step first, so this is not awaited).
        void iterator.return?.(undefined)?.catch(() => undefined);
      },
    });
    return new Response(body, {
      status: 200,
      headers: { "content-type": RAW_CONTENT_TYPE },
    });
  };
}
