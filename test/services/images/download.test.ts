import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadImage } from "../../../src/services/images/download.js";
import { makeImage, startFakeFal, type FakeFal } from "../../helpers/fake-fal.js";

let fake: FakeFal;
let png: Uint8Array;
beforeAll(async () => {
  fake = await startFakeFal();
  png = await makeImage(20, 10);
});
afterAll(() => fake.close());

describe("downloadImage", () => {
  it("downloads an image and reports its real type", async () => {
    const url = fake.addFile("a.png", png, "image/png");
    const file = await downloadImage(url);
    expect(file.mimeType).toBe("image/png");
    expect(file.bytes).toEqual(png);
  });

  it("accepts application/octet-stream when the bytes are an image", async () => {
    const url = fake.addFile("b.bin", png, "application/octet-stream");
    expect((await downloadImage(url)).mimeType).toBe("image/png");
  });

  it("decodes base64 data URIs without any request", async () => {
    const before = fake.requests.length;
    const file = await downloadImage(
      `data:image/png;base64,${Buffer.from(png).toString("base64")}`,
    );
    expect(file.bytes).toEqual(png);
    expect(fake.requests.length).toBe(before);
  });

  it("enforces the size cap from Content-Length", async () => {
    const url = fake.addFile("c.png", png, "image/png");
    await expect(downloadImage(url, { maxBytes: 10 })).rejects.toThrow(
      /larger than the 10-byte limit/,
    );
  });

  it("enforces the size cap on data URIs", async () => {
    await expect(
      downloadImage(`data:image/png;base64,${Buffer.from(png).toString("base64")}`, {
        maxBytes: 10,
      }),
    ).rejects.toThrow(/limit/);
  });

  it("rejects non-image content types and bodies", async () => {
    await expect(
      downloadImage(fake.addFile("d.html", new TextEncoder().encode("<p>"), "text/html")),
    ).rejects.toThrow(/text\/html/);
    await expect(
      downloadImage(fake.addFile("e.png", new TextEncoder().encode("nope"), "image/png")),
    ).rejects.toThrow(/not an image/);
  });

  it("reports HTTP failures with their status, without the query string", async () => {
    await expect(
      downloadImage(`${fake.url}/files/missing.png?token=secret-token`),
    ).rejects.toMatchObject({ status: 404, message: expect.not.stringContaining("secret-token") });
  });

  it("times out", async () => {
    fake.respond(() => ({ delayMs: 500, body: {} }));
    await expect(downloadImage(`${fake.url}/slow`, { timeoutMs: 50 })).rejects.toMatchObject({
      category: "timeout",
    });
  });

  it("passes the caller's abort through as is", async () => {
    fake.respond(() => ({ delayMs: 500, body: {} }));
    const controller = new AbortController();
    const pending = downloadImage(`${fake.url}/slow`, { signal: controller.signal });
    controller.abort(new Error("user stop"));
    await expect(pending).rejects.toThrow("user stop");
  });
});
