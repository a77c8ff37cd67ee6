// GET/HEAD /files/{key}: the CDN of generated images and uploads, served from the in-memory file
// store (never the filesystem: `..` in a key is just an unknown key).
import type { Handler } from "../../../server/compose.js";
import { bytesResponse } from "../../../server/response.js";
import { falJson } from "../replies.js";
import { routeOf } from "../routing.js";
import type { LocalFalState } from "../state.js";

/** How long clients may cache a file, in seconds (keys are content hashes or upload ids). */
const FILE_MAX_AGE_S = 3600;

export function createFileHandler(state: LocalFalState): Handler {
  return async function file(_request, context) {
    const stored = state.files.get(routeOf(context).fileKey as string);
    if (!stored) return falJson(404, { detail: "File not found" });
    return bytesResponse(200, stored.data, stored.contentType, {
      "cache-control": `public, max-age=${FILE_MAX_AGE_S}`,
      "x-content-type-options": "nosniff",
      // Uploaded files are served as given: never let one run as a page of this origin.
      "content-security-policy": "sandbox",
    });
  };
}
