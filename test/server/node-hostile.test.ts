// The node:http adapter against hostile clients, over real sockets on 127.0.0.1: slow headers
// (slow-loris), bodies that never end, oversized request heads, too many connections, and
// WebSocket upgrades under a foreign Host.
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/server/app.js";
import { createHostPolicy, type HostPolicy } from "../../src/server/host-guard.js";
import { hostGuard } from "../../src/server/middleware/host-guard.js";
import {
  createNodeServer,
  type NodeServer,
  type NodeServerOptions,
} from "../../src/server/node.js";

const servers: NodeServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(
  options: NodeServerOptions = {},
  policy?: () => HostPolicy | undefined,
): Promise<{ server: NodeServer; port: number; handled: string[] }> {
  const handled: string[] = [];
  const app = createApp({
    middleware: policy ? [hostGuard({ policy })] : [],
    handler: async (request, context) => {
      handled.push(context.target);
      if (request.body) await context.body();
      return new Response("ok");
    },
  });
  const server = createNodeServer(app, options);
  servers.push(server);
  const { port } = await server.listen(0, "127.0.0.1");
  return { server, port, handled };
}

/** Opens a raw connection, writes `head`, then `drip` every `everyMs`; resolves with what came back once the server closes. */
function rawClient(
  port: number,
  head: string,
  drip?: { text: string; everyMs: number },
): { done: Promise<{ text: string; ms: number }>; socket: Socket } {
  const started = Date.now();
  const socket = connect(port, "127.0.0.1");
  sockets.push(socket);
  let text = "";
  const done = new Promise<{ text: string; ms: number }>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    socket.on("connect", () => {
      socket.write(head);
      if (drip) timer = setInterval(() => socket.writable && socket.write(drip.text), drip.everyMs);
    });
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      text += chunk;
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ text, ms: Date.now() - started });
    });
  });
  return { done, socket };
}

const statusLine = (text: string): string => text.split("\r\n")[0] ?? "";

describe("node adapter against hostile clients", () => {
  it("slow-loris: headers that never finish are cut with 408 after headersTimeoutMs", async () => {
    const { port, handled } = await serve({ headersTimeoutMs: 300, requestTimeoutMs: 5000 });
    const { done } = rawClient(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n", {
      text: "X-Slow: 1\r\n",
      everyMs: 50,
    });
    const { text, ms } = await done;
    expect(statusLine(text)).toBe("HTTP/1.1 408 Request Timeout");
    expect(ms).toBeLessThan(4000);
    expect(handled).toEqual([]);
  });

  it("a chunked body that never ends is cut with 408 after requestTimeoutMs", async () => {
    const { port } = await serve({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const { done } = rawClient(
      port,
      "POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n",
      { text: "1\r\na\r\n", everyMs: 50 },
    );
    const { text, ms } = await done;
    expect(text).toContain("408 Request Timeout");
    expect(ms).toBeLessThan(5000);
  });

  it("a request head over the size limit (a query-string flood) is 431", async () => {
    const { port, handled } = await serve({
      clientError: (status, message) => ({
        contentType: "application/json",
        body: JSON.stringify({ detail: message, status }),
      }),
    });
    const query = "a=1&".repeat(10_000);
    const { done } = rawClient(port, `GET /x?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    const { text } = await done;
    expect(statusLine(text)).toBe("HTTP/1.1 431 Request Header Fields Too Large");
    expect(text).toContain('{"detail":"Request Header Fields Too Large","status":431}');
    expect(handled).toEqual([]);
  });

  it("unparsable requests are 400 with the configured body", async () => {
    const { port } = await serve({
      clientError: () => ({ contentType: "application/json", body: '{"detail":"Bad Request"}' }),
    });
    const { done } = rawClient(port, "NOT HTTP AT ALL\r\n\r\n");
    const { text } = await done;
    expect(statusLine(text)).toBe("HTTP/1.1 400 Bad Request");
    expect(text).toContain('{"detail":"Bad Request"}');
  });

  it("holds at most maxConnections sockets; further ones are dropped at once", async () => {
    const { port } = await serve({ maxConnections: 2 });
    const open = [0, 1].map(() => rawClient(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = rawClient(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const { text } = await third.done;
    expect(text).toBe("");
    for (const client of open) expect(client.socket.destroyed).toBe(false);
  });

  it("WebSocket upgrades: the guard refuses a foreign Host with 403 before onUpgrade", async () => {
    const upgraded: string[] = [];
    let policy: HostPolicy | undefined;
    const { port } = await serve({
      hostPolicy: () => policy,
      onUpgrade: (request, socket) => {
        upgraded.push(request.headers.host ?? "");
        socket.end("HTTP/1.1 101 Switching Protocols\r\n\r\n");
      },
    });
    policy = createHostPolicy({ bindAddress: "127.0.0.1", port });
    const upgrade = (host: string, origin?: string) =>
      rawClient(
        port,
        `GET /ws HTTP/1.1\r\nHost: ${host}\r\n${origin ? `Origin: ${origin}\r\n` : ""}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      ).done;
    const rebinding = await upgrade(`attacker.example:${port}`, `http://attacker.example:${port}`);
    expect(statusLine(rebinding.text)).toBe("HTTP/1.1 403 Forbidden");
    expect(rebinding.text).toContain('Host "attacker.example');
    const foreignPage = await upgrade(`127.0.0.1:${port}`, "https://evil.example");
    expect(statusLine(foreignPage.text)).toBe("HTTP/1.1 403 Forbidden");
    expect(upgraded).toEqual([]);
    const ok = await upgrade(`127.0.0.1:${port}`, `http://127.0.0.1:${port}`);
    expect(statusLine(ok.text)).toBe("HTTP/1.1 101 Switching Protocols");
    expect(upgraded).toEqual([`127.0.0.1:${port}`]);
  });

  it("an upgrade request without onUpgrade reaches the app, whose guard answers 403", async () => {
    let policy: HostPolicy | undefined;
    const { port, handled } = await serve({}, () => policy);
    policy = createHostPolicy({ bindAddress: "127.0.0.1", port });
    const { text } = await rawClient(
      port,
      `GET /ws HTTP/1.1\r\nHost: attacker.example:${port}\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n\r\n`,
    ).done;
    expect(statusLine(text)).toBe("HTTP/1.1 403 Forbidden");
    expect(handled).toEqual([]);
  });
});
