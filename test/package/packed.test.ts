// What `npm pack` ships (the package is not on the registry yet: users install a packed tarball or
// a clone): every relative link in a packed Markdown file points at a packed file, the packed CLI
// runs, and `npm ci` builds the package (a `prepare` script), so `npx pipecat-ts` works right away.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, normalize } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, cleanEnv, requireBuild, startNode } from "../helpers/run-node.js";
import { openWire } from "../helpers/rtvi-wire.js";

const run = promisify(execFile);
let dir: string;
let packed: { filename: string; files: Array<{ path: string }> };

beforeAll(async () => {
  requireBuild();
  dir = await mkdtemp(join(tmpdir(), "pipecat-ts-packed-"));
  // --ignore-scripts: npm test has just built dist/; pack what is there.
  const { stdout } = await run(
    "npm",
    ["pack", "--ignore-scripts", "--json", "--pack-destination", dir],
    { cwd: ROOT, env: cleanEnv() },
  );
  packed = (JSON.parse(stdout) as Array<typeof packed>)[0] as typeof packed;
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("every relative link in a packed Markdown file points at a packed file", async () => {
    const files = new Set(packed.files.map((f) => f.path));
    const docs = [...files].filter((f) => f.endsWith(".md"));
    expect(docs).toContain("README.md");
    const broken: string[] = [];
    for (const doc of docs) {
      const text = await readFile(join(ROOT, doc), "utf8");
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = (match[1] as string).split("#")[0] as string;
        if (target === "" || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // anchor or URL
        const path = normalize(join(dirname(doc), target));
        if (!files.has(path)) broken.push(`${doc} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("the packed CLI runs from an unpacked tarball", async () => {
    const app = join(dir, "app");
    const modules = join(app, "node_modules");
    await mkdir(join(modules, "pipecat-ts"), { recursive: true });
    await run("tar", [
      "-xzf",
      join(dir, packed.filename),
      "-C",
      join(modules, "pipecat-ts"),
      "--strip-components=1",
    ]);
    for (const dep of ["sharp", "ws", "@img", "protobufjs"])
      await symlink(join(ROOT, "node_modules", dep), join(modules, dep));
    const cli = join(modules, "pipecat-ts", "dist", "cli", "main.js");
    const { stdout } = await run(process.execPath, [cli, "--version"], {
      cwd: app,
      env: cleanEnv(),
    });
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
      version: string;
    };
    expect(stdout.trim()).toBe(pkg.version);
    const help = await run(process.execPath, [cli, "generate", "--help"], {
      cwd: app,
      env: cleanEnv(),
    });
    expect(help.stdout).toContain("--dry-run");

    // The demo serves its page and Pipecat's client bundle (web/dist/app.js, built by esbuild at
    // `npm run build`) from the unpacked tarball, and nothing of the page's sources.
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(["web/index.html", "web/calendar.html", "web/dist/app.js"]),
    );
    expect(paths.filter((p) => p.startsWith("web/src/"))).toEqual([]);
    const demo = await startNode(
      [cli, "demo", "--port", "0", "--inference-ms", "0"],
      /Storyboard demo: (http:\/\/127\.0\.0\.1:\d+)\//,
      { cwd: app },
    );
    try {
      const url = demo.match[1] as string;
      expect(await (await fetch(`${url}/`)).text()).toContain('<body data-bot="storyboard">');
      const bundle = await fetch(`${url}/app.js`);
      expect(bundle.headers.get("content-type")).toMatch(/javascript/);
      // Pipecat's client is in it (its RTVI label); Daily's code is not (nothing names Daily's
      // CDN; the stub that stands in for it is there).
      const code = await bundle.text();
      expect(code).toContain("rtvi-ai");
      expect(code).not.toMatch(/daily\.co\b/);
      expect(code).toContain("Daily's media manager is not in this bundle");
      // And the bot answers a Pipecat client on /ws.
      const client = await openWire(`${url.replace("http", "ws")}/ws`, { origin: url });
      if ("status" in client) throw new Error(`upgrade refused: ${client.status}`);
      expect((await client.ready()).data).toMatchObject({ version: "2.1.0" });
      client.ws.close();
    } finally {
      demo.child.kill("SIGINT");
      await demo.exited;
    }
  });

  it("npm ci builds the package (prepare), and the README says how to install without the registry", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as {
      version: string;
      scripts: Record<string, string>;
      bin: Record<string, string>;
    };
    expect(pkg.scripts.prepare).toBe("npm run build");
    expect(pkg.bin["pipecat-ts"]).toBe("./dist/cli/main.js");
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const install = readme.slice(readme.indexOf("## Install"), readme.indexOf("## Quick start"));
    expect(install).toMatch(/not (yet )?(published|on the npm registry)/i);
    expect(install).toContain("npm pack");
    // The tarball npm pack names from package.json: a version bump must reach the README too.
    expect(install).toContain(`npm install ./pipecat-ts-${pkg.version}.tgz`);
    expect(packed.filename).toBe(`pipecat-ts-${pkg.version}.tgz`);
    expect(install).toContain("npm ci");
  });
});
