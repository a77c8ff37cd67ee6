// GET / and GET /health: what this server is and which routes it serves.
import type { Handler } from "../../../server/compose.js";
import { LOCAL_FAL_MODELS } from "../models.js";
import { falJson } from "../replies.js";

export function createInfoHandler(): Handler {
  return async function info() {
    return falJson(200, {
      name: "local-fal",
      description: "Local fal-compatible server with a preview renderer (not a model).",
      models: [...LOCAL_FAL_MODELS.keys()],
      routes: [
        "/run/{model}",
        "/queue/{model}",
        "/rest/storage/upload/initiate",
        "/files/{name}",
        "/api/fal/proxy",
      ],
    });
  };
}
