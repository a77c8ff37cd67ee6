// Two copies of the built package in one process (as when an app's dependencies nest their own
// pipecat-ts): an error thrown by one copy is `instanceof` the same class of the other copy, both
// ways, subclass relations hold, and nothing else matches.
import { execFile } from "node:child_process";
import { cp, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, cleanEnv, requireBuild } from "../helpers/run-node.js";

const run = promisify(execFile);

const CLASSES = [
  "PipecatError",
  "SettingsValidationError",
  "FalApiError",
  "FalResponseError",
  "FalNetworkError",
  "FalTimeoutError",
  "ImageDownloadError",
  "ImageDecodeError",
  "ImageGenCancelledError",
];

// Loads both copies, builds one error of each class with each copy, and reports, for every error
// and every class of the *other* copy, whether instanceof holds.
const SCRIPT = `
const [first, second] = await Promise.all(process.argv.slice(2).map((url) => import(url)));
const make = (lib, name) => {
  switch (name) {
    case "PipecatError": return new lib.PipecatError("x");
    case "SettingsValidationError": return new lib.SettingsValidationError("f", 1, "2");
    case "FalApiError": return new lib.FalApiError({ status: 500, operation: "run" });
    case "FalResponseError": return new lib.FalResponseError("x");
    case "FalNetworkError": return new lib.FalNetworkError("x", { notSent: true });
    case "FalTimeoutError": return new lib.FalTimeoutError("x", 1);
    case "ImageDownloadError": return new lib.ImageDownloadError("x", { url: "u" });
    case "ImageDecodeError": return new lib.ImageDecodeError("x", undefined);
    case "ImageGenCancelledError": return new lib.ImageGenCancelledError();
  }
};
const classes = ${JSON.stringify(CLASSES)};
const matrix = (from, to) =>
  Object.fromEntries(classes.map((made) => {
    const error = make(from, made);
    return [made, classes.filter((name) => error instanceof to[name])];
  }));
const unrelated = [new Error("x"), new TypeError("fetch failed"), { name: "FalApiError", code: "FAL_API_ERROR" }, null];
class AppError extends first.FalApiError {}
const appError = new AppError({ status: 429, operation: "submit" });
console.log(JSON.stringify({
  distinctCopies: first.FalApiError !== second.FalApiError && first.PipecatError !== second.PipecatError,
  firstToSecond: matrix(first, second),
  secondToFirst: matrix(second, first),
  unrelated: unrelated.map((value) => classes.filter((name) => value instanceof first[name] || value instanceof second[name])),
  appError: classes.filter((name) => appError instanceof second[name]),
  secondIsAppError: make(second, "FalApiError") instanceof AppError,
  codes: [make(first, "FalApiError").code, make(second, "FalApiError").code],
}));
`;

let dir: string;

beforeAll(async () => {
  requireBuild();
  dir = await mkdtemp(join(tmpdir(), "pipecat-ts-two-copies-"));
  const copy = join(dir, "copy");
  await cp(join(ROOT, "dist"), join(copy, "dist"), { recursive: true });
  await writeFile(join(copy, "package.json"), JSON.stringify({ type: "module" }));
  // Bare imports (sharp, loaded lazily) resolve to the repository's node_modules.
  await symlink(join(ROOT, "node_modules"), join(copy, "node_modules"));
  await writeFile(join(dir, "check.mjs"), SCRIPT);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("error identity across two copies of the package", () => {
  it("instanceof holds both ways, with subclass relations, and matches nothing else", async () => {
    const urls = [join(ROOT, "dist", "index.js"), join(dir, "copy", "dist", "index.js")].map(
      (path) => pathToFileURL(path).href,
    );
    const { stdout } = await run(process.execPath, ["check.mjs", ...urls], {
      cwd: dir,
      env: cleanEnv(),
    });
    const out = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
    expect(out.distinctCopies).toBe(true);
    const expected = Object.fromEntries(
      CLASSES.map((name) => [name, name === "PipecatError" ? [name] : ["PipecatError", name]]),
    );
    expect(out.firstToSecond).toEqual(expected);
    expect(out.secondToFirst).toEqual(expected);
    expect(out.unrelated).toEqual([[], [], [], []]);
    expect(out.appError).toEqual(["PipecatError", "FalApiError"]);
    expect(out.secondIsAppError).toBe(false);
    expect(out.codes).toEqual(["FAL_API_ERROR", "FAL_API_ERROR"]);
  });
});
