// The local twins of the providers pipecat-ts talks to: servers on 127.0.0.1 that speak a
// provider's protocol offline and deterministically, built on the same kit (src/server/). Each
// twin has its own package export ("pipecat-ts/local-fal", "pipecat-ts/local-openai",
// "pipecat-ts/local-cartesia").
export * from "./fal/index.js";
export * from "./openai/index.js";
export {
  createLocalCartesiaApp,
  createLocalCartesiaServer,
  startLocalCartesiaServer,
  type LocalCartesiaApp,
  type LocalCartesiaAppOptions,
  type LocalCartesiaServer,
  type LocalCartesiaServerOptions,
} from "./cartesia/index.js";
