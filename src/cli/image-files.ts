// The output folder of `pipecat-ts generate`: checked before the first request, written so that
// a file is whole or absent, and never overwritten.
//
// - Checked up front: a pseudo filesystem (/proc, /sys, /dev; Node's recursive mkdir spins there
//   instead of failing) is refused before anything is created; then the folder is created and a
//   probe file is written and removed, so an unwritable folder costs no request.
// - Each image goes to a temporary name in the same folder, created with O_EXCL (an existing file
//   or symlink at that name is never followed), and is then hard-linked to its final name, which
//   fails instead of replacing a file that exists (another run writing the same folder, an earlier
//   run): the next free name is taken. The temporary name is then removed. A run stopped at any
//   moment leaves whole files only; `abandonSync` clears the rest on a forced exit.
import { randomBytes } from "node:crypto";
import { realpathSync, statfsSync, statSync, unlinkSync } from "node:fs";
import { link, mkdir, open, rename, stat, unlink } from "node:fs/promises";
import { dirname, join, parse, resolve, sep } from "node:path";
import { describeError } from "../utils/errors.js";

/** Filesystems that are views of the kernel, not storage (statfs f_type magic numbers). */
const PSEUDO_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, "procfs"],
  [0x62656572, "sysfs"],
  [0x1cd1, "devpts"],
  [0x27e0eb, "cgroup"],
  [0x63677270, "cgroup2"],
  [0x64626720, "debugfs"],
  [0x74726163, "tracefs"],
  [0x73636673, "securityfs"],
  [0xcafe4a11, "bpf"],
  [0x6165676c, "pstore"],
  [0xde5e81e4, "efivarfs"],
  [0x62656570, "configfs"],
  [0x42494e4d, "binfmt_misc"],
  [0x65735543, "fusectl"],
]);

/** Folders that belong to the kernel whatever filesystem the machine mounts there. */
const PSEUDO_ROOTS = ["/proc", "/sys", "/dev"];

/** Why the output folder cannot be used: `reason` ends the sentence `--out "x": <reason>`. */
export class OutputDirError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${path}: ${reason}`, options);
    this.name = "OutputDirError";
  }
}

/** The deepest existing folder on the way to `path` (`path` itself when it exists). */
function nearestExisting(path: string): string {
  let current = path;
  for (;;) {
    try {
      statSync(current);
      return current;
    } catch {
      const parent = dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

/**
 * The kernel filesystem `path` would land on, or undefined. /dev is refused as a whole, except
 * what is mounted below it on a real filesystem of its own (/dev/shm, a RAM disk).
 */
export function pseudoFilesystemOf(path: string): string | undefined {
  const existing = nearestExisting(resolve(path));
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    real = existing;
  }
  try {
    const kind = PSEUDO_FILESYSTEMS.get(Number(statfsSync(real).type));
    if (kind !== undefined) return kind;
  } catch {
    // statfs unavailable: the path rules below still apply
  }
  for (const root of PSEUDO_ROOTS) {
    if (real !== root && !real.startsWith(`${root}${sep}`)) continue;
    if (root !== "/dev" || real === root) return root;
    try {
      // Below /dev, only a separate mount (its own device) is storage.
      if (statSync(real).dev !== statSync(root).dev) return undefined;
    } catch {
      // fall through: refused
    }
    return root;
  }
  return undefined;
}

function reasonFor(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "EACCES":
    case "EPERM":
      return "permission denied (not writable)";
    case "EROFS":
      return "read-only filesystem (not writable)";
    case "ENOTDIR":
      return "a part of the path is a file, not a directory";
    case "ENOSPC":
      return "no space left on the device";
    case "EDQUOT":
      return "disk quota exceeded";
    case "ENAMETOOLONG":
      return "the path is too long";
    case "ELOOP":
      return "too many symbolic links";
    default:
      return describeError(error);
  }
}

/** Removes a file now, if it is there (a forced exit cannot wait). */
function removeSync(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** A write in progress: its temporary file and the name it is being linked to. */
interface PendingWrite {
  temp: string;
  target: string | undefined;
  /** The caller was told the final name. */
  told: boolean;
}

export class ImageFiles {
  readonly dir: string;
  readonly #temporary = new Set<string>();
  readonly #pending = new Set<PendingWrite>();
  /** Set by abandonSync: no file is created or published any more. */
  #abandoned = false;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * The checks that need nothing created (`--dry-run` runs them alone): not on a pseudo
   * filesystem, not a file. Returns the absolute path; throws an OutputDirError saying why not.
   */
  static async check(dir: string): Promise<string> {
    const absolute = resolve(dir);
    const pseudo = pseudoFilesystemOf(absolute);
    if (pseudo !== undefined)
      throw new OutputDirError(
        dir,
        `it is on ${pseudo}, a system pseudo filesystem, not storage; choose a real folder`,
      );
    try {
      const info = await stat(absolute);
      if (!info.isDirectory()) throw new OutputDirError(dir, "it is a file, not a directory");
    } catch (error) {
      if (error instanceof OutputDirError) throw error;
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        throw new OutputDirError(dir, reasonFor(error), { cause: error });
    }
    return absolute;
  }

  /**
   * Checks and creates the folder, then proves it writable with a probe file. Throws an
   * OutputDirError saying why not.
   */
  static async open(dir: string): Promise<ImageFiles> {
    const absolute = await ImageFiles.check(dir);
    try {
      await mkdir(absolute, { recursive: true });
    } catch (error) {
      throw new OutputDirError(dir, `cannot create it: ${reasonFor(error)}`, { cause: error });
    }
    const files = new ImageFiles(absolute);
    try {
      const probe = await files.#createTemporary(".pipecat-probe");
      await probe.handle.close();
      files.#temporary.delete(probe.path);
      await unlink(probe.path);
    } catch (error) {
      throw new OutputDirError(dir, reasonFor(error), { cause: error });
    }
    return files;
  }

  /**
   * Writes `bytes` whole under `name`, or under `name_2`, `name_3`... when that exists, and calls
   * `written` with the name used the moment the file is there (synchronously, before anything
   * else can run). On failure nothing is left behind and the error is thrown. Once the writes are
   * abandoned (`abandonSync`), it returns without a file and without calling `written`.
   */
  async write(name: string, bytes: Uint8Array, written: (final: string) => void): Promise<void> {
    if (this.#abandoned) return;
    const temp = await this.#createTemporary(`.${name}`);
    const pending: PendingWrite = { temp: temp.path, target: undefined, told: false };
    this.#pending.add(pending);
    try {
      try {
        if (!this.#abandoned) await temp.handle.writeFile(bytes);
      } finally {
        await temp.handle.close();
      }
      if (this.#abandoned) return;
      const final = await this.#publish(pending, name);
      if (this.#abandoned) {
        // Linked while being abandoned: the file stays only if abandonSync reported it.
        if (!pending.told) removeSync(join(this.dir, final));
        return;
      }
      pending.told = true;
      written(final);
    } finally {
      this.#pending.delete(pending);
      this.#temporary.delete(temp.path);
      // Abandoned: the process is about to exit, nothing asynchronous may be left to do.
      if (this.#abandoned) removeSync(temp.path);
      else await unlink(temp.path).catch(() => undefined);
    }
  }

  /** Temporary files still on disk (a write in progress). */
  get temporaryFiles(): readonly string[] {
    return [...this.#temporary];
  }

  /**
   * For a forced exit: removes the temporary files of writes in progress, synchronously, and
   * returns the final names of those whose file was already linked in place but not yet reported
   * (the link finished, its callback had not run), so the caller can still report them. Every
   * later or unfinished write then ends without a file, so the process may take the time to
   * flush its output before it exits and what it reported stays what is on disk.
   */
  abandonSync(): string[] {
    this.#abandoned = true;
    const linked: string[] = [];
    for (const pending of this.#pending) {
      if (pending.told || pending.target === undefined) continue;
      try {
        const temp = statSync(pending.temp);
        const target = statSync(join(this.dir, pending.target));
        if (temp.ino === target.ino && temp.dev === target.dev) {
          pending.told = true;
          linked.push(pending.target);
        }
      } catch {
        // not linked
      }
    }
    this.#pending.clear();
    for (const path of this.#temporary) removeSync(path);
    this.#temporary.clear();
    return linked;
  }

  async #createTemporary(
    prefix: string,
  ): Promise<{ path: string; handle: Awaited<ReturnType<typeof open>> }> {
    for (let attempt = 0; ; attempt++) {
      const path = join(this.dir, `${prefix}.${process.pid}-${randomBytes(6).toString("hex")}.tmp`);
      try {
        // "wx": O_CREAT | O_EXCL, never opens an existing file or follows a symlink there.
        this.#temporary.add(path);
        const handle = await open(path, "wx", 0o644);
        // Created after abandonSync cleared the temporary files: remove it at once.
        if (this.#abandoned) removeSync(path);
        return { path, handle };
      } catch (error) {
        this.#temporary.delete(path);
        if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 5) throw error;
      }
    }
  }

  /** Links the temporary file to the first free name: `name`, then `stem_2.ext`, `stem_3.ext`... */
  async #publish(pending: PendingWrite, name: string): Promise<string> {
    const temp = pending.temp;
    const { name: stem, ext } = parse(name);
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? name : `${stem}_${n}${ext}`;
      const target = join(this.dir, candidate);
      pending.target = candidate;
      try {
        await link(temp, target);
        return candidate;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EEXIST") continue;
        if (code === "EPERM" || code === "ENOTSUP" || code === "EOPNOTSUPP" || code === "EXDEV") {
          // A filesystem without hard links: rename, after checking the name is free (a small race
          // with another writer remains there).
          const taken = await stat(target).then(
            () => true,
            () => false,
          );
          if (taken) continue;
          await rename(temp, target);
          this.#temporary.delete(temp);
          return candidate;
        }
        throw error;
      }
    }
  }
}
