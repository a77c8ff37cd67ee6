// The local twins of the providers pipecat-ts talks to: servers on 127.0.0.1 that speak a
// provider's protocol offline and deterministically: fal and OpenAI (a scripted LLM) today; a
// Cartesia-compatible twin will join them here, built on the same kit (src/server/).
export * from "./fal/index.js";
export * from "./openai/index.js";
