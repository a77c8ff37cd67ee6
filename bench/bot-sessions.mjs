// Sessions per process (a section of `npm run bench`): how many storyboard sessions one bot server
// process carries over the real protocol (WebSocket + Pipecat's protobuf + RTVI), and what an idle
// session costs.
//
// Three processes, so that each measures only itself:
//   - fal:    the local fal twin, 300 ms of simulated inference, 300 workers (nothing waits in
//             its queue), small images (the renderer's time is not the bot's);
//   - server: `pipecat-ts demo`'s bot server (startDemoServer) under --expose-gc, pointed at fal;
//             it answers "rss" over IPC (after two GCs);
//   - this one: the clients, light Pipecat clients (bench/pipecat-wire.mjs).
//
// 1. One session, `--single-rounds` runs of 3 scenes, one after another: the baseline scene
//    latency (send-text sent → that scene's image message received).
// 2. `--sessions` sessions connect and complete the RTVI handshake; the server's RSS before and
//    after, over the number of sessions, is the RSS per idle session.
// 3. All of them send 3 scenes at once: `--warm-rounds` rounds first (not measured: the single
//    session is measured warm too, and the first round at this concurrency pays for the bot
//    server's ~450 new connections to fal and for compiling its code paths), then `--rounds`
//    measured rounds. Every image must arrive; p50 and p99 scene latency against the single
//    session's. The first (cold) round is reported apart, and so is the figure of the method
//    before the warm-up (p99 over the cold round and the first warm one).
//
// How the sessions' scenes arrive (`--arrivals`):
//   - burst (the default, and the target row): every session sends its 3 scenes in the same
//     millisecond. The worst case, not what 100 people do;
//   - spread: each session sends its 3 scenes at a seeded-random moment within `--spread-ms`
//     (1000) of the round's start, a new moment each round. Latency is still from that session's
//     own send; the floor gets the same moments;
//   - both: burst, then spread on the same sessions; the top-level figures are burst's, and
//     `spread` holds the spread ones.
//
// Prints one JSON object. Usage: node bench/bot-sessions.mjs [--sessions 100] [--rounds 2]
// [--warm-rounds 1] [--single-rounds 10] [--mode queue|sync] [--arrivals burst|spread|both]
// [--spread-ms 1000] [--seed N] [--profile DIR] (CPU profiles of the bot server and the twin).
// Needs a build first.
import { fork } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { connectWire } from "./pipecat-wire.mjs";
import { progress, quantile, round, seededRandom } from "./lib.mjs";
import { installTrace, now, sceneTag } from "./scene-trace.mjs";

const SCRIPT = fileURLToPath(import.meta.url);
const INFERENCE_MS = 300;
const FAL_WORKERS = 300;
const SCENES = ["a lighthouse at dawn", "an orange cat on a boat", "a whale in the moonlight"];
/** Small images: the twin's renderer works for every session, and it is not the bot's time. */
const IMAGE_SIZE = "128x128";
export const TARGET_P99_OVER_SINGLE_MS = 250;
export const TARGET_IDLE_SESSION_MB = 2;
export const ARRIVALS = ["burst", "spread", "both"];
const DEFAULT_SPREAD_MS = 1000;
const DEFAULT_SEED = 0x5e55;

const { values } = parseArgs({
  options: {
    role: { type: "string" },
    fal: { type: "string" },
    sessions: { type: "string", default: "100" },
    rounds: { type: "string", default: "2" },
    "warm-rounds": { type: "string", default: "1" },
    "single-rounds": { type: "string", default: "10" },
    mode: { type: "string", default: "queue" },
    arrivals: { type: "string", default: "burst" },
    "spread-ms": { type: "string", default: String(DEFAULT_SPREAD_MS) },
    seed: { type: "string", default: String(DEFAULT_SEED) },
    profile: { type: "string" },
    trace: { type: "string" },
  },
});

// -------------------------------------------------------------------------------------------------
// Roles

async function runFal() {
  const { createLocalFalServer } = await import("../dist/local/fal/index.js");
  const handle = createLocalFalServer({
    port: 0,
    inferenceMs: INFERENCE_MS,
    workers: FAL_WORKERS,
    maxQueuedRequests: 10_000,
  });
  // The bot server holds up to 100 sessions' worth of keep-alive connections, and the floor (run
  // from the driver) 300 more: past the kit's default of 1024 sockets new ones would be dropped.
  handle.httpServer.maxConnections = 10_000;
  const server = await handle.listen();
  if (values.trace) answerTrace(await installTrace());
  process.on("message", (message) => {
    if (message === "rss") process.send({ rss: process.memoryUsage().rss, cpu: cpuMs() });
  });
  process.send({ url: server.url });
  process.on("disconnect", () => void server.close().then(() => process.exit(0)));
}

/**
 * The share of the wall time between two eventLoopUtilization() readings that an event loop
 * spent running callbacks (1: every moment; a queue builds up near it, whatever the cores).
 */
function busyShare(before, after) {
  const active = after.active - before.active;
  return round(active / (active + after.idle - before.idle), 3);
}

/** CPU time this process has used, in ms. */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** --trace: a process answers "trace-mark" (start a stretch) and "trace" (what it recorded). */
function answerTrace(trace) {
  process.on("message", (message) => {
    if (message === "trace-mark") {
      trace.mark();
      process.send({ marked: true });
    } else if (message === "trace") process.send(trace.take());
  });
}

async function runServer() {
  if (values.trace) answerTrace(await installTrace({ websocket: true }));
  const { setLogger } = await import("../dist/index.js");
  const { startDemoServer } = await import("../dist/web/demo.js");
  setLogger({ debug() {}, info() {}, warn() {}, error: (m) => process.stderr.write(`${m}\n`) });
  const server = await startDemoServer({
    port: 0,
    baseUrl: values.fal,
    key: "",
    maxSessions: 1000,
    maxConcurrency: 3,
    mode: values.mode,
  });
  process.on("message", (message) => {
    if (message === "rss") {
      // The CPU time before the collections: they are the question's cost, not the load's.
      const cpu = cpuMs();
      const loop = performance.eventLoopUtilization();
      globalThis.gc?.();
      globalThis.gc?.();
      process.send({ rss: process.memoryUsage().rss, cpu, loop, sessions: server.sessions });
    }
  });
  process.send({ url: server.url });
  process.on("disconnect", () => void server.close().then(() => process.exit(0)));
}

// -------------------------------------------------------------------------------------------------
// The driver

function start(role, args = [], nodeArgs = []) {
  const child = fork(SCRIPT, ["--role", role, ...args], {
    execArgv: nodeArgs,
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("message", (message) => resolve({ child, url: message.url }));
    child.once("exit", (code) => reject(new Error(`${role} exited with ${code}`)));
  });
}

function ask(child, question) {
  return new Promise((resolve) => {
    child.once("message", resolve);
    child.send(question);
  });
}

/** Opens a session: handshake, then small images. Its messages go to `session.onMessage`. */
async function openSession(url) {
  const holder = { onMessage: undefined };
  const session = await connectWire(`${url.replace("http", "ws")}/ws`, {
    origin: url,
    onMessage: (message, at) => holder.onMessage?.(message, at),
  });
  await session.ready();
  await session.request("settings", { imageSize: IMAGE_SIZE });
  return Object.assign(session, { holder });
}

/**
 * One run of the scenes; resolves with each scene's latency (ms) and what the run reported.
 * `label` ({ session, round }), with --trace, tags the prompts and records sent and received.
 */
async function runScenes(session, label) {
  const latencies = [];
  let sentAt = 0;
  const tags = SCENES.map((_, s) => (label ? sceneTag(label.session, label.round, s) : ""));
  const finished = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("a run did not finish within 120 s")), 120_000);
    session.holder.onMessage = (message, at) => {
      if (message.type !== "server-message") return;
      if (message.data?.type === "image") {
        latencies.push(at - sentAt);
        if (label) {
          const tag = tags.find((t) => message.data.prompt?.includes(t));
          driverTrace?.record("received", tag, performance.timeOrigin + at);
        }
      } else if (message.data?.type === "run-finished") {
        clearTimeout(timer);
        resolve(message.data);
      }
    };
  });
  sentAt = performance.now();
  for (const tag of label ? tags : [])
    driverTrace?.record("sent", tag, performance.timeOrigin + sentAt);
  const lines = SCENES.map((scene, s) => (label ? `${scene} ${tags[s]}` : scene));
  session.send("send-text", { content: lines.join("\n"), options: {} });
  const report = await finished;
  return { latencies, images: report.images, errors: report.errors };
}

/**
 * When each session sends its scenes in one round, in ms from the round's start: all at once
 * (burst), or a seeded-random moment within `spreadMs` (spread).
 */
function arrivalOffsets(arrivals, count, spreadMs, rand) {
  return Array.from({ length: count }, () => (arrivals === "spread" ? rand() * spreadMs : 0));
}

/** --trace: this process's recorder, the rounds traced so far, and a round counter for the tags. */
const driverTrace = values.trace && !values.role ? await installTrace() : undefined;
const tracedRounds = [];
let roundSeq = 0;

/**
 * Runs one round (`fn(roundId)`); with --trace, marks the three processes before it and keeps
 * what each recorded during it.
 */
async function traced(fal, server, about, fn) {
  const roundId = ++roundSeq;
  if (!driverTrace) return fn(roundId);
  await ask(server.child, "trace-mark");
  await ask(fal.child, "trace-mark");
  driverTrace.mark();
  const start = now();
  const result = await fn(roundId);
  const taken = { driver: driverTrace.take(), server: await ask(server.child, "trace") };
  const falTaken = await ask(fal.child, "trace");
  tracedRounds.push({
    ...about,
    roundId,
    start,
    loops: { driver: taken.driver.loop, server: taken.server.loop, fal: falTaken.loop },
    events: [...taken.driver.events, ...taken.server.events],
  });
  return result;
}

const after = (ms) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : undefined);

/**
 * The floor: the same scenes straight through FalImageGenService.runImageGen from this process,
 * at the same moments (no bot server, no pipeline, no RTVI, no WebSocket): what the twin and
 * fal's client take at this concurrency on this machine. A scene's latency is from its group's
 * moment, as a session's is from its send.
 */
async function floorLatencies(falUrl, offsets, mode, roundId) {
  const { FalImageGenService, FalImageGenSettings } = await import("../dist/index.js");
  const service = new FalImageGenService({
    baseUrl: falUrl,
    key: "",
    mode,
    decode: "deferred",
    maxConcurrency: 64,
    settings: new FalImageGenSettings({ imageSize: { width: 128, height: 128 } }),
  });
  const one = async (i, tag) => {
    const started = performance.now();
    driverTrace?.record("sent", tag, performance.timeOrigin + started);
    for await (const frame of service.runImageGen(`floor scene ${i} ${Math.random()} ${tag}`)) {
      if (frame.error !== undefined) throw new Error(frame.error);
    }
    const ended = performance.now();
    driverTrace?.record("received", tag, performance.timeOrigin + ended);
    return ended - started;
  };
  const group = async (offset, g) => {
    await after(offset);
    const tag = (s) => (driverTrace ? sceneTag(g, roundId, s) : "");
    return Promise.all(SCENES.map((_, s) => one(g * SCENES.length + s, tag(s))));
  };
  return (await Promise.all(offsets.map(group))).flat();
}

function stats(latencies) {
  return {
    n: latencies.length,
    p50Ms: round(quantile(latencies, 0.5), 1),
    p99Ms: round(quantile(latencies, 0.99), 1),
    maxMs: round(Math.max(...latencies), 1),
  };
}

/**
 * One arrival pattern: the floor's rounds, then the sessions' (warm-up rounds first, not
 * measured), and what they cost the server and the twin. `open` are the sessions.
 */
async function measureArrivals(arrivals, context) {
  const { fal, server, open, warmRounds, rounds, mode, spreadMs, rand, singleStats } = context;
  const sessions = open.length;
  const how = arrivals === "spread" ? `each within ${spreadMs} ms` : "at once";

  progress(
    `bot sessions (${arrivals}): floor, ${sessions * SCENES.length} scenes ${how} through fal's client alone`,
  );
  // Each round's moments, drawn once: the floor's round r and the sessions' round r get the same.
  const moments = Array.from({ length: warmRounds + rounds }, () =>
    arrivalOffsets(arrivals, sessions, spreadMs, rand),
  );
  const floorRounds = [];
  let floorCpu = { client: 0, fal: 0 };
  let floorLoop = { active: 0, idle: 0 };
  for (let r = 0; r < warmRounds + rounds; r += 1) {
    const measured = r >= warmRounds;
    const clientBefore = cpuMs();
    const loopBefore = performance.eventLoopUtilization();
    const falAtStart = measured ? await ask(fal.child, "rss") : undefined;
    const offsets = moments[r];
    floorRounds.push(
      await traced(fal, server, { arrivals, kind: "floor", round: r }, (id) =>
        floorLatencies(fal.url, offsets, mode, id),
      ),
    );
    if (measured) {
      const loopRound = performance.eventLoopUtilization(loopBefore);
      floorLoop = {
        active: floorLoop.active + loopRound.active,
        idle: floorLoop.idle + loopRound.idle,
      };
      const falAtEnd = await ask(fal.child, "rss");
      floorCpu = {
        client: floorCpu.client + (cpuMs() - clientBefore),
        fal: floorCpu.fal + (falAtEnd.cpu - (falAtStart?.cpu ?? 0)),
      };
    }
  }
  const floor = floorRounds.slice(warmRounds).flat();

  progress(
    `bot sessions (${arrivals}): ${sessions} sessions × ${SCENES.length} scenes ${how}, ${warmRounds} warm-up + ${rounds} rounds`,
  );
  const roundLatencies = [];
  let images = 0;
  let errors = 0;
  const expected = sessions * SCENES.length * (warmRounds + rounds);
  let serverBefore = await ask(server.child, "rss");
  let falBefore = await ask(fal.child, "rss");
  let clientsBefore = cpuMs();
  for (let r = 0; r < warmRounds + rounds; r += 1) {
    if (r === warmRounds) {
      serverBefore = await ask(server.child, "rss");
      falBefore = await ask(fal.child, "rss");
      clientsBefore = cpuMs();
    }
    const offsets = moments[r];
    const results = await traced(fal, server, { arrivals, kind: "bot", round: r }, (id) =>
      Promise.all(
        open.map(async (session, i) => {
          await after(offsets[i]);
          return runScenes(session, driverTrace ? { session: i, round: id } : undefined);
        }),
      ),
    );
    const latencies = [];
    for (const result of results) {
      latencies.push(...result.latencies);
      images += result.images;
      errors += result.errors;
    }
    roundLatencies.push(latencies);
  }
  const latencies = roundLatencies.slice(warmRounds).flat();
  const clientsCpu = cpuMs() - clientsBefore;
  const loaded = await ask(server.child, "rss");
  const falAfter = await ask(fal.child, "rss");

  const loadedStats = stats(latencies);
  const floorStats = stats(floor);
  // The method before the warm-up: 2 rounds, the first of them cold.
  const oldMethod = warmRounds > 0 && rounds > 0 ? stats(roundLatencies.slice(0, 2).flat()) : null;
  const oldFloor = warmRounds > 0 && rounds > 0 ? stats(floorRounds.slice(0, 2).flat()) : null;
  const measuredScenes = sessions * SCENES.length * rounds;
  return {
    figures: {
      arrivals,
      ...(arrivals === "spread" ? { spreadMs, seed: context.seed } : {}),
      imagesExpected: expected,
      imagesArrived: images,
      errors,
      allArrived: images === expected && errors === 0,
      concurrent: loadedStats,
      p99OverSingleMs: round(loadedStats.p99Ms - singleStats.p99Ms, 1),
      p50OverSingleMs: round(loadedStats.p50Ms - singleStats.p50Ms, 1),
      floor: floorStats,
      p99OverFloorMs: round(loadedStats.p99Ms - floorStats.p99Ms, 1),
      p50OverFloorMs: round(loadedStats.p50Ms - floorStats.p50Ms, 1),
      coldRound:
        warmRounds > 0
          ? { concurrent: stats(roundLatencies[0]), floor: stats(floorRounds[0]) }
          : null,
      oldMethod: oldMethod && {
        note: "2 rounds from cold, as measured before the warm-up round was added",
        concurrent: oldMethod,
        p99OverSingleMs: round(oldMethod.p99Ms - singleStats.p99Ms, 1),
        floor: oldFloor,
        p99OverFloorMs: round(oldMethod.p99Ms - oldFloor.p99Ms, 1),
      },
      // How busy the bot server's event loop was over the measured rounds, and the driver's
      // (fal's client alone) over the floor's: past ~0.8 its queue, not the work, sets the tail.
      loopUtilization: {
        server: busyShare(serverBefore.loop, loaded.loop),
        floorClient: busyShare({ active: 0, idle: 0 }, floorLoop),
      },
      cpuSecondsUnderLoad: {
        server: round((loaded.cpu - serverBefore.cpu) / 1000, 2),
        fal: round((falAfter.cpu - falBefore.cpu) / 1000, 2),
      },
      cpuMsPerScene: {
        server: round((loaded.cpu - serverBefore.cpu) / measuredScenes, 2),
        fal: round((falAfter.cpu - falBefore.cpu) / measuredScenes, 2),
        // The 100 light clients in this process: they share the cores with the other two.
        clients: round(clientsCpu / measuredScenes, 2),
        // The floor's: fal's client alone (in this process), and the twin for the same scenes.
        floorClient: round(floorCpu.client / measuredScenes, 2),
        floorFal: round(floorCpu.fal / measuredScenes, 2),
      },
    },
    loaded,
  };
}

export async function runBotSessions({
  sessions = 100,
  rounds = 2,
  warmRounds = 1,
  singleRounds = 10,
  mode = "queue",
  arrivals = "burst",
  spreadMs = DEFAULT_SPREAD_MS,
  seed = DEFAULT_SEED,
} = {}) {
  if (!ARRIVALS.includes(arrivals))
    throw new RangeError(`--arrivals must be one of ${ARRIVALS.join(", ")}, got ${arrivals}`);
  if (!(Number.isFinite(spreadMs) && spreadMs > 0))
    throw new RangeError(`--spread-ms must be a number > 0, got ${spreadMs}`);
  // --profile DIR: the CPU profiles of the bot server and of the twin (where their time goes
  // under load), as DIR/server.cpuprofile and DIR/fal.cpuprofile.
  const profile = (name) =>
    values.profile
      ? ["--cpu-prof", `--cpu-prof-dir=${values.profile}`, `--cpu-prof-name=${name}.cpuprofile`]
      : [];
  const traceArgs = values.trace ? ["--trace", values.trace] : [];
  const fal = await start("fal", traceArgs, profile("fal"));
  const server = await start(
    "server",
    ["--fal", fal.url, "--mode", mode, ...traceArgs],
    ["--expose-gc", ...profile("server")],
  );
  try {
    // 1. One session alone.
    progress(`bot sessions: 1 session, ${singleRounds} runs of ${SCENES.length} scenes`);
    const single = await openSession(server.url);
    await runScenes(single); // warm-up
    const singleLatencies = [];
    for (let i = 0; i < singleRounds; i += 1)
      singleLatencies.push(...(await runScenes(single)).latencies);
    single.close();
    const singleStats = stats(singleLatencies);

    // 2. Idle sessions.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = await ask(server.child, "rss");
    progress(`bot sessions: ${sessions} sessions connecting`);
    const open = [];
    for (let i = 0; i < sessions; i += 10)
      open.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(10, sessions - i) }, () => openSession(server.url)),
        )),
      );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const idle = await ask(server.child, "rss");

    // 3. Every session, as they arrive: the floor, the warm-up round(s), the measured ones.
    const context = {
      fal,
      server,
      open,
      warmRounds,
      rounds,
      mode,
      spreadMs,
      seed,
      rand: seededRandom(seed),
      singleStats,
    };
    const first = await measureArrivals(arrivals === "spread" ? "spread" : "burst", context);
    const spread = arrivals === "both" ? await measureArrivals("spread", context) : undefined;
    const loaded = spread?.loaded ?? first.loaded;
    if (driverTrace) {
      const { writeFile, mkdir } = await import("node:fs/promises");
      await mkdir(values.trace, { recursive: true });
      await writeFile(`${values.trace}/trace.json`, JSON.stringify(tracedRounds));
    }
    for (const session of open) session.close();

    const idleMbPerSession = (idle.rss - before.rss) / sessions / 2 ** 20;
    return {
      sessions,
      scenesPerSession: SCENES.length,
      rounds,
      warmRounds,
      loadAverage1m: round(os.loadavg()[0], 1),
      inferenceMs: INFERENCE_MS,
      falWorkers: FAL_WORKERS,
      imageSize: IMAGE_SIZE,
      falMode: mode,
      singleSession: singleStats,
      ...first.figures,
      ...(spread ? { spread: spread.figures } : {}),
      serverRssMb: {
        beforeSessions: round(before.rss / 2 ** 20, 1),
        idleSessions: round(idle.rss / 2 ** 20, 1),
        afterLoad: round(loaded.rss / 2 ** 20, 1),
      },
      rssPerIdleSessionMb: round(idleMbPerSession, 3),
      targets: {
        p99OverSingleMs: TARGET_P99_OVER_SINGLE_MS,
        rssPerIdleSessionMb: TARGET_IDLE_SESSION_MB,
      },
    };
  } finally {
    server.child.disconnect();
    fal.child.disconnect();
  }
}

if (values.role === "fal") await runFal();
else if (values.role === "server") await runServer();
else {
  const result = await runBotSessions({
    sessions: Number(values.sessions),
    rounds: Number(values.rounds),
    warmRounds: Number(values["warm-rounds"]),
    singleRounds: Number(values["single-rounds"]),
    mode: values.mode,
    arrivals: values.arrivals,
    spreadMs: Number(values["spread-ms"]),
    seed: Number(values.seed),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
