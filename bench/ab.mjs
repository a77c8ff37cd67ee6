// A/B comparison of two builds on the same machine, interleaved: each round runs one bench once in
// each checkout, the order alternating, so drift and other work on the machine hit both alike.
// For each figure it reports both medians and bests, the difference of the medians (B − A) with a
// 95 % bootstrap interval over the runs, and the ratio B ÷ A.
//
//   node bench/ab.mjs --a ../baseline-worktree --b . --bench core --runs 12
//   node bench/ab.mjs --a ../baseline-worktree --b . --bench latency --runs 10 --images 60
//
// Each checkout must be built (`npx tsc -p tsconfig.build.json`); each runs its own bench script
// against its own dist/. Prints one JSON object; progress goes to stderr.
import { spawn } from "node:child_process";
import os from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { progress, quantile, round, seededRandom } from "./lib.mjs";

const { values } = parseArgs({
  options: {
    a: { type: "string" },
    b: { type: "string", default: "." },
    bench: { type: "string", default: "core" },
    runs: { type: "string", default: "10" },
    images: { type: "string", default: "60" },
  },
});

/** What each bench runs, and the figures read from its JSON (higher or lower is better). */
const BENCHES = {
  core: {
    // The bench's own function, with the CPU time it took beside its wall time: on a machine
    // that other work shares, CPU time is the steadier of the two.
    command: (root) => [
      "--expose-gc",
      "--input-type=module",
      "-e",
      `import { runCoreThroughput } from ${JSON.stringify(`${root}/bench/core-throughput.mjs`)};
       const before = process.cpuUsage();
       const r = await runCoreThroughput();
       const cpu = process.cpuUsage(before);
       const cpuSeconds = (cpu.user + cpu.system) / 1e6;
       process.stdout.write(JSON.stringify({ ...r, cpuSeconds,
         framesPerCpuSecond: Math.round(r.frames / cpuSeconds) }) + "\\n");`,
    ],
    figures: {
      framesPerSecond: { path: ["framesPerSecond"], better: "higher" },
      framesPerCpuSecond: { path: ["framesPerCpuSecond"], better: "higher" },
      peakRssMb: { path: ["peakRssMb"], better: "lower" },
    },
  },
  latency: {
    command: (root) => [
      "--input-type=module",
      "-e",
      `import { setLogger } from ${JSON.stringify(`${root}/dist/index.js`)};
       import { runLatency } from ${JSON.stringify(`${root}/bench/latency.mjs`)};
       setLogger({ debug() {}, info() {}, warn() {}, error() {} });
       const r = await runLatency({ images: ${Number(values.images)}, warmup: 5 });
       process.stdout.write(JSON.stringify(r) + "\\n");`,
    ],
    figures: {
      rawOverFloorMs: { path: ["raw", "vsFloor", "diffMs"], better: "lower" },
      rawOverFloorExclRenderMs: {
        path: ["excludingServerRender", "raw", "vsFloor", "diffMs"],
        better: "lower",
      },
      rawMedianMs: { path: ["raw", "medianMs"], better: "lower" },
      floorMedianMs: { path: ["floor", "medianMs"], better: "lower" },
      rawExclRenderMs: { path: ["excludingServerRender", "raw", "medianMs"], better: "lower" },
      floorExclRenderMs: { path: ["excludingServerRender", "floor", "medianMs"], better: "lower" },
    },
  },
};

function runOnce(args, cwd) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("close", (code) => {
      try {
        done(JSON.parse(out.trim().split("\n").at(-1)));
      } catch {
        fail(new Error(`a run in ${cwd} exited with ${code}: ${(err || out).slice(-500)}`));
      }
    });
  });
}

/** 95 % bootstrap interval of median(b) − median(a), resampling the runs of each. */
function diffInterval(a, b, resamples = 4000) {
  const rand = seededRandom();
  const pick = (xs) => Array.from(xs, () => xs[Math.floor(rand() * xs.length)]);
  const diffs = [];
  for (let i = 0; i < resamples; i += 1)
    diffs.push(quantile(pick(b), 0.5) - quantile(pick(a), 0.5));
  return [quantile(diffs, 0.025), quantile(diffs, 0.975)];
}

const get = (json, path) => path.reduce((v, k) => v?.[k], json);

async function main() {
  const bench = BENCHES[values.bench];
  if (!bench) throw new Error(`--bench must be one of ${Object.keys(BENCHES).join(", ")}`);
  if (!values.a) throw new Error("--a <checkout> is required");
  const roots = { a: resolve(values.a), b: resolve(values.b) };
  const runs = Number(values.runs);
  const samples = { a: [], b: [] };
  const loads = [];
  for (let i = 0; i < runs; i += 1) {
    const order = i % 2 === 0 ? ["a", "b"] : ["b", "a"];
    for (const side of order) {
      loads.push(os.loadavg()[0]);
      samples[side].push(await runOnce(bench.command(roots[side]), roots[side]));
    }
    progress(`ab ${values.bench}: round ${i + 1}/${runs}`);
  }
  const figures = {};
  for (const [name, { path, better }] of Object.entries(bench.figures)) {
    const a = samples.a.map((s) => get(s, path));
    const b = samples.b.map((s) => get(s, path));
    const best = (xs) => (better === "higher" ? Math.max(...xs) : Math.min(...xs));
    const [low, high] = diffInterval(a, b);
    const medianA = quantile(a, 0.5);
    const medianB = quantile(b, 0.5);
    figures[name] = {
      better,
      a: { median: round(medianA, 2), best: round(best(a), 2), runs: a.map((x) => round(x, 2)) },
      b: { median: round(medianB, 2), best: round(best(b), 2), runs: b.map((x) => round(x, 2)) },
      diffOfMedians: round(medianB - medianA, 2),
      diffInterval95: [round(low, 2), round(high, 2)],
      ratio: medianA === 0 ? null : round(medianB / medianA, 3),
      bestRatio: best(a) === 0 ? null : round(best(b) / best(a), 3),
    };
  }
  process.stdout.write(
    `${JSON.stringify(
      {
        bench: values.bench,
        a: roots.a,
        b: roots.b,
        runsEach: runs,
        loadAverage1m: { min: round(Math.min(...loads), 1), max: round(Math.max(...loads), 1) },
        figures,
      },
      null,
      2,
    )}\n`,
  );
}

await main();
