// A light Pipecat client for the benchmarks: a `ws` socket speaking Pipecat's protobuf frames
// through pipecat-ts's own ProtobufFrameSerializer (tested to agree with the official client's),
// with the RTVI handshake and requests. Light enough to run a hundred of them in one process,
// which the official client (a PipecatClient, a transport and a media manager each) is not meant
// for.
import { WebSocket } from "ws";
import {
  InputAudioRawFrame,
  InputTransportMessageFrame,
  OutputTransportMessageUrgentFrame,
  ProtobufFrameSerializer,
} from "../dist/index.js";

const serializer = new ProtobufFrameSerializer();
let ids = 0;

/**
 * Connects to a bot's /ws. `onMessage(message, at)` sees every RTVI message, `onAudio(bytes, at)`
 * every audio chunk (`at`: performance.now() on arrival).
 */
export async function connectWire(url, { origin, onMessage, onAudio } = {}) {
  const ws = new WebSocket(url, origin ? { origin } : {});
  const waiters = [];
  const seen = [];
  ws.on("message", (data) => {
    const at = performance.now();
    const frame = serializer.deserialize(new Uint8Array(data));
    if (frame instanceof InputAudioRawFrame) {
      onAudio?.(frame.audio.byteLength, at);
      return;
    }
    if (!(frame instanceof InputTransportMessageFrame)) return;
    const message = frame.message;
    onMessage?.(message, at);
    const waiter = waiters.find((w) => w.match(message));
    if (waiter !== undefined) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve({ message, at });
      return;
    }
    // Kept for a later next() (a reply that came before it was asked for), a few at most.
    seen.push({ message, at });
    if (seen.length > 64) seen.shift();
  });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const next = (match, timeoutMs = 60_000) => {
    const past = seen.find((s) => match(s.message));
    if (past) {
      seen.splice(seen.indexOf(past), 1);
      return Promise.resolve(past);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error("timed out waiting for a message")),
        timeoutMs,
      );
      waiters.push({
        match,
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
      });
    });
  };
  const send = (type, data = {}) => {
    const id = `b${++ids}`;
    ws.send(
      serializer.serialize(
        new OutputTransportMessageUrgentFrame({ label: "rtvi-ai", type, id, data }),
      ),
    );
    return id;
  };
  return {
    ws,
    send,
    next,
    /** client-ready → bot-ready; resolves with bot-ready's arrival. */
    async ready() {
      const answer = next((m) => m.type === "bot-ready");
      send("client-ready", { version: "2.1.0", about: { library: "pipecat-ts bench" } });
      return answer;
    },
    /** A client-message request; resolves with the server-response's `d`. */
    async request(t, d) {
      const id = send("client-message", { t, d });
      const { message } = await next((m) => m.id === id);
      if (message.type !== "server-response") throw new Error(JSON.stringify(message.data));
      return message.data.d;
    },
    close() {
      ws.close();
    },
  };
}
