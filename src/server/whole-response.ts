// A Response whose body is bytes already in memory (every JSON answer, every stored file). It
// answers status, headers and the rest by itself and builds its body stream only when someone
// reads the body in-process (a test's `response.json()`, a middleware that rewrites the body);
// the node adapter writes the bytes out directly instead: one `end(bytes)`, no web stream, no
// reader, no promise per chunk. `instanceof Response` holds.
import { delegateToReal } from "./delegate.js";

/** Statuses whose answers carry no body (fetch refuses one). */
const NULL_BODY_STATUSES = new Set([204, 205, 304]);
const MIN_STATUS = 200;
const MAX_STATUS = 599;

/**
 * A Response with these bytes as its body (none for 204, 205 and 304) and these headers, used
 * as they are (not copied).
 */
export function wholeResponse(status: number, bytes: Uint8Array, headers: Headers): Response {
  return new WholeResponse(status, bytes, headers) as unknown as Response;
}

/**
 * The bytes of a whole response whose body nobody has touched, for an adapter to write out
 * itself: `null` for a body-less status, undefined for any other Response (or one whose body
 * stream has been taken).
 */
export function untouchedWholeBody(response: Response): Uint8Array | null | undefined {
  return response instanceof WholeResponse ? response.untouchedBytes : undefined;
}

/** Whether a response carries a body, without building a whole response's stream. */
export function responseHasBody(response: Response): boolean {
  if (response instanceof WholeResponse) return response.hasBody;
  return response.body !== null;
}

class WholeResponse {
  readonly #status: number;
  readonly #headers: Headers;
  readonly #bytes: Uint8Array | null;
  #real: Response | undefined;

  constructor(status: number, bytes: Uint8Array, headers: Headers) {
    if (!Number.isInteger(status) || status < MIN_STATUS || status > MAX_STATUS)
      throw new RangeError(`status must be an integer from 200 to 599, got ${status}`);
    this.#status = status;
    this.#headers = headers;
    this.#bytes = NULL_BODY_STATUSES.has(status) ? null : bytes;
  }

  get type(): ResponseType {
    return "default";
  }

  get url(): string {
    return "";
  }

  get redirected(): boolean {
    return false;
  }

  get status(): number {
    return this.#status;
  }

  get ok(): boolean {
    return this.#status >= 200 && this.#status <= 299;
  }

  get statusText(): string {
    return "";
  }

  get headers(): Headers {
    return this.#headers;
  }

  get bodyUsed(): boolean {
    return this.#real?.bodyUsed ?? false;
  }

  get hasBody(): boolean {
    return this.#bytes !== null;
  }

  /** See untouchedWholeBody(). */
  get untouchedBytes(): Uint8Array | null | undefined {
    return this.#real ? undefined : this.#bytes;
  }

  clone(): Response {
    if (!this.#real)
      return wholeResponse(
        this.#status,
        this.#bytes ?? new Uint8Array(0),
        new Headers(this.#headers),
      );
    return this.#real.clone();
  }

  /** The real Response, built once, for everything that reads the body. */
  #realResponse(): Response {
    if (this.#real) return this.#real;
    const bytes = this.#bytes;
    // The bytes go in as one chunk of a stream: `new Response(bytes)` would copy them first.
    const body =
      bytes === null
        ? null
        : new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(bytes);
              controller.close();
            },
          });
    this.#real = new Response(body, { status: this.#status, headers: this.#headers });
    return this.#real;
  }

  static {
    // The body and its readers (body, text(), json(), …) come from the real Response; so does
    // anything a later version of fetch adds. The real accessors check that they are called on a
    // real Response.
    delegateToReal(WholeResponse, Response, (self) => self.#realResponse());
  }
}
