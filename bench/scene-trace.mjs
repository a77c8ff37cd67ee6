// Per-scene stage timestamps for bench/bot-sessions.mjs --trace (not run by run.mjs): where a
// scene's time goes between the client's send and its image's arrival. A scene's prompt carries
// a tag ("[t:<session>:<round>:<scene>]"); each process records, on one clock (the epoch, in ms),
// when a tagged scene passes one of its stages:
//   server: text-in (its send-text read off the socket), submit, submitted, result-start,
//           result, download-start, downloaded, message-out (its image message written);
//   fal client of the floor (the driver): the same fetch stages;
//   clients: sent, received.
// The hooks wrap globalThis.fetch and ws's WebSocket (emit, send) of the process they run in, and
// read the tagged bodies (clones), so tracing costs the traced process some CPU: compare traced
// runs with traced runs. Also the process's event-loop delay (monitorEventLoopDelay) and
// utilisation between two marks.
import { PerformanceObserver, monitorEventLoopDelay, performance } from "node:perf_hooks";

const TAG = /\[t:\d+:\d+:\d+\]/g;
export const now = () => performance.timeOrigin + performance.now();
export const sceneTag = (session, round, scene) => `[t:${session}:${round}:${scene}]`;

/** Installs the hooks; returns the recorder. */
export async function installTrace({ websocket = false } = {}) {
  const events = [];
  const record = (stage, tag, t = now()) => events.push({ stage, tag, t });
  const tagsIn = (text) => text.match(TAG) ?? [];
  const byRequest = new Map(); // fal request id → tag
  const byFile = new Map(); // image URL → tag

  const inner = globalThis.fetch;
  globalThis.fetch = async (input, init = {}) => {
    const url = String(input instanceof Request ? input.url : input);
    const method = init.method ?? "GET";
    const at = now();
    const requestId = url.match(/\/requests\/([^/?]+)/)?.[1];
    let stage;
    let tag;
    if (method === "POST" && url.includes("/queue/")) {
      stage = "submit";
      tag = tagsIn(String(init.body ?? ""))[0];
    } else if (url.includes("/files/")) {
      stage = "download";
      tag = byFile.get(url);
    } else if (requestId && /\/requests\/[^/?]+(\?|$)/.test(url)) {
      stage = "result";
      tag = byRequest.get(decodeURIComponent(requestId));
    }
    const response = await inner(input, init);
    if (tag !== undefined) {
      record(`${stage}-start`, tag, at);
      record(`${stage}-answered`, tag);
    }
    if (stage === "submit" && tag !== undefined) {
      const body = await response.clone().json();
      byRequest.set(body.request_id, tag);
    } else if (stage === "result" && tag !== undefined) {
      const body = await response.clone().json();
      for (const image of body.images ?? []) byFile.set(image.url, tag);
    }
    return response;
  };

  if (websocket) {
    const { WebSocket } = await import("ws");
    const emit = WebSocket.prototype.emit;
    WebSocket.prototype.emit = function (event, data, ...rest) {
      if (event === "message") {
        const at = now();
        for (const tag of new Set(tagsIn(Buffer.from(data).toString("latin1"))))
          record("text-in", tag, at);
      }
      return emit.call(this, event, data, ...rest);
    };
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data, ...rest) {
      const text = Buffer.from(data).toString("latin1");
      if (text.includes('"image"')) for (const tag of tagsIn(text)) record("message-out", tag);
      return send.call(this, data, ...rest);
    };
  }

  // Garbage collections: how many, their total and their longest pause.
  let gc = { count: 0, totalMs: 0, maxMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count += 1;
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
    }
  }).observe({ entryTypes: ["gc"] });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let elu = performance.eventLoopUtilization();
  let cpu = process.cpuUsage();
  let markedAt = now();
  return {
    record,
    /** Starts a measured stretch: the delay histogram and utilisation from here. */
    mark() {
      delay.reset();
      gc = { count: 0, totalMs: 0, maxMs: 0 };
      elu = performance.eventLoopUtilization();
      cpu = process.cpuUsage();
      markedAt = now();
    },
    /** What happened since the mark, and the events so far (then forgotten). */
    take() {
      const since = performance.eventLoopUtilization(elu);
      const used = process.cpuUsage(cpu);
      // CPU time over wall time: beside the utilisation, it tells a busy loop that has a core
      // (the two alike) from one waiting for a core (utilisation above it).
      const cpuShare = (used.user + used.system) / 1000 / (now() - markedAt);
      const ms = (ns) => Math.round(ns / 1e4) / 100;
      const loop = {
        utilization: Math.round(since.utilization * 1000) / 1000,
        cpuShare: Math.round(cpuShare * 1000) / 1000,
        delayP50Ms: ms(delay.percentile(50)),
        delayP99Ms: ms(delay.percentile(99)),
        delayMaxMs: ms(delay.max),
        gcCount: gc.count,
        gcTotalMs: Math.round(gc.totalMs),
        gcMaxMs: Math.round(gc.maxMs * 10) / 10,
      };
      return { loop, events: events.splice(0) };
    },
  };
}
