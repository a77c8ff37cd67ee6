import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/server/app.js";
import { apiKeyAuth, apiKeyFrom } from "../../../src/server/middleware/auth.js";

const ok = (): Response => new Response("ok");

describe("apiKeyAuth", () => {
  it("fal: Authorization: Key <k>, other schemes and wrong keys rejected", async () => {
    const app = createApp({
      middleware: [apiKeyAuth({ key: "id:secret", extract: apiKeyFrom.authorization("Key") })],
      handler: ok,
    });
    const as = (authorization?: string) =>
      app.request("/", authorization ? { headers: { authorization } } : {});
    expect((await as("Key id:secret")).status).toBe(200);
    for (const wrong of [
      undefined,
      "Key id:secretx",
      "Key id:secre",
      "Key id:secreT",
      "Bearer id:secret",
      "key id:secret",
      "Key  id:secret",
      "id:secret",
    ]) {
      const response = await as(wrong);
      expect(response.status, String(wrong)).toBe(401);
      expect(await response.text()).toBe("Unauthorized");
    }
  });

  it("OpenAI: Authorization: Bearer <k>; Cartesia: X-API-Key or Bearer", async () => {
    const openai = createApp({
      middleware: [apiKeyAuth({ key: "sk-1", extract: apiKeyFrom.authorization("Bearer") })],
      handler: ok,
    });
    expect((await openai.request("/", { headers: { authorization: "Bearer sk-1" } })).status).toBe(
      200,
    );
    expect((await openai.request("/", { headers: { authorization: "Key sk-1" } })).status).toBe(
      401,
    );
    const cartesia = createApp({
      middleware: [
        apiKeyAuth({
          key: "ck-1",
          extract: apiKeyFrom.firstOf(
            apiKeyFrom.header("x-api-key"),
            apiKeyFrom.authorization("Bearer"),
          ),
        }),
      ],
      handler: ok,
    });
    expect((await cartesia.request("/", { headers: { "X-API-Key": "ck-1" } })).status).toBe(200);
    expect(
      (await cartesia.request("/", { headers: { authorization: "Bearer ck-1" } })).status,
    ).toBe(200);
    expect((await cartesia.request("/", { headers: { "x-api-key": "ck-2" } })).status).toBe(401);
  });

  it("`when` picks the requests that need the key; onUnauthorized shapes the answer", async () => {
    let refused = 0;
    const app = createApp({
      middleware: [
        apiKeyAuth({
          key: "k",
          extract: apiKeyFrom.authorization("Key"),
          when: (request) => new URL(request.url).pathname.startsWith("/api/"),
          onUnauthorized: () => {
            refused += 1;
            return Response.json({ detail: "Unauthorized" }, { status: 401 });
          },
        }),
      ],
      handler: ok,
    });
    expect((await app.request("/files/x")).status).toBe(200);
    const denied = await app.request("/api/run");
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ detail: "Unauthorized" });
    expect((await app.request("/api/run", { headers: { authorization: "Key k" } })).status).toBe(
      200,
    );
    expect(refused).toBe(1);
  });

  it("refuses an empty key at construction", () => {
    expect(() => apiKeyAuth({ key: "", extract: apiKeyFrom.header("x-api-key") })).toThrow(
      /key must not be empty/,
    );
  });
});
