// A light Pipecat client for tests that need to misbehave: a bare `ws` socket speaking Pipecat's
// protobuf frames through our own ProtobufFrameSerializer (the official client is tested to agree
// with it), so a test can send RTVI messages, raw bytes, text frames or floods, and read what comes
// back: RTVI messages and audio.
import WebSocket from "ws";
import { InputAudioRawFrame } from "../../src/frames/audio.js";
import {
  InputTransportMessageFrame,
  OutputTransportMessageUrgentFrame,
} from "../../src/frames/transport.js";
import { ProtobufFrameSerializer } from "../../src/serializers/protobuf.js";

const serializer = new ProtobufFrameSerializer();

/** An RTVI message as it arrives. */
export interface WireMessage {
  label: string;
  type: string;
  id?: string;
  data?: Record<string, unknown>;
}

export interface WireClient {
  ws: WebSocket;
  /** RTVI messages received, in order. */
  messages: WireMessage[];
  /** Audio chunks received. */
  audioChunks: number;
  /** Sends one RTVI message (a protobuf `message` frame); returns its id. */
  send(type: string, data?: unknown, id?: string): string;
  /** Sends raw bytes (binary) or a string (a text frame). */
  sendRaw(payload: Uint8Array | string): void;
  /** Sends client-ready and resolves with bot-ready. */
  ready(): Promise<WireMessage>;
  /** The first message (past or future) `match` accepts. */
  next(match: (m: WireMessage) => boolean, timeoutMs?: number): Promise<WireMessage>;
  closed: Promise<{ code: number; reason: string }>;
}

let ids = 0;

/** Encodes an RTVI message as the official client does. */
export function rtviFrame(type: string, data: unknown = {}, id = `t${++ids}`): Uint8Array {
  const bytes = serializer.serialize(
    new OutputTransportMessageUrgentFrame({ label: "rtvi-ai", type, id, data }),
  );
  if (bytes === undefined) throw new Error("could not encode");
  return bytes;
}

/** Encodes any JSON value as a protobuf `message` frame (an RTVI message or not). */
export function messageFrame(message: unknown): Uint8Array {
  const bytes = serializer.serialize(new OutputTransportMessageUrgentFrame(message));
  if (bytes === undefined) throw new Error("could not encode");
  return bytes;
}

/**
 * Opens a WebSocket to `url` with the headers given. Resolves with the client once open, or with
 * the HTTP status when the server refused the upgrade.
 */
export function openWire(
  url: string,
  headers: { host?: string; origin?: string } = {},
): Promise<WireClient | { status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      ...(headers.host === undefined ? {} : { headers: { host: headers.host } }),
      ...(headers.origin === undefined ? {} : { origin: headers.origin }),
    });
    const messages: WireMessage[] = [];
    const waiters: Array<{
      match: (m: WireMessage) => boolean;
      resolve: (m: WireMessage) => void;
    }> = [];
    const closed = new Promise<{ code: number; reason: string }>((done) =>
      ws.on("close", (code, reason) => done({ code, reason: reason.toString() })),
    );
    const client: WireClient = {
      ws,
      messages,
      audioChunks: 0,
      send(type, data = {}, id = `t${++ids}`) {
        ws.send(rtviFrame(type, data, id), { binary: true });
        return id;
      },
      sendRaw(payload) {
        ws.send(payload, { binary: typeof payload !== "string" });
      },
      async ready() {
        client.send("client-ready", {
          version: "2.1.0",
          about: { library: "rtvi-wire test client" },
        });
        return client.next((m) => m.type === "bot-ready");
      },
      next(match, timeoutMs = 10_000) {
        const seen = messages.find(match);
        if (seen !== undefined) return Promise.resolve(seen);
        return new Promise((done, fail) => {
          const timer = setTimeout(
            () => fail(new Error(`no matching message; got ${messages.map((m) => m.type)}`)),
            timeoutMs,
          );
          waiters.push({
            match,
            resolve: (m) => {
              clearTimeout(timer);
              done(m);
            },
          });
        });
      },
      closed,
    };
    ws.on("message", (data: Buffer) => {
      const frame = serializer.deserialize(new Uint8Array(data));
      if (frame instanceof InputAudioRawFrame) {
        client.audioChunks += 1;
        return;
      }
      if (!(frame instanceof InputTransportMessageFrame)) return;
      const message = frame.message as WireMessage;
      messages.push(message);
      for (const waiter of [...waiters])
        if (waiter.match(message)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
    });
    ws.on("unexpected-response", (_request, response) =>
      resolve({ status: response.statusCode ?? 0 }),
    );
    ws.on("open", () => resolve(client));
    ws.on("error", (error) => {
      if (ws.readyState === WebSocket.CONNECTING) reject(error);
    });
  });
}

/** A server-message of `type`. */
export const isServerMessage =
  (type: string) =>
  (m: WireMessage): boolean =>
    m.type === "server-message" && m.data?.type === type;
