// `pipecat-ts serve` beyond loopback: the allow-list it requires, the one-line exposure warning,
// the address it reports, and the URLs it hands out to clients that use another name.
// Every server here listens on 127.0.0.1; the wider cases are checked without binding.
import { request as httpRequest } from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import { listeningLines } from "../../src/cli/serve.js";
import { CLI, requireBuild, runNode, startNode } from "../helpers/run-node.js";

beforeAll(() => requireBuild());

function expectOneLine(stderr: string): void {
  expect(stderr.trim().split("\n")).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
}

/** POST /run with an exact Host header, to a server on 127.0.0.1. */
function runWithHost(port: number, host: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/run/fal-ai/fast-sdxl",
        headers: { host, "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify({ prompt: "a kite", image_size: "square" }));
  });
}

describe("pipecat-ts serve: the three twins on one port", () => {
  it("prints the three base URLs, each twin labelled (never a model), and the speech engine; all answer on the port", async () => {
    const served = await startNode(
      [CLI, "serve", "--port", "0", "--inference-ms", "0", "--speech-engine", "builtin"],
      /listening on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*Ctrl-C to stop/,
    );
    try {
      const port = Number(served.match[1]);
      const url = `http://127.0.0.1:${port}`;
      const lines = served.output().stdout.split("\n");
      expect(lines).toContain(`  fal: ${url} (a preview renderer twin, not a model)`);
      expect(lines).toContain(`  OpenAI: ${url}/v1 (a scripted LLM twin, not a model)`);
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(`^  Cartesia: ${url} \\(a speech twin; speech: built-in formant synthesizer`),
        ),
      );
      expect(served.output().stdout).toContain(
        `FAL_BASE_URL=${url} OPENAI_BASE_URL=${url}/v1 CARTESIA_BASE_URL=${url}`,
      );
      const models = await fetch(`${url}/v1/models`);
      expect(models.status).toBe(200);
      const voices = await fetch(`${url}/voices`);
      expect(voices.status).toBe(200);
      expect((await runWithHost(port, `127.0.0.1:${port}`)).status).toBe(200);
    } finally {
      served.child.kill("SIGINT");
      await served.exited;
    }
  });

  it("a bad --speech-engine or --latency-ms is a usage error naming the option", async () => {
    for (const [args, option] of [
      [["--speech-engine", "festival"], "--speech-engine"],
      [["--latency-ms", "-5"], "--latency-ms"],
    ] as const) {
      const r = await runNode([CLI, "serve", "--port", "0", ...args]);
      expect(r.code, option).toBe(2);
      expectOneLine(r.stderr);
      expect(r.stderr).toContain(option);
    }
  });
});

describe("pipecat-ts serve: exposure", () => {
  it("--host 0.0.0.0 without --allowed-host is one clear line and exit 2 (nothing listens)", async () => {
    const r = await runNode([CLI, "serve", "--host", "0.0.0.0", "--port", "0"]);
    expect(r.code).toBe(2);
    expectOneLine(r.stderr);
    expect(r.stderr).toMatch(/--host 0\.0\.0\.0 .*--allowed-host/);
    expect(r.stdout).not.toMatch(/listening/);
  });

  it("bad --allowed-host, --allowed-origin and --public-url values are usage errors naming the option", async () => {
    for (const [args, option] of [
      [["--allowed-host", "a/b"], "--allowed-host"],
      [["--allowed-origin", "localhost:3000"], "--allowed-origin"],
      [["--public-url", "garbage"], "--public-url"],
    ] as const) {
      const r = await runNode([CLI, "serve", "--port", "0", ...args]);
      expect(r.code, option).toBe(2);
      expectOneLine(r.stderr);
      expect(r.stderr).toContain(`Invalid ${option} "${args[1]}"`);
    }
  });

  it("says where it really listens, and warns in one line when that is beyond loopback", () => {
    const wide = listeningLines({
      host: "0.0.0.0",
      port: 8787,
      loopbackOnly: false,
      allowedHosts: ["box.local"],
    });
    expect(wide.listening).toBe(
      "Local twins (fal, OpenAI, Cartesia; none of them a model) listening on 0.0.0.0:8787: http://127.0.0.1:8787 from this machine, http://box.local:8787 from others",
    );
    expect(wide.warning).toBe(
      "Warning: listening on 0.0.0.0:8787: anyone who can reach this port can use this server.",
    );
    const ipv6 = listeningLines({
      host: "::",
      port: 8787,
      loopbackOnly: false,
      allowedHosts: ["*"],
    });
    expect(ipv6.listening).toContain(
      "listening on [::]:8787: http://127.0.0.1:8787 from this machine",
    );
    expect(ipv6.listening).not.toContain("http://*");
    const local = listeningLines({
      host: "127.0.0.1",
      port: 8787,
      loopbackOnly: true,
      allowedHosts: [],
    });
    expect(local.listening).toBe(
      "Local twins (fal, OpenAI, Cartesia; none of them a model) listening on http://127.0.0.1:8787",
    );
    expect(local.warning).toBeUndefined();
  });

  it("--allowed-host names pass and get URLs under their name; other names get 403", async () => {
    const served = await startNode(
      [
        CLI,
        "serve",
        "--port",
        "0",
        "--inference-ms",
        "0",
        "--allowed-host",
        "box.local,pad.local", // a comma-separated list, as demo takes it
      ],
      /listening on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*Ctrl-C to stop/,
    );
    try {
      const port = Number(served.match[1]);
      const named = await runWithHost(port, `box.local:${port}`);
      expect(named.status).toBe(200);
      expect(named.body.images[0].url).toMatch(new RegExp(`^http://box\\.local:${port}/files/`));
      const listed = await runWithHost(port, `pad.local:${port}`);
      expect(listed.status).toBe(200);
      const rebinding = await runWithHost(port, `attacker.example:${port}`);
      expect(rebinding.status).toBe(403);
      expect(served.output().stdout).not.toMatch(/Warning/);
    } finally {
      served.child.kill("SIGINT");
      await served.exited;
    }
  });

  it("--public-url is the base of every URL handed out", async () => {
    const served = await startNode(
      [
        CLI,
        "serve",
        "--port",
        "0",
        "--inference-ms",
        "0",
        "--public-url",
        "https://fal.example.org",
      ],
      /listening on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*Ctrl-C to stop/,
    );
    try {
      const port = Number(served.match[1]);
      const answer = await runWithHost(port, `127.0.0.1:${port}`);
      expect(answer.body.images[0].url).toMatch(/^https:\/\/fal\.example\.org\/files\//);
      expect(served.output().stdout).toContain(
        "URLs the fal twin hands out start with https://fal.example.org",
      );
    } finally {
      served.child.kill("SIGINT");
      await served.exited;
    }
  });
});
