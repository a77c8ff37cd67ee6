// Loads Pipecat's official web client packages (@pipecat-ai/client-js 1.13.1 and
// @pipecat-ai/websocket-transport 1.7.1) in Node, as pipecat-live.md §8.14 describes: the client
// reads `window.navigator`, needs a global WebSocket that hands binary messages over as Blobs (as
// browsers do), and must be given a media manager (the default Daily one fetches code from a CDN).
import { WebSocket as WsWebSocket } from "ws";

/** A `ws` WebSocket that behaves like a browser's for binary messages (Blob, not Buffer). */
class BrowserLikeWebSocket extends WsWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    // ws 8.18+ supports "blob"; @types/ws does not list it yet.
    (this as { binaryType: string }).binaryType = "blob";
  }
}

let installed = false;

/** Installs `window` and `WebSocket` on globalThis (once) and imports the two packages. */
export async function loadPipecatClient() {
  if (!installed) {
    installed = true;
    const g = globalThis as Record<string, unknown>;
    g.window ??= { navigator: { userAgent: "Node.js" } };
    g.WebSocket ??= BrowserLikeWebSocket;
  }
  const [clientJs, transport] = await Promise.all([
    import("@pipecat-ai/client-js"),
    import("@pipecat-ai/websocket-transport"),
  ]);
  return { clientJs, transport };
}
