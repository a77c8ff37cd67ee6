// The generic HTTP plumbing: fetch failures, capped and JSON body reading, Retry-After, and URLs in
// messages. Connection failures are real (a closed port on 127.0.0.1); bodies are Responses built
// in memory.
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import {
  asRecord,
  checkBaseUrl,
  classifyFetchError,
  parseRetryAfter,
  readBodyCapped,
  readErrorBody,
  readJsonBody,
  retryAfterMsOf,
  urlForMessages,
} from "../../src/utils/http.js";
import { SettingsValidationError } from "../../src/utils/errors.js";

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

const tooLarge = (bytes: number): Error => new RangeError(`too large: ${bytes}`);

describe("classifyFetchError", () => {
  it("a refused connection: network, its code, and certainly not sent before a response", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/`;
    const error = await fetch(url).catch((e: unknown) => e);
    expect(classifyFetchError(error, { beforeResponse: true })).toMatchObject({
      kind: "network",
      code: "ECONNREFUSED",
      notSent: true,
      cause: error,
    });
    // Once a response was under way, the request reached the server.
    expect(classifyFetchError(error)).toMatchObject({ kind: "network", notSent: false });
  });

  it("a reset may have reached the server; an error without a code is still a network failure", () => {
    const reset = new TypeError("fetch failed", {
      cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }),
    });
    expect(classifyFetchError(reset, { beforeResponse: true })).toMatchObject({
      kind: "network",
      code: "ECONNRESET",
      notSent: false,
    });
    expect(classifyFetchError(new TypeError("fetch failed"))).toMatchObject({
      kind: "network",
      code: undefined,
      notSent: false,
    });
  });

  it("the caller's abort is handed back as its reason; any other abort is a timeout", () => {
    const caller = new AbortController();
    const reason = new Error("user stopped");
    caller.abort(reason);
    const abort = new DOMException("aborted", "AbortError");
    expect(classifyFetchError(abort, { callerSignal: caller.signal })).toEqual({
      kind: "aborted",
      reason,
    });
    expect(classifyFetchError(abort, { callerSignal: new AbortController().signal })).toEqual({
      kind: "timeout",
      cause: abort,
    });
    const deadline = new DOMException("timed out", "TimeoutError");
    expect(classifyFetchError(deadline)).toEqual({ kind: "timeout", cause: deadline });
  });
});

describe("readBodyCapped", () => {
  it("joins the chunks of a body within the cap", async () => {
    const body = streamOf([new Uint8Array([1, 2]), new Uint8Array([3])]);
    const bytes = await readBodyCapped(new Response(body), { maxBytes: 3, tooLarge });
    expect([...bytes]).toEqual([1, 2, 3]);
  });

  it("refuses a declared Content-Length over the cap before reading", async () => {
    let pulled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled = true;
        controller.enqueue(new Uint8Array(10));
        controller.close();
      },
    });
    const response = new Response(body, { headers: { "content-length": "10" } });
    await expect(readBodyCapped(response, { maxBytes: 5, tooLarge })).rejects.toThrow(
      "too large: 10",
    );
    expect(pulled).toBe(false);
  });

  it("stops counting as soon as the body passes the cap", async () => {
    const chunks = [new Uint8Array(4), new Uint8Array(4), new Uint8Array(4)];
    await expect(
      readBodyCapped(new Response(streamOf(chunks)), { maxBytes: 6, tooLarge }),
    ).rejects.toThrow("too large: 8");
  });

  it("an empty body is zero bytes", async () => {
    expect((await readBodyCapped(new Response(null), { maxBytes: 1, tooLarge })).byteLength).toBe(
      0,
    );
  });
});

describe("readJsonBody and readErrorBody", () => {
  it("parses JSON whatever the content-type says", async () => {
    const response = new Response('{"a":1}', { headers: { "content-type": "text/plain" } });
    expect(await readJsonBody(response)).toEqual({ ok: true, value: { a: 1 }, text: '{"a":1}' });
  });

  it("a body that is not JSON comes back as text, with the parse error", async () => {
    const body = await readJsonBody(new Response("<html>Bad Gateway</html>"));
    expect(body.ok).toBe(false);
    expect(body.text).toBe("<html>Bad Gateway</html>");
    if (!body.ok) expect(body.error).toBeInstanceOf(SyntaxError);
  });

  it("an error body: its JSON, else its trimmed text (500 characters at most), else undefined", async () => {
    expect(await readErrorBody(new Response('{"detail":"nope"}'))).toEqual({ detail: "nope" });
    expect(await readErrorBody(new Response("  upstream down \n"))).toBe("upstream down");
    expect(await readErrorBody(new Response("x".repeat(800)))).toHaveLength(500);
    expect(await readErrorBody(new Response(""))).toBeUndefined();
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error("connection lost"));
      },
    });
    expect(await readErrorBody(new Response(broken))).toBeUndefined();
  });

  it("asRecord keeps JSON objects only", () => {
    expect(asRecord({ a: 1 })).toEqual({ a: 1 });
    for (const value of [[1], null, "x", 3, undefined]) expect(asRecord(value)).toBeUndefined();
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter("0.5")).toBe(500);
    expect(
      parseRetryAfter("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")),
    ).toBe(10_000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
  });
});

describe("retryAfterMsOf", () => {
  it("prefers retry-after-ms, falls back to Retry-After, and ignores what does not parse", () => {
    expect(retryAfterMsOf(new Headers({ "retry-after-ms": "1500.4", "retry-after": "9" }))).toBe(
      1500,
    );
    expect(retryAfterMsOf(new Headers({ "retry-after-ms": "soon", "retry-after": "2" }))).toBe(
      2000,
    );
    const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
    expect(
      retryAfterMsOf(new Headers({ "retry-after": "Wed, 21 Oct 2015 07:28:03 GMT" }), now),
    ).toBe(3000);
    expect(retryAfterMsOf(new Headers())).toBeUndefined();
  });
});

describe("urlForMessages", () => {
  it("drops the query string (signed URLs carry tokens) and the fragment", () => {
    expect(urlForMessages("https://cdn.example/a/b.png?X-Amz-Signature=secret#x")).toBe(
      "https://cdn.example/a/b.png",
    );
    expect(urlForMessages("not a url")).toBe("invalid URL");
  });
});

describe("checkBaseUrl", () => {
  it("returns an http(s) URL without its trailing slashes", () => {
    expect(checkBaseUrl("baseUrl", "http://127.0.0.1:8787//")).toBe("http://127.0.0.1:8787");
    expect(checkBaseUrl("baseUrl", "https://api.openai.com/v1")).toBe("https://api.openai.com/v1");
  });

  it("refuses anything else, naming the field, the value and what is allowed", () => {
    for (const bad of ["ftp://example.com", "not a url", "file:///etc/passwd"]) {
      let error: unknown;
      try {
        checkBaseUrl("OPENAI_BASE_URL", bad, "an http(s) URL, e.g. https://example.com");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SettingsValidationError);
      expect(error).toMatchObject({
        field: "OPENAI_BASE_URL",
        value: bad,
        allowed: "an http(s) URL, e.g. https://example.com",
      });
    }
    expect(() => checkBaseUrl("baseUrl", "ws://x")).toThrow(/an http:\/\/ or https:\/\/ URL/);
  });
});
