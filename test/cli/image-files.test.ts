// ImageFiles.abandonSync (a second Ctrl-C): from that moment no file is created or reported, so the
// CLI can take the time to flush its last lines before it exits and the report still equals the
// disk. Abandoned at every stage of a write (creating, writing, linking), the folder holds exactly
// the files reported before plus those abandonSync returns, and no temporary file.
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageFiles, OutputDirError } from "../../src/cli/image-files.js";

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "pipecat-image-files-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const BYTES = new Uint8Array(64 * 1024).fill(7);

describe("ImageFiles.abandonSync", () => {
  it("abandoned at any stage of a write: disk equals what was reported, nothing reported later", async () => {
    for (let turns = 0; turns < 40; turns++) {
      const dir = join(work, `stage-${turns}`);
      const files = await ImageFiles.open(dir);
      const reported: string[] = [];
      let abandoned = false;
      const lateReports: string[] = [];
      const written = (name: string) => (abandoned ? lateReports : reported).push(name);
      const writes = [0, 1, 2, 3].map((i) =>
        files.write(`0${i}-image.png`, BYTES, written).catch(() => undefined),
      );
      for (let t = 0; t < turns; t++) await nextTurn();
      reported.push(...files.abandonSync());
      abandoned = true;
      // A write begun afterwards leaves nothing either.
      writes.push(files.write("09-late.png", BYTES, written));
      await Promise.all(writes);
      // Nothing still on its way may land once the writes are abandoned.
      for (let t = 0; t < 5; t++) await nextTurn();
      expect(lateReports, `after ${turns} turns`).toEqual([]);
      expect((await readdir(dir)).sort(), `after ${turns} turns`).toEqual(reported.sort());
    }
  });
});

describe("OutputDirError", () => {
  it("keeps the filesystem error that made the folder unusable as its cause", async () => {
    const file = join(work, "a-file");
    await writeFile(file, "x");
    const error = await ImageFiles.open(join(file, "below")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputDirError);
    expect((error as OutputDirError).reason).toMatch(/not a directory/);
    expect((error as OutputDirError).cause).toMatchObject({ code: "ENOTDIR" });
  });
});
