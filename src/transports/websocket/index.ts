export {
  CloseCode,
  DEFAULT_MAX_MALFORMED_MESSAGES,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_MESSAGES_PER_SECOND,
  DEFAULT_MAX_SEND_STALL_SECS,
  DEFAULT_SEND_BUFFER_HIGH_WATER_BYTES,
  DEFAULT_SEND_BUFFER_LIMIT_BYTES,
  WebsocketClient,
  type WebsocketClientOptions,
  type WebsocketConnectionLimits,
  type WebSocketLike,
} from "./client.js";
export { WebsocketInputTransport } from "./input.js";
export { WebsocketOutputTransport, type ImageToMessage } from "./output.js";
export {
  WebsocketTransport,
  type WebsocketTransportEvents,
  type WebsocketTransportOptions,
  type WebsocketTransportParams,
} from "./transport.js";
export {
  DEFAULT_WEBSOCKET_SERVER_HOST,
  DEFAULT_WEBSOCKET_SERVER_PORT,
  SingleClientWebsocketServerTransport,
  WebsocketServerTransport,
  type WebsocketServerTransportEvents,
  type WebsocketServerTransportOptions,
} from "./server.js";
export {
  createWebsocketUpgradeHandler,
  type WebsocketUpgradeHandler,
  type WebsocketUpgradeOptions,
} from "./upgrade.js";
