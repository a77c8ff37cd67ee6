// A scriptable fake of Cartesia's bytes API for service tests, on 127.0.0.1: records every request
// (headers and JSON body) and answers with a script that writes the response itself, so a test can
// stream half the audio and wait, fail mid-body, or answer an error. The default answers a tone
// whose length follows the transcript.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBodyText } from "./request-body.js";

export interface CartesiaRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  /** Resolves when the client went away before the response ended (an aborted request). */
  aborted: Promise<void>;
  /** True once the client went away before the response ended. */
  wasAborted: boolean;
}

export type CartesiaScript = (req: CartesiaRequest, res: ServerResponse) => void | Promise<void>;

export interface FakeCartesia {
  url: string;
  requests: CartesiaRequest[];
  respond(script: CartesiaScript): void;
  close(): Promise<void>;
}

/** Audio per character in the default answer, in ms. */
export const MS_PER_CHAR = 20;

/** A 440 Hz tone of `ms` at `sampleRate`, s16le mono. */
export function tone(ms: number, sampleRate: number, amplitude = 8000): Uint8Array {
  const samples = Math.round((ms * sampleRate) / 1000);
  const out = new Uint8Array(samples * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples; i++)
    view.setInt16(
      i * 2,
      Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / sampleRate)),
      true,
    );
  return out;
}

/** The default audio for a request: MS_PER_CHAR per transcript character at the asked rate. */
export function audioFor(req: CartesiaRequest): Uint8Array {
  const format = req.body.output_format as { sample_rate: number };
  return tone(String(req.body.transcript).length * MS_PER_CHAR, format.sample_rate);
}

/** Writes an error answer in Cartesia's error-object shape. */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(
    JSON.stringify({
      error_code: status === 429 ? "concurrency_limited" : "invalid_request",
      title: status === 429 ? "Too many concurrent requests" : "Bad request",
      message,
      request_id: "req-test-1",
    }),
  );
}

export async function startFakeCartesia(): Promise<FakeCartesia> {
  const requests: CartesiaRequest[] = [];
  let script: CartesiaScript = (req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.end(audioFor(req));
  };
  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBodyText(req);
    let resolveAborted!: () => void;
    const record: CartesiaRequest = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
      aborted: new Promise<void>((resolve) => (resolveAborted = resolve)),
      wasAborted: false,
    };
    res.on("close", () => {
      if (!res.writableFinished) {
        record.wasAborted = true;
        resolveAborted();
      }
    });
    requests.push(record);
    try {
      await script(record, res);
    } catch (error) {
      if (!res.headersSent) sendError(res, 500, String(error));
      else res.destroy();
    }
  }

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respond(next) {
      script = next;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
