// fal's storage API: POST /rest/storage/upload/initiate (a signed upload URL and the future file
// URL), PUT /upload/{token} (the bytes; no Authorization, like fal's signed URLs), multipart
// initiation (not supported) and POST /rest/tokens/ (a dummy token).
import { randomBytes } from "node:crypto";
import type { Handler } from "../../../server/compose.js";
import { extensionFor } from "../files.js";
import { readJsonBody } from "../input.js";
import { falJson } from "../replies.js";
import { routeOf } from "../routing.js";
import type { LocalFalState } from "../state.js";

export interface StorageHandlers {
  initiate: Handler;
  initiateMultipart: Handler;
  upload: Handler;
  token: Handler;
}

/** Random bytes in a dummy token. */
const TOKEN_BYTES = 24;
/** The longest content type accepted; it is sent back as a header when the file is served. */
const MAX_CONTENT_TYPE_CHARS = 255;
/** How much of a refused content_type the 422 quotes back, in characters. */
const ECHOED_INPUT_CHARS = 100;
/** How much of a file name is kept (its URL-safe form is shorter still). */
const MAX_FILE_NAME_CHARS = 255;
/** `type/subtype` with optional parameters: no control characters, nothing a header cannot carry. */
const MIME_TYPE = /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(?:\s*;[\x20-\x7e]*)?$/;

function isMimeType(value: unknown): value is string {
  return (
    typeof value === "string" && value.length <= MAX_CONTENT_TYPE_CHARS && MIME_TYPE.test(value)
  );
}

function fileUrl(baseUrl: string, key: string): string {
  return `${baseUrl}/files/${key.split("/").map(encodeURIComponent).join("/")}`;
}

export function createStorageHandlers(state: LocalFalState): StorageHandlers {
  return {
    async initiate(_request, context) {
      const parsed = await readJsonBody(context);
      const body = parsed.ok ? parsed.value : undefined;
      const input =
        body !== null && typeof body === "object" && !Array.isArray(body)
          ? (body as Record<string, unknown>)
          : {};
      const given = input.content_type;
      if (given !== undefined && given !== "" && !isMimeType(given)) {
        return falJson(422, {
          detail: [
            {
              loc: ["body", "content_type"],
              msg: `Value error, content_type must be a MIME type such as "image/png" (at most ${MAX_CONTENT_TYPE_CHARS} characters)`,
              type: "value_error",
              input: typeof given === "string" ? given.slice(0, ECHOED_INPUT_CHARS) : given,
            },
          ],
        });
      }
      const contentType = typeof given === "string" && given ? given : "application/octet-stream";
      const fileName =
        typeof input.file_name === "string" && input.file_name
          ? input.file_name.slice(0, MAX_FILE_NAME_CHARS)
          : `${Date.now()}.${extensionFor(contentType)}`;
      const pending = state.files.initiateUpload(contentType, fileName);
      const baseUrl = state.baseUrlFor(context);
      return falJson(200, {
        upload_url: `${baseUrl}/upload/${pending.token}`,
        file_url: fileUrl(baseUrl, pending.key),
      });
    },

    async initiateMultipart() {
      return falJson(501, {
        detail: "Multipart uploads (files over 90 MB) are not supported by the local fal server",
      });
    },

    async upload(request, context) {
      // A copy: the store keeps it, and the body may be a view of a larger socket buffer.
      const data = Buffer.from(await context.body());
      const file = state.files.completeUpload(
        routeOf(context).uploadToken as string,
        data,
        request.headers.get("content-type") ?? undefined,
      );
      if (!file) return falJson(404, { detail: "Upload URL not found or expired" });
      state.counters.uploads += 1;
      const baseUrl = state.baseUrlFor(context);
      return falJson(200, { file_url: fileUrl(baseUrl, file.key), size: data.length });
    },

    async token() {
      return falJson(200, `local-fal.${randomBytes(TOKEN_BYTES).toString("base64url")}`);
    },
  };
}
