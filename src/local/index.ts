// The local twins of the providers pipecat-ts talks to: servers on 127.0.0.1 that speak a
// provider's protocol offline and deterministically, built on the same kit (src/server/). This
// module is the package export "pipecat-ts/local": every twin, and startLocalServers() for all
// three on one port. Each twin also has its own export ("pipecat-ts/local-fal",
// "pipecat-ts/local-openai", "pipecat-ts/local-cartesia").
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
export {
  createLocalServers,
  createLocalServersApp,
  startLocalServers,
  twinForTarget,
  type LocalServers,
  type LocalServersApp,
  type LocalServersBaseUrls,
  type LocalServersHandle,
  type LocalServersOptions,
  type LocalTwin,
} from "./servers.js";
export {
  createTwinServer,
  type GuardedApp,
  type ListeningTwin,
  type TwinListenOptions,
  type TwinServer,
} from "./twin-kit/server.js";
