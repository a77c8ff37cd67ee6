// The Host/Origin guard as kit middleware: first in a chain, it refuses foreign names (DNS
// rebinding) and foreign pages before anything else runs.
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/server/app.js";
import type { Middleware } from "../../../src/server/compose.js";
import { createHostPolicy, type HostPolicy } from "../../../src/server/host-guard.js";
import { hostGuard } from "../../../src/server/middleware/host-guard.js";
import { jsonResponse } from "../../../src/server/response.js";

const PORT = 8787;

function guarded(policy: HostPolicy | (() => HostPolicy | undefined), extra: Middleware[] = []) {
  const reached: string[] = [];
  const app = createApp({
    middleware: [
      hostGuard({ policy }),
      ...extra,
      async (request, _context, next) => {
        reached.push(request.headers.get("host") ?? "");
        return next();
      },
    ],
    handler: () => new Response("ok"),
  });
  return { app, reached };
}

describe("hostGuard middleware", () => {
  const loopback = createHostPolicy({ bindAddress: "127.0.0.1", port: PORT });

  it("refuses a DNS-rebinding Host with 403 before the rest of the chain runs", async () => {
    const { app, reached } = guarded(loopback);
    const response = await app.request("/run", {
      method: "POST",
      headers: { host: `attacker.example:${PORT}`, origin: `http://attacker.example:${PORT}` },
      body: "{}",
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/Host "attacker\.example:8787" is not allowed/);
    expect(reached).toEqual([]);
  });

  it("refuses a foreign Origin with 403", async () => {
    const { app, reached } = guarded(loopback);
    const response = await app.request("/", {
      headers: { host: `127.0.0.1:${PORT}`, origin: "https://evil.example" },
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/Origin "https:\/\/evil\.example" is not allowed/);
    expect(reached).toEqual([]);
  });

  it("lets the loopback names (and listed names) through", async () => {
    const { app, reached } = guarded(loopback);
    for (const host of [`127.0.0.1:${PORT}`, `localhost:${PORT}`, `[::1]:${PORT}`]) {
      expect((await app.request("/", { headers: { host } })).status).toBe(200);
    }
    expect(reached).toHaveLength(3);
    const listed = guarded(
      createHostPolicy({ bindAddress: "0.0.0.0", port: PORT, allowedHosts: ["box.local"] }),
    );
    const ok = await listed.app.request("/", {
      headers: { host: `box.local:${PORT}`, origin: `http://box.local:${PORT}` },
    });
    expect(ok.status).toBe(200);
  });

  it("checks the Host of the URL when the request carries no Host header", async () => {
    const { app } = guarded(loopback);
    // app.request() builds http://localhost/…: port 80, not the server's.
    expect((await app.request("/")).status).toBe(403);
    expect((await app.request(`http://127.0.0.1:${PORT}/`)).status).toBe(200);
  });

  it("takes the policy lazily; without one yet, requests pass", async () => {
    let policy: HostPolicy | undefined;
    const { app } = guarded(() => policy);
    expect((await app.request("/", { headers: { host: "anything:1" } })).status).toBe(200);
    policy = loopback;
    expect((await app.request("/", { headers: { host: "anything:1" } })).status).toBe(403);
  });

  it("answers with onRefused when given, naming the reason", async () => {
    const app = createApp({
      middleware: [
        hostGuard({
          policy: loopback,
          onRefused: (reason) => jsonResponse(403, { detail: reason }),
        }),
      ],
      handler: () => new Response("ok"),
    });
    const response = await app.request("/", { headers: { host: "evil.example" } });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ detail: 'Host "evil.example" is not allowed' });
  });

  it("allowedOrigins lets named pages of other origins through, and no others", async () => {
    const policy = createHostPolicy({
      bindAddress: "127.0.0.1",
      port: PORT,
      allowedOrigins: ["http://localhost:3000"],
    });
    const { app } = guarded(policy);
    const as = (origin: string) =>
      app.request("/", { headers: { host: `127.0.0.1:${PORT}`, origin } });
    expect((await as("http://localhost:3000")).status).toBe(200);
    expect((await as(`http://127.0.0.1:${PORT}`)).status).toBe(200);
    expect((await as("http://localhost:3001")).status).toBe(403);
    expect((await as("https://localhost:3000")).status).toBe(403);
  });

  it("refuses allowedOrigins that are not bare origins, naming the option", () => {
    for (const bad of ["localhost:3000", "http://localhost:3000/app", "file:///x", "*"]) {
      expect(() =>
        createHostPolicy({ bindAddress: "127.0.0.1", port: PORT, allowedOrigins: [bad] }),
      ).toThrow(/allowedOrigins/);
    }
  });
});
