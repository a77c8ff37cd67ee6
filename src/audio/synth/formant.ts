// The built-in speech synthesizer, for machines without espeak-ng: speech-like audio (not words)
// whose rhythm follows the text. Letters become phones — vowels and sonorants are a glottal buzz
// shaped by three formant resonators (a Klatt-style cascade), fricatives and plosive bursts are
// band-passed noise, plosives start with a closure — at about 150 words per minute, with a falling
// pitch contour per phrase (rising before "?"), a little stress on each word's first vowel, and
// pauses at punctuation. The same text, voice and rate always give the same bytes.
import {
  DEFAULT_MAX_TEXT_CHARS,
  type SpeechSynthesizer,
  type SynthesisRequest,
  checkSynthesisRequest,
} from "./speech-synthesizer.js";
import { type SpeechVoice, resolveSpeechVoice } from "./voices.js";

/** Phone lengths at speed 1, in ms: tuned so an average English word takes ~400 ms (150 wpm). */
const VOWEL_MS = 95;
const LONG_VOWEL_MS = 140;
const SONORANT_MS = 65;
const FRICATIVE_MS = 80;
const CLOSURE_MS = 45;
const BURST_MS = 22;
const WORD_GAP_MS = 45;
const COMMA_PAUSE_MS = 220;
const SENTENCE_PAUSE_MS = 380;
/** Formant glides into each phone over this long. */
const TRANSITION_MS = 25;
/** Amplitudes move toward their targets with this time constant (no clicks). */
const ENVELOPE_MS = 4;
/** Coefficients are recomputed every this many samples. */
const BLOCK_SAMPLES = 32;
/** Output is handed out in chunks of about this much audio. */
const CHUNK_MS = 100;
/** The event loop gets a turn after about this much audio (long texts don't block it). */
const YIELD_EVERY_MS = 1_000;
/** Output gain before the soft clip. */
const OUTPUT_GAIN = 0.35;

type Formants = readonly [number, number, number];

interface Phone {
  ms: number;
  /** Glottal-source amplitude, 0–1. */
  voicing: number;
  /** Noise amplitude, 0–1. */
  noise: number;
  formants: Formants;
  /** Centre of the noise band, Hz. */
  noiseHz: number;
  /** Pitch multipliers at the phone's start and end (filled per phrase). */
  pitchFrom: number;
  pitchTo: number;
  /** The first vowel of a word: a little higher. */
  stressed: boolean;
}

const NEUTRAL: Formants = [500, 1500, 2500];
const VOWELS: Record<string, Formants> = {
  a: [730, 1090, 2440],
  e: [530, 1840, 2480],
  i: [300, 2200, 2950],
  o: [570, 840, 2410],
  u: [320, 900, 2240],
  y: [400, 1900, 2600],
};
const SONORANTS: Record<string, Formants> = {
  l: [360, 1300, 2800],
  r: [420, 1300, 1650],
  m: [260, 1000, 2200],
  n: [260, 1500, 2500],
  w: [300, 650, 2200],
  j: [280, 2200, 3000],
};
/** Fricatives: noise centre (Hz), noise amplitude, voicing. */
const FRICATIVES: Record<string, readonly [number, number, number]> = {
  s: [6000, 0.5, 0],
  z: [5000, 0.32, 0.35],
  f: [4200, 0.22, 0],
  v: [3500, 0.16, 0.45],
  h: [1600, 0.18, 0],
  S: [3000, 0.5, 0], // "sh"
  Z: [2800, 0.35, 0.35], // the "s" of "measure", and "j"
  T: [5200, 0.2, 0], // "th"
};
/** Plosives: burst centre (Hz), voiced. */
const PLOSIVES: Record<string, readonly [number, boolean]> = {
  p: [1000, false],
  t: [4500, false],
  k: [2500, false],
  b: [900, true],
  d: [3500, true],
  g: [2000, true],
};
const DIGIT_WORDS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
];
const SYMBOL_WORDS: Record<string, string> = { "&": "and", "%": "percent", "+": "plus", "@": "at" };
const PAUSE_MARKS = new Set([".", "!", "?", "…", "。", "！", "？", "।", "؟", "۔"]);
const COMMA_MARKS = new Set([",", ";", ":", "—", "–", "，", "、", "；", "：", "\n"]);
const QUESTION_MARKS = new Set(["?", "？", "؟"]);
const LETTER = /\p{L}/u;
const SYLLABIC_SCRIPT_START = 0x2e80; // CJK, kana and hangul: one character is a syllable

function vowel(letter: string, ms = VOWEL_MS): Phone {
  return phone(ms, 1, 0, VOWELS[letter] ?? NEUTRAL, 0);
}

function phone(
  ms: number,
  voicing: number,
  noise: number,
  formants: Formants,
  noiseHz: number,
): Phone {
  return { ms, voicing, noise, formants, noiseHz, pitchFrom: 1, pitchTo: 1, stressed: false };
}

function silence(ms: number): Phone {
  return phone(ms, 0, 0, NEUTRAL, 0);
}

/** Phones for one plosive: a closure (a voice bar when voiced) then a burst of noise. */
function plosive(letter: string): Phone[] {
  const [burstHz, voiced] = PLOSIVES[letter] ?? [2000, false];
  return [
    phone(CLOSURE_MS, voiced ? 0.12 : 0, 0, [200, 1000, 2500], 0),
    phone(BURST_MS, voiced ? 0.3 : 0, 0.45, NEUTRAL, burstHz),
  ];
}

function fricative(key: string): Phone {
  const [hz, noise, voicing] = FRICATIVES[key] ?? [4000, 0.2, 0];
  return phone(FRICATIVE_MS, voicing, noise, [300, 1500, 2500], hz);
}

/** Phones for one word of ASCII letters (lowercase). */
function wordPhones(word: string): Phone[] {
  const out: Phone[] = [];
  // A final silent "e" ("time", "stone") is not spoken.
  const letters =
    word.length > 3 && word.endsWith("e") && !/[aeiouy]e$/.test(word) ? word.slice(0, -1) : word;
  for (let i = 0; i < letters.length; i += 1) {
    const c = letters[i] as string;
    const next = letters[i + 1];
    const pair = c + (next ?? "");
    if (pair === "th" || pair === "sh" || pair === "ch" || pair === "ph" || pair === "ck") {
      if (pair === "th") out.push(fricative("T"));
      else if (pair === "sh") out.push(fricative("S"));
      else if (pair === "ch") out.push(...plosive("t"), fricative("S"));
      else if (pair === "ph") out.push(fricative("f"));
      else out.push(...plosive("k"));
      i += 1;
      continue;
    }
    if (c in VOWELS && c !== "y") {
      // A doubled vowel ("ee", "oo") is one long vowel.
      if (next === c) {
        out.push(vowel(c, LONG_VOWEL_MS));
        i += 1;
      } else out.push(vowel(c));
    } else if (c === "y") {
      out.push(i === 0 ? phone(SONORANT_MS, 0.6, 0, SONORANTS.j as Formants, 0) : vowel("i"));
    } else if (c in SONORANTS) {
      out.push(phone(SONORANT_MS, 0.6, 0, SONORANTS[c] as Formants, 0));
    } else if (c in PLOSIVES) {
      out.push(...plosive(c));
    } else if (c === "q") {
      out.push(...plosive("k"));
      if (next === "u") {
        out.push(phone(SONORANT_MS, 0.6, 0, SONORANTS.w as Formants, 0));
        i += 1;
      }
    } else if (c === "x") {
      out.push(...plosive("k"), fricative("s"));
    } else if (c === "c") {
      if (next === "e" || next === "i" || next === "y") out.push(fricative("s"));
      else out.push(...plosive("k"));
    } else if (c === "j") {
      out.push(...plosive("d"), fricative("Z"));
    } else if (c in FRICATIVES) {
      out.push(fricative(c));
    }
  }
  return out;
}

/** Phones for a character of another script, derived from its code point (deterministic). */
function foreignPhones(char: string): Phone[] {
  const cp = char.codePointAt(0) ?? 0;
  const vowels = "aeiou";
  const consonants = "ptkbdgmnlrsfvzh";
  const v = vowel(vowels[(cp >> 2) % vowels.length] as string);
  const c = consonants[cp % consonants.length] as string;
  const consonant = wordPhones(c);
  if (cp >= SYLLABIC_SCRIPT_START) return [...consonant, v];
  return cp % 3 === 0 ? [v] : consonant;
}

/** The whole text as phones, with pauses, stress and the pitch contour of each phrase. */
function planPhones(text: string): Phone[] {
  const phones: Phone[] = [];
  let phrase: Phone[] = [];
  const endPhrase = (question: boolean, exclaim: boolean): void => {
    applyContour(phrase, question, exclaim);
    phrase = [];
  };
  const addWord = (word: Phone[]): void => {
    if (word.length === 0) return;
    const firstVowel = word.find((p) => p.voicing === 1);
    if (firstVowel) firstVowel.stressed = true;
    if (phrase.length > 0) {
      const gap = silence(WORD_GAP_MS);
      phones.push(gap);
    }
    phones.push(...word);
    phrase.push(...word);
  };

  // Letters with their accents removed: "é" speaks as "e".
  const chars = [...text.normalize("NFD").replace(/\p{M}/gu, "")];
  let word = "";
  const flushWord = (): void => {
    if (word) addWord(wordPhones(word));
    word = "";
  };
  for (const ch of chars) {
    const lower = ch.toLowerCase();
    if (/[a-z']/.test(lower)) {
      if (lower !== "'") word += lower;
      continue;
    }
    flushWord();
    if (/[0-9]/.test(ch)) {
      addWord(wordPhones(DIGIT_WORDS[Number(ch)] as string));
    } else if (ch in SYMBOL_WORDS) {
      addWord(wordPhones(SYMBOL_WORDS[ch] as string));
    } else if (LETTER.test(ch)) {
      addWord(foreignPhones(ch));
    } else if (PAUSE_MARKS.has(ch) || COMMA_MARKS.has(ch)) {
      if (phrase.length === 0) continue; // no double pauses
      endPhrase(QUESTION_MARKS.has(ch), ch === "!" || ch === "！");
      phones.push(silence(PAUSE_MARKS.has(ch) ? SENTENCE_PAUSE_MS : COMMA_PAUSE_MS));
    }
  }
  flushWord();
  if (phrase.length > 0) endPhrase(false, false);
  return phones;
}

/** Declining pitch across a phrase; a rise at its end for a question, a higher start for "!". */
function applyContour(phrase: Phone[], question: boolean, exclaim: boolean): void {
  const total = phrase.reduce((sum, p) => sum + p.ms, 0);
  if (total === 0) return;
  const start = exclaim ? 1.25 : 1.12;
  const pitchAt = (t: number): number => {
    const base = start - (start - 0.86) * t;
    return question && t > 0.65 ? base + ((t - 0.65) / 0.35) * 0.45 : base;
  };
  let elapsed = 0;
  for (const p of phrase) {
    p.pitchFrom = pitchAt(elapsed / total);
    elapsed += p.ms;
    p.pitchTo = pitchAt(elapsed / total);
  }
}

/** A deterministic 32-bit hash of a string (FNV-1a). */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Klatt's two-pole resonator, unity gain at 0 Hz. */
class Resonator {
  #a = 1;
  #b = 0;
  #c = 0;
  #y1 = 0;
  #y2 = 0;
  tune(frequency: number, bandwidth: number, sampleRate: number): void {
    const r = Math.exp((-Math.PI * bandwidth) / sampleRate);
    this.#c = -r * r;
    this.#b = 2 * r * Math.cos((2 * Math.PI * frequency) / sampleRate);
    this.#a = 1 - this.#b - this.#c;
  }
  step(x: number): number {
    const y = this.#a * x + this.#b * this.#y1 + this.#c * this.#y2;
    this.#y2 = this.#y1;
    this.#y1 = y;
    return y;
  }
}

/** A band-pass biquad with 0 dB peak gain (the RBJ cookbook's), for the noise source. */
class BandPass {
  #b0 = 0;
  #a1 = 0;
  #a2 = 0;
  #x1 = 0;
  #x2 = 0;
  #y1 = 0;
  #y2 = 0;
  tune(frequency: number, q: number, sampleRate: number): void {
    const w = (2 * Math.PI * frequency) / sampleRate;
    const alpha = Math.sin(w) / (2 * q);
    const a0 = 1 + alpha;
    this.#b0 = alpha / a0;
    this.#a1 = (-2 * Math.cos(w)) / a0;
    this.#a2 = (1 - alpha) / a0;
  }
  step(x: number): number {
    const y = this.#b0 * (x - this.#x2) - this.#a1 * this.#y1 - this.#a2 * this.#y2;
    this.#x2 = this.#x1;
    this.#x1 = x;
    this.#y2 = this.#y1;
    this.#y1 = y;
    return y;
  }
}

/** Renders phones to samples, keeping every filter's state from one phone to the next. */
class Renderer {
  readonly #rate: number;
  readonly #voice: SpeechVoice;
  readonly #gain: number;
  readonly #resonators = [new Resonator(), new Resonator(), new Resonator()];
  readonly #noiseFilter = new BandPass();
  readonly #envelope: number;
  #phase = 0;
  #voicing = 0;
  #noise = 0;
  #formants: [number, number, number] = [...NEUTRAL];
  #random: number;
  #time = 0;

  constructor(rate: number, voice: SpeechVoice, volume: number, seed: number) {
    this.#rate = rate;
    this.#voice = voice;
    this.#gain = OUTPUT_GAIN * volume;
    this.#envelope = 1 - Math.exp(-1000 / (ENVELOPE_MS * rate));
    this.#random = seed || 1;
  }

  /** Uniform noise in [-1, 1) from a seeded xorshift generator. */
  #nextNoise(): number {
    let x = this.#random;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#random = x >>> 0;
    return this.#random / 2 ** 31 - 1;
  }

  /** Writes the phone's samples at `offset`; returns how many (samplesFor). */
  render(p: Phone, speed: number, out: Int16Array, offset: number): number {
    const rate = this.#rate;
    const count = this.samplesFor(p, speed);
    const nyquistGuard = rate * 0.45;
    const scale = this.#voice.builtin.formantScale;
    const from = [...this.#formants] as [number, number, number];
    const to = p.formants.map((f) => Math.min(f * scale, nyquistGuard)) as unknown as Formants;
    const transition = Math.max(1, Math.round((TRANSITION_MS / 1000) * rate));
    const stress = p.stressed ? 1.08 : 1;
    const noiseHz = Math.min(p.noiseHz || 1000, nyquistGuard);
    this.#noiseFilter.tune(noiseHz, 2, rate);
    for (let i = 0; i < count; i += 1) {
      if (i % BLOCK_SAMPLES === 0) {
        const t = Math.min(1, i / transition);
        for (let k = 0; k < 3; k += 1) {
          const f = (from[k] as number) + ((to[k] as number) - (from[k] as number)) * t;
          this.#formants[k] = f;
          (this.#resonators[k] as Resonator).tune(f, 60 + 40 * k + f * 0.06, rate);
        }
      }
      const progress = i / count;
      // A slow wobble keeps the pitch from sounding mechanical.
      const wobble = 1 + 0.012 * Math.sin(2 * Math.PI * 5.3 * (this.#time / rate));
      const f0 =
        this.#voice.builtin.pitchHz *
        (p.pitchFrom + (p.pitchTo - p.pitchFrom) * progress) *
        stress *
        wobble;
      this.#phase += f0 / rate;
      if (this.#phase >= 1) this.#phase -= 1;
      this.#voicing += (p.voicing - this.#voicing) * this.#envelope;
      this.#noise += (p.noise - this.#noise) * this.#envelope;
      // A falling sawtooth: a glottal pulse rich in harmonics for the resonators to shape.
      const glottal = (1 - 2 * this.#phase) * this.#voicing;
      let voiced = glottal;
      for (const r of this.#resonators) voiced = r.step(voiced);
      const noise = this.#noiseFilter.step(this.#nextNoise()) * this.#noise * 2.5;
      const sample = Math.tanh((voiced * 0.5 + noise) * this.#gain);
      out[offset + i] = Math.round(sample * 32_767);
      this.#time += 1;
    }
    return count;
  }

  samplesFor(p: Phone, speed: number): number {
    return Math.max(1, Math.round((p.ms / speed / 1000) * this.#rate));
  }
}

export interface FormantSynthesizerOptions {
  /** Why this engine is used, shown by describe(); default "espeak-ng not found". */
  reason?: string;
  /** Longest text accepted, in characters; default 10000. */
  maxTextChars?: number;
}

export class FormantSynthesizer implements SpeechSynthesizer {
  readonly engine = "builtin" as const;
  readonly #reason: string;
  readonly #maxTextChars: number;

  constructor(options: FormantSynthesizerOptions = {}) {
    this.#reason = options.reason ?? "espeak-ng not found";
    this.#maxTextChars = options.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;
  }

  describe(): string {
    return `speech: built-in formant synthesizer (${this.#reason})`;
  }

  async *synthesize(request: SynthesisRequest): AsyncGenerator<Uint8Array> {
    const { speed, volume } = checkSynthesisRequest(request, this.#maxTextChars);
    const voice = resolveSpeechVoice(request.voice);
    const signal = request.signal;
    if (signal?.aborted) throw signal.reason;
    const phones = planPhones(request.text);
    const rate = request.sampleRate;
    const renderer = new Renderer(rate, voice, volume, hash(`${voice.id}\u0000${request.text}`));
    const chunkSamples = Math.round((CHUNK_MS / 1000) * rate);
    const yieldEvery = Math.round((YIELD_EVERY_MS / 1000) * rate);
    let sinceYield = 0;
    let chunk = new Int16Array(chunkSamples * 2);
    let filled = 0;
    for (const p of phones) {
      const need = renderer.samplesFor(p, speed);
      if (filled + need > chunk.length) {
        const grown = new Int16Array(Math.max(chunk.length * 2, filled + need));
        grown.set(chunk.subarray(0, filled));
        chunk = grown;
      }
      filled += renderer.render(p, speed, chunk, filled);
      if (filled >= chunkSamples) {
        yield toBytes(chunk, filled);
        sinceYield += filled;
        filled = 0;
        if (sinceYield >= yieldEvery) {
          sinceYield = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (signal?.aborted) throw signal.reason;
      }
    }
    if (filled > 0) yield toBytes(chunk, filled);
  }
}

/** s16le bytes of the first `count` samples (a copy, little-endian whatever the host). */
function toBytes(samples: Int16Array, count: number): Uint8Array {
  const out = new Uint8Array(count * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < count; i += 1) view.setInt16(i * 2, samples[i] as number, true);
  return out;
}
