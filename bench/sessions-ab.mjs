// Not run by run.mjs: the bot server's CPU per storyboard scene (and the scenes' latency) in two
// builds driven at the same moments, so that whatever else the machine is doing hits both alike.
// Each build gets its own fal twin (from build A, so the twins are the same code) and its own bot
// server (bench/ bot-sessions.mjs's roles); both get `--sessions` sessions, and every round sends 3
// scenes from every session of both at once. Sequential runs on a shared machine move by more than
// the few per cent a cut is worth; runs at the same moments do not, but the two sides are not quite
// alike (the second side started measured about 4 % more in an A/A run): run each order once and
// take the geometric mean of B ÷ A and 1 ÷ (A ÷ B).
//
//   node bench/sessions-ab.mjs --a ../before --b . [--sessions 50] [--rounds 6] [--b-node-args=...]
//
// Each checkout must be built (`npm run build`: the bot server serves web/dist). Prints one JSON
// object; progress goes to stderr.
import { fork } from "node:child_process";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { progress, quantile, round } from "./lib.mjs";

const SCENES = ["a lighthouse at dawn", "an orange cat on a boat", "a whale in the moonlight"];
const IMAGE_SIZE = "128x128";
const WARM_ROUNDS = 2;
const RUN_TIMEOUT_MS = 120_000;

const { values } = parseArgs({
  options: {
    a: { type: "string" },
    b: { type: "string", default: "." },
    sessions: { type: "string", default: "50" },
    rounds: { type: "string", default: "6" },
    "b-node-args": { type: "string", default: "" },
  },
});
if (!values.a) throw new Error("--a DIR (the other checkout) is required");
const roots = { a: resolve(values.a), b: resolve(values.b) };
const { connectWire } = await import(`${roots.a}/bench/pipecat-wire.mjs`);

function start(root, role, args, nodeArgs = []) {
  const child = fork(`${root}/bench/bot-sessions.mjs`, ["--role", role, ...args], {
    execArgv: ["--expose-gc", ...nodeArgs],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  return new Promise((resolveStart, reject) => {
    child.once("message", (message) => resolveStart({ child, url: message.url }));
    child.once("exit", (code) => reject(new Error(`${role} (${root}) exited with ${code}`)));
  });
}

/** The process's CPU time so far, in ms (the roles answer "rss" with it). */
function cpuOf(child) {
  return new Promise((resolveCpu) => {
    child.once("message", (message) => resolveCpu(message.cpu));
    child.send("rss");
  });
}

async function openSession(url) {
  const holder = { onMessage: undefined };
  const session = await connectWire(`${url.replace("http", "ws")}/ws`, {
    origin: url,
    onMessage: (message) => holder.onMessage?.(message),
  });
  await session.ready();
  await session.request("settings", { imageSize: IMAGE_SIZE });
  return Object.assign(session, { holder });
}

/** One run of the scenes; resolves with each image's latency (ms from the send). */
function runScenes(session) {
  return new Promise((resolveRun, reject) => {
    const latencies = [];
    const timer = setTimeout(() => reject(new Error("a run did not finish")), RUN_TIMEOUT_MS);
    session.holder.onMessage = (message) => {
      if (message.type !== "server-message") return;
      if (message.data?.type === "image") latencies.push(performance.now() - sentAt);
      else if (message.data?.type === "run-finished") {
        clearTimeout(timer);
        resolveRun(latencies);
      }
    };
    const sentAt = performance.now();
    session.send("send-text", { content: SCENES.join("\n"), options: {} });
  });
}

const sessions = Number(values.sessions);
const sides = {};
for (const tag of ["a", "b"]) {
  const fal = await start(roots.a, "fal", []);
  const nodeArgs = tag === "b" && values["b-node-args"] ? values["b-node-args"].split(" ") : [];
  const server = await start(roots[tag], "server", ["--fal", fal.url, "--mode", "queue"], nodeArgs);
  const open = [];
  for (let i = 0; i < sessions; i += 10)
    open.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(10, sessions - i) }, () => openSession(server.url)),
      )),
    );
  sides[tag] = { fal, server, open, serverMs: [], falMs: [], latencies: [] };
}

async function round_(side) {
  const latencies = (await Promise.all(side.open.map(runScenes))).flat();
  if (latencies.length !== sessions * SCENES.length)
    throw new Error(`${latencies.length} of ${sessions * SCENES.length} images arrived`);
  return latencies;
}

try {
  for (let r = 0; r < WARM_ROUNDS; r += 1) await Promise.all(Object.values(sides).map(round_));
  for (let r = 0; r < Number(values.rounds); r += 1) {
    const before = {};
    for (const [tag, side] of Object.entries(sides))
      before[tag] = { server: await cpuOf(side.server.child), fal: await cpuOf(side.fal.child) };
    const latencies = await Promise.all(Object.values(sides).map(round_));
    for (const [i, side] of Object.values(sides).entries()) side.latencies.push(...latencies[i]);
    for (const [tag, side] of Object.entries(sides)) {
      const scenes = sessions * SCENES.length;
      side.serverMs.push(((await cpuOf(side.server.child)) - before[tag].server) / scenes);
      side.falMs.push(((await cpuOf(side.fal.child)) - before[tag].fal) / scenes);
    }
    progress(
      `round ${r + 1}: bot server CPU per scene, a ${round(sides.a.serverMs.at(-1))} ms, b ${round(sides.b.serverMs.at(-1))} ms`,
    );
  }
  const mean = (xs) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
  const ratios = sides.a.serverMs.map((a, i) => sides.b.serverMs[i] / a);
  process.stdout.write(
    `${JSON.stringify(
      {
        a: roots.a,
        b: roots.b,
        bNodeArgs: values["b-node-args"] || null,
        sessionsEach: sessions,
        rounds: ratios.length,
        serverCpuMsPerScene: {
          a: round(mean(sides.a.serverMs), 3),
          b: round(mean(sides.b.serverMs), 3),
        },
        serverBOverA: {
          overall: round(mean(sides.b.serverMs) / mean(sides.a.serverMs), 3),
          medianPerRound: round(quantile(ratios, 0.5), 3),
          min: round(Math.min(...ratios), 3),
          max: round(Math.max(...ratios), 3),
        },
        twinCpuMsPerScene: { a: round(mean(sides.a.falMs), 3), b: round(mean(sides.b.falMs), 3) },
        // Both sides share the machine, so each one's latency includes the other's load.
        sceneLatencyMs: Object.fromEntries(
          Object.entries(sides).map(([tag, side]) => [
            tag,
            {
              p50: round(quantile(side.latencies, 0.5), 1),
              p99: round(quantile(side.latencies, 0.99), 1),
            },
          ]),
        ),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  for (const side of Object.values(sides)) {
    for (const session of side.open) session.close();
    side.server.child.disconnect();
    side.fal.child.disconnect();
  }
}
