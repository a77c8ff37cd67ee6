// The local Cartesia twin's voices: SPEECH_VOICES in the shape of Cartesia's Voice object, labelled
// as local stand-ins, and GET /voices paging as Cartesia's cursor pagination does it (`limit`,
// `starting_after`, `ending_before`, `q`, `gender`, `is_owner`). The official SDK's iterator asks
// for `starting_after=<last id>` until a page comes back empty, so a cursor past the end must give
// an empty page, never the first one again.
import { SPEECH_VOICES, type SpeechVoice } from "../../audio/synth/voices.js";

/** Cartesia's Voice object (cartesia-js 4.2.0 `Voice`), as the twin fills it in. */
export interface CartesiaVoice {
  id: string;
  name: string;
  description: string;
  language: string;
  gender: SpeechVoice["gender"];
  is_owner: boolean;
  access: "public";
  visibility: "all";
  created_at: string;
  tagline: string;
  locales: Array<{ locale: string; is_native: boolean }>;
  accent: null;
  preview_file_url?: null;
}

export interface VoicePage {
  data: CartesiaVoice[];
  has_more: boolean;
  /** Deprecated by Cartesia; the id to pass as `starting_after` for the next page, or null. */
  next_page: string | null;
}

export interface VoiceQuery {
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
  q?: string;
  gender?: string;
  isOwner?: boolean;
  /** `expand[]` asked for `preview_file_url` (the twin has no previews: null). */
  expandPreview: boolean;
}

/** Cartesia's page size bounds and default. */
export const VOICES_DEFAULT_LIMIT = 10;
export const VOICES_MAX_LIMIT = 100;

/** When the twin's voices were "created": a fixed date, so answers are deterministic. */
const CREATED_AT = "2026-01-01T00:00:00Z";
/** The BCP-47 locale each espeak-ng voice speaks (its native locale). */
const LOCALE_BY_ESPEAK: Readonly<Record<string, string>> = {
  "en-gb": "en-GB",
  "en-us": "en-US",
  en: "en-GB",
  es: "es-ES",
};

function nativeLocale(voice: SpeechVoice): string {
  const espeak = voice.espeak.voice.split("+")[0] ?? "";
  return LOCALE_BY_ESPEAK[espeak] ?? voice.language;
}

/** A SPEECH_VOICES entry as Cartesia's Voice object. */
export function toCartesiaVoice(voice: SpeechVoice, expandPreview = false): CartesiaVoice {
  const out: CartesiaVoice = {
    id: voice.id,
    name: voice.name,
    description: voice.description,
    language: voice.language,
    gender: voice.gender,
    is_owner: false,
    access: "public",
    visibility: "all",
    created_at: CREATED_AT,
    tagline: "Local twin voice",
    locales: [{ locale: nativeLocale(voice), is_native: true }],
    accent: null,
  };
  if (expandPreview) out.preview_file_url = null;
  return out;
}

/** The twin's voice with this id, or undefined. */
export function findTwinVoice(id: string): SpeechVoice | undefined {
  return SPEECH_VOICES.find((voice) => voice.id === id);
}

/** Voices that match the filters, in list order. */
function filtered(query: VoiceQuery): readonly SpeechVoice[] {
  const needle = query.q?.trim().toLowerCase();
  return SPEECH_VOICES.filter((voice) => {
    // The twin owns none of its voices.
    if (query.isOwner === true) return false;
    if (query.gender !== undefined && voice.gender !== query.gender) return false;
    if (!needle) return true;
    return [voice.name, voice.description, voice.id].some((field) =>
      field.toLowerCase().includes(needle),
    );
  });
}

/** An unknown cursor: the id the client passed matches no voice of the (filtered) list. */
export class UnknownCursorError extends Error {
  constructor(
    readonly parameter: "starting_after" | "ending_before",
    readonly id: string,
  ) {
    super(`${parameter}: no voice with id "${id}"`);
  }
}

/** One page of voices for the query (cursors are ids of the filtered list). */
export function listVoices(query: VoiceQuery): VoicePage {
  const voices = filtered(query);
  let start = 0;
  let end = voices.length;
  if (query.startingAfter !== undefined) {
    const at = voices.findIndex((voice) => voice.id === query.startingAfter);
    if (at < 0) throw new UnknownCursorError("starting_after", query.startingAfter);
    start = at + 1;
    end = Math.min(voices.length, start + query.limit);
  } else if (query.endingBefore !== undefined) {
    const at = voices.findIndex((voice) => voice.id === query.endingBefore);
    if (at < 0) throw new UnknownCursorError("ending_before", query.endingBefore);
    end = at;
    start = Math.max(0, end - query.limit);
  } else end = Math.min(voices.length, query.limit);
  const page = voices.slice(start, end);
  // Backwards, "more" lies before the page; forwards, after it.
  const hasMore = query.endingBefore !== undefined ? start > 0 : end < voices.length;
  const last = page.at(-1);
  return {
    data: page.map((voice) => toCartesiaVoice(voice, query.expandPreview)),
    has_more: hasMore,
    next_page: hasMore && query.endingBefore === undefined && last ? last.id : null,
  };
}
