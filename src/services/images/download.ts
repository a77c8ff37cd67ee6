// Downloads a generated image (or decodes a data URI) with the checks Pipecat skips: HTTP status,
// content type, a size cap, a timeout, and the bytes really being an image; ImageDownloadError
// says which failed.
import { LinkedAbort } from "../../utils/abort.js";
import {
  PipecatError,
  brandErrorClass,
  categoryForHttpStatus,
  type ErrorCategory,
} from "../../utils/errors.js";
import {
  classifyFetchError,
  discardBody,
  readBodyCapped,
  urlForMessages,
} from "../../utils/http.js";
import { sniffImageType } from "./sniff.js";

/** A generated image could not be downloaded or is not an image. */
export class ImageDownloadError extends PipecatError {
  static {
    brandErrorClass(ImageDownloadError, "ImageDownloadError", "IMAGE_DOWNLOAD_ERROR");
  }

  readonly url: string;
  readonly status: number | undefined;
  constructor(
    message: string,
    init: { url: string; status?: number; category?: ErrorCategory; cause?: unknown },
  ) {
    super(message, { category: init.category ?? "server", cause: init.cause });
    this.url = init.url;
    this.status = init.status;
  }
}

export interface DownloadOptions {
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Largest accepted file. Default 50 MiB. */
  maxBytes?: number;
  /** Deadline for the whole download. Default 30 s. */
  timeoutMs?: number;
}

export interface DownloadedImage {
  bytes: Uint8Array;
  /** The file's real type (sniffed), e.g. "image/png". */
  mimeType: string;
}

export const DEFAULT_MAX_IMAGE_BYTES = 50 * 1024 * 1024;
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;

export async function downloadImage(
  url: string,
  options: DownloadOptions = {},
): Promise<DownloadedImage> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  if (url.startsWith("data:")) return decodeDataUri(url, maxBytes);
  const shownUrl = urlForMessages(url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  // Negative or non-finite timeouts are a RangeError, 0 times out at once (as AbortSignal.timeout).
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0)
    throw new RangeError(`Image download timeoutMs must be a finite number >= 0, got ${timeoutMs}`);
  const linked = new LinkedAbort([options.signal], {
    timeoutMs,
    timeoutReason: () =>
      new DOMException(`Image download timed out after ${timeoutMs} ms`, "TimeoutError"),
  });
  try {
    return await download(url, shownUrl, linked.signal, maxBytes, timeoutMs, options);
  } finally {
    linked.dispose();
  }
}

async function download(
  url: string,
  shownUrl: string,
  signal: AbortSignal,
  maxBytes: number,
  timeoutMs: number,
  options: DownloadOptions,
): Promise<DownloadedImage> {
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(url, { method: "GET", signal });
  } catch (cause) {
    throw failure(cause, options.signal, shownUrl, timeoutMs);
  }
  if (!response.ok) {
    await discardBody(response);
    throw new ImageDownloadError(
      `Image download failed with HTTP ${response.status} (${shownUrl})`,
      {
        url: shownUrl,
        status: response.status,
        category: categoryForHttpStatus(response.status),
      },
    );
  }
  const declaredType =
    (response.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (
    declaredType &&
    !declaredType.startsWith("image/") &&
    declaredType !== "application/octet-stream"
  ) {
    await discardBody(response);
    throw new ImageDownloadError(
      `Image download returned content-type "${declaredType}", not an image (${shownUrl})`,
      { url: shownUrl },
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await readBodyCapped(response, {
      maxBytes,
      tooLarge: (size) => tooLarge(shownUrl, size, maxBytes),
    });
  } catch (cause) {
    if (cause instanceof ImageDownloadError) throw cause;
    throw failure(cause, options.signal, shownUrl, timeoutMs);
  }
  return { bytes, mimeType: checkedType(bytes, shownUrl) };
}

function decodeDataUri(uri: string, maxBytes: number): DownloadedImage {
  const comma = uri.indexOf(",");
  const header = comma < 0 ? "" : uri.slice(5, comma);
  if (comma < 0 || !header.endsWith(";base64")) {
    throw new ImageDownloadError("Image data URI is not base64-encoded", { url: "data URI" });
  }
  // Base64 expands 3 bytes to 4 characters: check the cap before decoding.
  if (((uri.length - comma - 1) * 3) / 4 > maxBytes + 3)
    throw tooLarge("data URI", Math.floor(((uri.length - comma - 1) * 3) / 4), maxBytes);
  const buffer = Buffer.from(uri.slice(comma + 1), "base64");
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  return { bytes, mimeType: checkedType(bytes, "data URI") };
}

function checkedType(bytes: Uint8Array, shownUrl: string): string {
  const sniffed = sniffImageType(bytes);
  if (!sniffed)
    throw new ImageDownloadError(
      `Downloaded file is not an image (${bytes.byteLength} bytes, ${shownUrl})`,
      { url: shownUrl },
    );
  return sniffed;
}

function tooLarge(shownUrl: string, size: number, maxBytes: number): ImageDownloadError {
  return new ImageDownloadError(
    `Image is larger than the ${maxBytes}-byte limit (${size} bytes, ${shownUrl})`,
    { url: shownUrl, category: "validation" },
  );
}

function failure(
  cause: unknown,
  callerSignal: AbortSignal | undefined,
  shownUrl: string,
  timeoutMs: number,
): unknown {
  const failed = classifyFetchError(cause, { callerSignal });
  if (failed.kind === "aborted") return failed.reason;
  if (failed.kind === "timeout")
    return new ImageDownloadError(`Image download timed out after ${timeoutMs} ms (${shownUrl})`, {
      url: shownUrl,
      category: "timeout",
      cause,
    });
  return new ImageDownloadError(`Image download failed: network error (${shownUrl})`, {
    url: shownUrl,
    category: "network",
    cause,
  });
}
