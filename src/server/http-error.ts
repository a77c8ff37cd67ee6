// An error that already knows its answer: throw it anywhere in a chain and compose() answers with
// its response instead of calling the error handler. Hono's counterpart is `HTTPException`.

export interface HttpErrorOptions {
  /** The answer; default a plain-text body with the message. */
  response?: Response;
  message?: string;
  cause?: unknown;
}

export class HttpError extends Error {
  readonly status: number;
  readonly #response: Response | undefined;

  /**
   * @param status the HTTP status of the answer
   * @example
   * ```ts
   * throw new HttpError(404, { message: "No such file" });
   * ```
   */
  constructor(status: number, options: HttpErrorOptions = {}) {
    super(options.message ?? `HTTP ${status}`, { cause: options.cause });
    this.name = "HttpError";
    this.status = status;
    this.#response = options.response;
  }

  /** The answer this error stands for. */
  getResponse(): Response {
    return (
      this.#response ??
      new Response(this.message, {
        status: this.status,
        headers: { "content-type": "text/plain; charset=utf-8" },
      })
    );
  }
}
