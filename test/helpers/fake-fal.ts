// A scriptable fake of fal's sync API for service tests, on 127.0.0.1: records every request and
// answers with real PNG/JPEG bytes made with sharp. Tests script it with `respond`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "./request-body.js";
import sharp from "sharp";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface FakeReply {
  status?: number;
  headers?: Record<string, string>;
  /** JSON-serialised unless it is a string or a Uint8Array. */
  body?: unknown;
  delayMs?: number;
}

export type FakeHandler = (req: RecordedRequest, fake: FakeFal) => FakeReply | Promise<FakeReply>;

export interface FakeFal {
  url: string;
  requests: RecordedRequest[];
  /** Replaces the handler for POST /{model} (the default one answers fal's sync output). */
  respond(handler: FakeHandler): void;
  /** Serves bytes at `/files/{name}`. Returns the absolute URL. */
  addFile(name: string, bytes: Uint8Array, contentType: string): string;
  /** Default sync answer: `count` real PNGs of the given size. */
  imagesReply(
    count: number,
    options?: { width?: number; height?: number; format?: "png" | "jpeg" },
  ): Promise<FakeReply>;
  close(): Promise<void>;
}

export async function makeImage(
  width: number,
  height: number,
  format: "png" | "jpeg" = "png",
  channels: 3 | 4 = 3,
): Promise<Uint8Array> {
  const image = sharp({
    create: { width, height, channels, background: { r: 200, g: 80, b: 40, alpha: 1 } },
  });
  const buffer = await (format === "png" ? image.png() : image.jpeg()).toBuffer();
  return new Uint8Array(buffer);
}

export async function startFakeFal(): Promise<FakeFal> {
  const files = new Map<string, { bytes: Uint8Array; contentType: string }>();
  const requests: RecordedRequest[] = [];
  let handler: FakeHandler | undefined;
  let fileCounter = 0;

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const fake: FakeFal = {
    url,
    requests,
    respond(next) {
      handler = next;
    },
    addFile(name, bytes, contentType) {
      files.set(name, { bytes, contentType });
      return `${url}/files/${name}`;
    },
    async imagesReply(count, options = {}) {
      const width = options.width ?? 64;
      const height = options.height ?? 48;
      const format = options.format ?? "png";
      const images = [];
      for (let i = 0; i < count; i++) {
        fileCounter += 1;
        const bytes = await makeImage(width + i, height, format);
        images.push({
          url: fake.addFile(`img-${fileCounter}.${format}`, bytes, `image/${format}`),
          width: width + i,
          height,
          content_type: `image/${format}`,
        });
      }
      return {
        body: {
          images,
          seed: 1234,
          timings: { inference: 0.01 },
          has_nsfw_concepts: images.map(() => false),
          prompt: "",
        },
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = req.url ?? "/";
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      path,
      headers: req.headers,
      body,
    };
    requests.push(recorded);
    if (req.method === "GET" && path.startsWith("/files/")) {
      const file = files.get(path.slice("/files/".length));
      if (!file) return send(res, { status: 404, body: { detail: "Not found" } });
      return send(res, { headers: { "content-type": file.contentType }, body: file.bytes });
    }
    const reply = handler ? await handler(recorded, fake) : await fake.imagesReply(1);
    await send(res, reply);
  }

  async function send(res: ServerResponse, reply: FakeReply): Promise<void> {
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    const isBytes = reply.body instanceof Uint8Array;
    const isText = typeof reply.body === "string";
    const payload = isBytes
      ? Buffer.from(reply.body as Uint8Array)
      : isText
        ? (reply.body as string)
        : reply.body === undefined
          ? ""
          : JSON.stringify(reply.body);
    res.writeHead(reply.status ?? 200, {
      "content-type": isBytes ? "application/octet-stream" : "application/json",
      "x-fal-request-id": `req-${requests.length}`,
      ...reply.headers,
    });
    res.end(payload);
  }

  return fake;
}
