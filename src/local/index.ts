// The local twins of the providers pipecat-ts talks to: servers on 127.0.0.1 that speak a
// provider's protocol offline and deterministically. Today only fal; OpenAI- and
// Cartesia-compatible twins will join it here, built on the same kit (src/server/).
export * from "./fal/index.js";
