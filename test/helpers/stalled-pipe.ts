// A pipe whose reader does not read until the test says so: a named pipe (FIFO) the test holds the
// read end of. A child given its write end as stdout fills the kernel's pipe buffer, then keeps
// the rest of its output in memory, which is what a slow reader makes happen by chance under
// load. A real pipe, not the socket pair `spawn` makes: its capacity is small and can be measured.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { Socket } from "node:net";
import { join } from "node:path";

export interface StalledPipe {
  /** The write end: give it to a child as stdout, then call `detach()`. */
  writeFd: number;
  /** Closes the test's own copy of the write end, so the reader sees the end once the child's is closed. */
  detach(): void;
  /** Starts reading; resolves with everything once every writer has closed the pipe. */
  readAll(): Promise<Buffer>;
}

let made = 0;

/** A new FIFO in `dir`, opened at both ends; nothing reads it until `readAll()`. */
export function stalledPipe(dir: string): StalledPipe {
  made += 1;
  const path = join(dir, `stalled-${process.pid}-${made}.fifo`);
  const mkfifo = spawnSync("mkfifo", [path]);
  if (mkfifo.status !== 0) throw new Error(`mkfifo failed: ${mkfifo.stderr?.toString()}`);
  // Non-blocking so the open does not wait for a writer; the write end then opens at once.
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY);
  let detached = false;
  return {
    writeFd,
    detach: () => {
      if (detached) return;
      detached = true;
      closeSync(writeFd);
    },
    readAll: () =>
      new Promise((resolve, reject) => {
        const socket = new Socket({ fd: readFd, readable: true, writable: false });
        const chunks: Buffer[] = [];
        socket.on("data", (chunk: Buffer) => chunks.push(chunk));
        socket.on("end", () => resolve(Buffer.concat(chunks)));
        socket.on("error", reject);
      }),
  };
}

/**
 * How many bytes of `line`, written again and again, a stalled pipe takes before a writer must
 * wait: the kernel's pipe buffer, as filled by lines of that length (a line that does not fit
 * in a page's rest starts a new page).
 */
export async function pipeCapacity(dir: string, line: string): Promise<number> {
  const pipe = stalledPipe(dir);
  // Writes until far past any pipe buffer; what Node still holds was not taken by the kernel.
  const script = `const line = ${JSON.stringify(line)}; let total = 0;
while (total < 8 * 1024 * 1024) { process.stdout.write(line); total += Buffer.byteLength(line); }
process.stderr.write(String(total - process.stdout.writableLength));
process.exit(0);`;
  const child = spawn(process.execPath, ["-e", script], {
    stdio: ["ignore", pipe.writeFd, "pipe"],
  });
  pipe.detach();
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  await new Promise((resolve) => child.on("close", resolve));
  await pipe.readAll();
  const capacity = Number(stderr);
  if (!Number.isFinite(capacity) || capacity <= 0)
    throw new Error(`cannot measure the pipe capacity: ${stderr}`);
  return capacity;
}
