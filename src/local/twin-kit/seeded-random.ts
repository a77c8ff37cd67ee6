// Seeded pseudo-random numbers for the twins that must answer the same request the same way (the
// fal twin's preview renderer, the OpenAI twin's scripted LLM): a stable 32-bit hash of text to
// seed with, and a small PRNG. Deterministic, no global state, not for anything secret.

/** 32-bit FNV-1a over the UTF-16 code units of `text`: a stable seed from text. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: a small, fast, well-mixed PRNG returning numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
