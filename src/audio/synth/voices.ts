// The voices the local speech synthesizers offer: a few ids (the Cartesia voice ids that Pipecat's
// examples use, so those examples run unchanged against the local Cartesia twin), each mapped to
// an espeak-ng voice and to the built-in synthesizer's pitch and vocal-tract size, so that
// different voices sound different with either engine. These are stand-ins that share the ids,
// not imitations of Cartesia's voices.
import { SettingsValidationError } from "../../utils/errors.js";

/** Cartesia's gender labels. */
export type SpeechVoiceGender = "feminine" | "masculine" | "gender_neutral";

export interface SpeechVoice {
  id: string;
  name: string;
  description: string;
  /** Language code, e.g. "en". */
  language: string;
  gender: SpeechVoiceGender;
  espeak: {
    /** espeak-ng voice and variant (`-v`), e.g. "en-gb+f3". */
    voice: string;
    /** espeak-ng pitch (`-p`), 0–99. */
    pitch: number;
    /** Speaking rate (`-s`) at speed 1, in words per minute. */
    wordsPerMinute: number;
  };
  builtin: {
    /** Mean fundamental frequency, in Hz. */
    pitchHz: number;
    /** Formant frequencies are multiplied by this (a smaller vocal tract sounds higher). */
    formantScale: number;
  };
}

export const SPEECH_VOICES: readonly SpeechVoice[] = [
  {
    id: "71a7ad14-091c-4e8e-a314-022ece01c121",
    name: "British Reading Lady",
    description: "A calm British English reading voice (local stand-in).",
    language: "en",
    gender: "feminine",
    espeak: { voice: "en-gb+f3", pitch: 55, wordsPerMinute: 160 },
    builtin: { pitchHz: 205, formantScale: 1.15 },
  },
  {
    id: "bf991597-6c13-47e4-8411-91ec2de5c466",
    name: "Newslady",
    description: "A clear American English news voice (local stand-in).",
    language: "en",
    gender: "feminine",
    espeak: { voice: "en-us+f2", pitch: 62, wordsPerMinute: 170 },
    builtin: { pitchHz: 225, formantScale: 1.18 },
  },
  {
    id: "d46abd1d-2d02-43e8-819f-51fb652c1c61",
    name: "Newsman",
    description: "A steady American English news voice (local stand-in).",
    language: "en",
    gender: "masculine",
    espeak: { voice: "en-us+m1", pitch: 45, wordsPerMinute: 170 },
    builtin: { pitchHz: 120, formantScale: 1 },
  },
  {
    id: "820a3788-2b37-4d21-847a-b65d8a68c99a",
    name: "Salesman",
    description: "An upbeat American English voice (local stand-in).",
    language: "en",
    gender: "masculine",
    espeak: { voice: "en-us+m3", pitch: 58, wordsPerMinute: 185 },
    builtin: { pitchHz: 135, formantScale: 1.03 },
  },
  {
    id: "a0e99841-438c-4a64-b679-ae501e7d6091",
    name: "Barbershop Man",
    description: "A deep, relaxed English voice (local stand-in).",
    language: "en",
    gender: "masculine",
    espeak: { voice: "en+m7", pitch: 30, wordsPerMinute: 150 },
    builtin: { pitchHz: 98, formantScale: 0.94 },
  },
  {
    id: "d4db5fb9-f44b-4bd1-85fa-192e0f0d75f9",
    name: "Spanish-speaking Lady",
    description: "A Spanish voice (local stand-in).",
    language: "es",
    gender: "feminine",
    espeak: { voice: "es+f4", pitch: 55, wordsPerMinute: 165 },
    builtin: { pitchHz: 215, formantScale: 1.12 },
  },
];

/** The voice used when a request names none: Pipecat example 04's "British Reading Lady". */
export const DEFAULT_SPEECH_VOICE_ID = "71a7ad14-091c-4e8e-a314-022ece01c121";

const BY_ID = new Map(SPEECH_VOICES.map((voice) => [voice.id, voice]));

/** The voice with this id (the default when undefined); a typed error naming the known ids otherwise. */
export function resolveSpeechVoice(id: string | undefined): SpeechVoice {
  const voice = BY_ID.get(id ?? DEFAULT_SPEECH_VOICE_ID);
  if (!voice) {
    throw new SettingsValidationError(
      "voice",
      id,
      SPEECH_VOICES.map((v) => `${v.id} (${v.name})`).join(", "),
    );
  }
  return voice;
}
