// GET /voices (a page of the twin's voices) and GET /voices/{id} (one voice).
import type { Handler } from "../../../server/compose.js";
import { jsonResponse } from "../../../server/response.js";
import { cartesiaError } from "../replies.js";
import { routeOf } from "../routes.js";
import {
  UnknownCursorError,
  VOICES_DEFAULT_LIMIT,
  VOICES_MAX_LIMIT,
  type VoiceQuery,
  findTwinVoice,
  listVoices,
  toCartesiaVoice,
} from "../voices.js";

const GENDERS = ["masculine", "feminine", "gender_neutral"];
const EXPANDABLE = ["preview_file_url"];

class BadQuery extends Error {}

function readQuery(query: URLSearchParams): VoiceQuery {
  const limitText = query.get("limit");
  const limit = limitText === null ? VOICES_DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > VOICES_MAX_LIMIT)
    throw new BadQuery(
      `Invalid limit: got ${JSON.stringify(limitText)}; expected an integer from 1 to ${VOICES_MAX_LIMIT}.`,
    );
  const startingAfter = query.get("starting_after") ?? undefined;
  const endingBefore = query.get("ending_before") ?? undefined;
  if (startingAfter !== undefined && endingBefore !== undefined)
    throw new BadQuery("Set starting_after or ending_before, not both.");
  const gender = query.get("gender") ?? undefined;
  if (gender !== undefined && !GENDERS.includes(gender))
    throw new BadQuery(
      `Invalid gender: got ${JSON.stringify(gender)}; expected one of ${GENDERS.join(", ")}.`,
    );
  const ownerText = query.get("is_owner");
  if (ownerText !== null && ownerText !== "true" && ownerText !== "false")
    throw new BadQuery(
      `Invalid is_owner: got ${JSON.stringify(ownerText)}; expected true or false.`,
    );
  const expand = [...query.getAll("expand[]"), ...query.getAll("expand")];
  const unknown = expand.filter((e) => !EXPANDABLE.includes(e));
  if (unknown.length > 0)
    throw new BadQuery(
      `Invalid expand[]: got ${JSON.stringify(unknown[0])}; expected ${EXPANDABLE.join(", ")}.`,
    );
  const out: VoiceQuery = { limit, expandPreview: expand.length > 0 };
  if (startingAfter !== undefined) out.startingAfter = startingAfter;
  if (endingBefore !== undefined) out.endingBefore = endingBefore;
  const q = query.get("q");
  if (q !== null) out.q = q;
  if (gender !== undefined) out.gender = gender;
  if (ownerText !== null) out.isOwner = ownerText === "true";
  return out;
}

export function createVoicesHandler(): Handler {
  return function voices(_request, context) {
    try {
      return jsonResponse(200, listVoices(readQuery(routeOf(context).query)));
    } catch (error) {
      if (error instanceof BadQuery || error instanceof UnknownCursorError)
        return cartesiaError(400, "invalid_request", error.message);
      throw error;
    }
  };
}

export function createVoiceHandler(): Handler {
  return function voice(_request, context) {
    const id = routeOf(context).voiceId ?? "";
    const found = findTwinVoice(id);
    if (!found)
      return cartesiaError(404, "voice_not_found", `Voice ${JSON.stringify(id)} was not found.`);
    return jsonResponse(200, toCartesiaVoice(found));
  };
}
