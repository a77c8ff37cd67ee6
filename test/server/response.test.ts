// Whole answers (bytesResponse / jsonResponse): ordinary Responses to whoever reads them in
// process, with the bytes kept for the node adapter to write out directly.
import { describe, expect, it } from "vitest";
import { bytesResponse, jsonResponse } from "../../src/server/response.js";
import { untouchedWholeBody } from "../../src/server/whole-response.js";

describe("whole responses", () => {
  it("read as a Response: status, headers, body readers, bodyUsed", async () => {
    const response = jsonResponse(404, { detail: "no" }, { "x-id": "1" });
    expect(response).toBeInstanceOf(Response);
    expect([response.status, response.ok, response.statusText, response.type]).toEqual([
      404,
      false,
      "",
      "default",
    ]);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("content-length")).toBe('{"detail":"no"}'.length.toString());
    expect(response.headers.get("x-id")).toBe("1");
    expect(untouchedWholeBody(response)).toEqual(new TextEncoder().encode('{"detail":"no"}'));
    expect(response.bodyUsed).toBe(false);
    expect(await response.json()).toEqual({ detail: "no" });
    expect(response.bodyUsed).toBe(true);
    // Once its body is read in process, the adapter no longer writes the bytes itself.
    expect(untouchedWholeBody(response)).toBeUndefined();
    await expect(response.text()).rejects.toThrow(TypeError);
  });

  it("clone() gives an independent copy; blob() and arrayBuffer() read the bytes", async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const response = bytesResponse(200, bytes, "application/octet-stream");
    const copy = response.clone();
    copy.headers.set("x-copy", "1");
    expect(response.headers.has("x-copy")).toBe(false);
    expect(new Uint8Array(await copy.arrayBuffer())).toEqual(bytes);
    expect((await response.blob()).size).toBe(3);
  });

  it("204 and 304 carry no body but announce the length; out-of-range statuses are refused", () => {
    const empty = bytesResponse(204, new Uint8Array(5), "text/plain");
    expect(empty.body).toBeNull();
    expect(empty.headers.get("content-length")).toBe("5");
    expect(untouchedWholeBody(bytesResponse(304, new Uint8Array(0), "text/plain"))).toBeNull();
    expect(() => bytesResponse(99, new Uint8Array(0), "text/plain")).toThrow(RangeError);
    expect(() => bytesResponse(600, new Uint8Array(0), "text/plain")).toThrow(RangeError);
    expect(untouchedWholeBody(new Response("x"))).toBeUndefined();
  });
});
