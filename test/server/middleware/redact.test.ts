import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/server/app.js";
import { createRedactor, redactSecrets } from "../../../src/server/middleware/redact.js";
import { refuseWhenClosing } from "../../../src/server/middleware/shutdown.js";
import { bytesResponse, jsonResponse } from "../../../src/server/response.js";

const KEY = "id:se cret";

describe("createRedactor", () => {
  it("replaces the secret as given and URL-encoded, in text and in values (keys too)", () => {
    const redactor = createRedactor([KEY, undefined], { replacement: "[redacted]" });
    expect(redactor.active).toBe(true);
    expect(redactor.text(`a ${KEY} b ${encodeURIComponent(KEY)} c id%3Ase+cret`)).toBe(
      "a [redacted] b [redacted] c [redacted]",
    );
    expect(redactor.value({ [KEY]: [KEY, 1, { x: `k=${KEY}` }] })).toEqual({
      "[redacted]": ["[redacted]", 1, { x: "k=[redacted]" }],
    });
  });

  it("redacts even a short secret, and is inactive without one", () => {
    expect(createRedactor(["k1"]).text("k1k1")).toBe("[REDACTED][REDACTED]");
    const none = createRedactor([undefined, ""]);
    expect(none.active).toBe(false);
    const value = { a: 1 };
    expect(none.value(value)).toBe(value);
  });
});

describe("redactSecrets", () => {
  const redactor = createRedactor([KEY], { replacement: "[redacted]" });

  it("redacts JSON answers and fixes their length; other answers pass as they are", async () => {
    const app = createApp({
      middleware: [
        redactSecrets({ redactor, skip: (context) => context.target.startsWith("/files/") }),
      ],
      handler: (_request, context) =>
        context.target.endsWith(".txt")
          ? bytesResponse(200, new TextEncoder().encode(KEY), "text/plain")
          : jsonResponse(
              404,
              { detail: `${decodeURIComponent(context.target)} not found` },
              {
                "x-extra": "kept",
              },
            ),
    });
    const echoed = await app.request(`/${encodeURIComponent(KEY)}`);
    expect(echoed.status).toBe(404);
    expect(echoed.headers.get("x-extra")).toBe("kept");
    const text = await echoed.text();
    expect(text).toBe('{"detail":"/[redacted] not found"}');
    expect(Number(echoed.headers.get("content-length"))).toBe(text.length);
    expect(await (await app.request("/notes.txt")).text()).toBe(KEY);
    expect(await (await app.request(`/files/${encodeURIComponent(KEY)}`)).text()).toContain(KEY);
  });
});

describe("refuseWhenClosing", () => {
  it("answers 503 and closes the connection while closing", async () => {
    let closing = false;
    const app = createApp({
      middleware: [refuseWhenClosing({ isClosing: () => closing })],
      handler: () => new Response("ok"),
    });
    expect((await app.request("/")).status).toBe(200);
    closing = true;
    const refused = await app.request("/");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("connection")).toBe("close");
  });
});
