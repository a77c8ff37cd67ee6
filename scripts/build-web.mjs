// Bundles the demo pages' script (web/src/main.ts) with Pipecat's official web client
// (@pipecat-ai/client-js + @pipecat-ai/websocket-transport) into web/dist/app.js: one file the bot
// server serves at /app.js, so the pages load nothing from a CDN.
//
// @daily-co/daily-js is replaced by a module that throws when used: the websocket transport
// imports it for its default (Daily) media manager, which loads Daily's code from Daily's CDN at
// connect. The pages pass the transport's own WavMediaManager, so Daily's code is never needed,
// and the bundle is 200 KB instead of 450 KB.
//
//   node scripts/build-web.mjs            (part of `npm run build`)
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "web", "dist", "app.js");

const noDaily = {
  name: "no-daily",
  setup(b) {
    b.onResolve({ filter: /^@daily-co\/daily-js$/ }, (args) => ({
      path: args.path,
      namespace: "no-daily",
    }));
    b.onLoad({ filter: /.*/, namespace: "no-daily" }, () => ({
      contents: [
        "const unavailable = () => {",
        '  throw new Error("Daily\'s media manager is not in this bundle: give WebSocketTransport a WavMediaManager");',
        "};",
        "export default { getCallInstance: unavailable, createCallObject: unavailable };",
      ].join("\n"),
      loader: "js",
    }));
  },
};

await mkdir(dirname(outfile), { recursive: true });
const result = await build({
  entryPoints: [join(root, "web", "src", "main.ts")],
  outfile,
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "iife",
  platform: "browser",
  target: ["chrome109", "firefox115", "safari16"],
  legalComments: "eof",
  plugins: [noDaily],
  logLevel: "warning",
  metafile: true,
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
// `npm run build --silent` (as `npm start` runs it) sets npm's log level to silent: say nothing.
if (process.env.npm_config_loglevel !== "silent")
  process.stderr.write(`web/dist/app.js: ${(bytes / 1024).toFixed(0)} KiB\n`);
