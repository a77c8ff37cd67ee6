// The local fal twin's own CPU per request, by kind: what one request costs the server kit and the
// twin's handlers (the bot-sessions bench sends thousands of them at once). The twin runs in a
// child process, and this process sends `--n` requests of each kind, `--concurrency` at a time,
// over keep-alive node:http connections; the figure is the child's CPU time (user + system) over
// the requests it answered.
//
// Kinds: `file` (GET of a stored 64×64 image), `status` (GET …/status of a finished request),
// `stream` (GET …/status/stream of a finished one: headers, one event, the end), `result` (GET of
// the result), `submit` (POST of a new request: JSON body, validation, a job, and its rendering
// with 0 ms of inference, so it includes the renderer's time).
//
// With `--compare DIR` the same kinds run against DIR's build too, alternating round by round (a
// checkout of another commit, built; its twin is dist/local/fal or, before the server kit,
// dist/local-fal), and each kind reports both and the ratio.
//
// Prints one JSON object. Usage: node bench/twin-requests.mjs [--n 3000] [--concurrency 100]
// [--rounds 3] [--kinds file,status,stream,result,submit] [--compare DIR]. Needs a build first.
import { fork } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { progress, quantile, round } from "./lib.mjs";

const SCRIPT = fileURLToPath(import.meta.url);
const HERE_ROOT = resolve(dirname(SCRIPT), "..");
const MODEL = "fal-ai/fast-sdxl";
const BODY = JSON.stringify({
  prompt: "a lighthouse at dawn",
  image_size: { width: 64, height: 64 },
});

const { values } = parseArgs({
  options: {
    role: { type: "string" },
    root: { type: "string", default: HERE_ROOT },
    compare: { type: "string" },
    n: { type: "string", default: "3000" },
    concurrency: { type: "string", default: "100" },
    rounds: { type: "string", default: "3" },
    kinds: { type: "string", default: "file,status,stream,result,submit" },
  },
});

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

async function runTwin(root) {
  const modern = join(root, "dist/local/fal/index.js");
  const module = existsSync(modern) ? modern : join(root, "dist/local-fal/index.js");
  const { startLocalFalServer } = await import(module);
  const server = await startLocalFalServer({
    inferenceMs: 0,
    workers: 64,
    maxQueuedRequests: 100_000,
  });
  process.on("message", (message) => {
    if (message === "cpu") process.send({ cpu: cpuMs() });
  });
  process.send({ url: server.url });
  process.on("disconnect", () => void server.close().then(() => process.exit(0)));
}

/** Starts a twin of `root`'s build and prepares one finished request and one stored file. */
async function startTwin(root, agent) {
  const child = fork(SCRIPT, ["--role", "twin", "--root", root], {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const url = await new Promise((done) => child.once("message", (m) => done(m.url)));
  const send = (method, path, body) =>
    new Promise((done, fail) => {
      const headers = body
        ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) }
        : {};
      const request = http.request(`${url}${path}`, { method, agent, headers }, (response) => {
        const chunks = [];
        response.on("data", (c) => chunks.push(c));
        response.on("end", () =>
          done({ status: response.statusCode, text: Buffer.concat(chunks).toString() }),
        );
      });
      request.on("error", fail);
      request.end(body);
    });
  // A finished request to ask about, made again each round: the twin forgets the oldest finished
  // requests after 5,000, and every round submits thousands.
  let base = "";
  let file = "";
  const prepare = async () => {
    const submitted = JSON.parse((await send("POST", `/queue/${MODEL}`, BODY)).text);
    base = `/queue/${MODEL}/requests/${submitted.request_id}`;
    for (let tries = 0; tries < 200; tries += 1) {
      await new Promise((r) => setTimeout(r, 50));
      const answer = await send("GET", base);
      if (answer.status === 200) {
        file = new URL(JSON.parse(answer.text).images[0].url).pathname;
        return;
      }
    }
    throw new Error("the twin did not finish a request");
  };
  await prepare();
  const kinds = {
    file: () => send("GET", file),
    status: () => send("GET", `${base}/status?logs=1`),
    stream: () => send("GET", `${base}/status/stream?logs=1`),
    result: () => send("GET", base),
    submit: () => send("POST", `/queue/${MODEL}`, BODY),
  };
  const cpu = () =>
    new Promise((done) => {
      child.once("message", (m) => done(m.cpu));
      child.send("cpu");
    });
  return { child, kinds, cpu, prepare };
}

/** Twin CPU µs per request for `n` requests of one kind, `concurrency` at a time. */
async function measure(twin, kind, n, concurrency) {
  const call = twin.kinds[kind];
  const before = await twin.cpu();
  for (let sent = 0; sent < n; sent += concurrency) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(concurrency, n - sent) }, call),
    );
    const bad = answers.find((a) => a.status >= 400);
    if (bad) throw new Error(`${kind} answered ${bad.status}: ${bad.text.slice(0, 200)}`);
  }
  return ((await twin.cpu()) - before) * (1000 / n);
}

async function main() {
  const n = Number(values.n);
  const concurrency = Number(values.concurrency);
  const rounds = Number(values.rounds);
  const kinds = values.kinds.split(",");
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const builds = { current: resolve(values.root) };
  if (values.compare) builds.compare = resolve(values.compare);
  const twins = {};
  for (const [name, root] of Object.entries(builds)) twins[name] = await startTwin(root, agent);
  const samples = {};
  try {
    for (const twin of Object.values(twins))
      for (const kind of kinds) await measure(twin, kind, Math.min(n, 500), concurrency); // warm-up
    for (let r = 0; r < rounds; r += 1) {
      progress(`twin requests: round ${r + 1}/${rounds}`);
      const order = Object.keys(twins);
      if (r % 2 === 1) order.reverse();
      for (const twin of Object.values(twins)) await twin.prepare();
      for (const kind of kinds)
        for (const name of order)
          (samples[`${name}:${kind}`] ??= []).push(
            await measure(twins[name], kind, n, concurrency),
          );
    }
  } finally {
    for (const twin of Object.values(twins)) twin.child.disconnect();
    agent.destroy();
  }
  const perKind = {};
  for (const kind of kinds) {
    const current = quantile(samples[`current:${kind}`], 0.5);
    const entry = { twinCpuUsPerRequest: round(current, 0) };
    if (builds.compare) {
      const other = quantile(samples[`compare:${kind}`], 0.5);
      entry.compareCpuUsPerRequest = round(other, 0);
      entry.ratio = round(current / other, 2);
    }
    perKind[kind] = entry;
  }
  process.stdout.write(
    `${JSON.stringify({ n, concurrency, rounds, builds, median: "of the rounds", perKind }, null, 2)}\n`,
  );
}

if (values.role === "twin") await runTwin(resolve(values.root));
else await main();
