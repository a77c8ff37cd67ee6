// Bounded in-memory file store for generated images and uploaded files. Files are addressed by
// an opaque key (never a filesystem path); when the total size exceeds the cap, the oldest files
// are evicted first.
import { createHash, randomBytes } from "node:crypto";

export interface StoredFile {
  key: string;
  data: Buffer;
  contentType: string;
  fileName: string;
  createdAt: number;
}

export interface PendingUpload {
  token: string;
  key: string;
  contentType: string;
  fileName: string;
  createdAt: number;
}

const MAX_PENDING_UPLOADS = 1000;
const PENDING_UPLOAD_TTL_MS = 60 * 60 * 1000;

/** Makes a file name safe to use as the last URL segment. */
export function safeFileName(name: string, fallback = "file"): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const cleaned = base
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^\.+/, "")
    .slice(0, 100);
  return cleaned.length > 0 ? cleaned : fallback;
}

export function extensionFor(contentType: string): string {
  const t = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  if (t === "image/jpeg") return "jpg";
  if (t === "image/png") return "png";
  const sub = t.split("/")[1];
  return sub ? sub.replace(/[^a-z0-9]+/g, "").slice(0, 10) || "bin" : "bin";
}

export class FileStore {
  private readonly files = new Map<string, StoredFile>();
  private readonly pending = new Map<string, PendingUpload>();
  private bytes = 0;
  evictions = 0;

  constructor(private readonly maxBytes: number) {}

  get storedBytes(): number {
    return this.bytes;
  }

  get count(): number {
    return this.files.size;
  }

  /**
   * Stores a generated file under a content-derived key (so identical renders get identical
   * URLs) and returns the key.
   */
  putContent(data: Buffer, contentType: string): string {
    const digest = createHash("sha256")
      .update(contentType)
      .update("\0")
      .update(data)
      .digest("hex")
      .slice(0, 24);
    const key = `${digest}.${extensionFor(contentType)}`;
    this.put({ key, data, contentType, fileName: key, createdAt: Date.now() });
    return key;
  }

  /** Stores (or replaces) a file; evicts the oldest files beyond the byte cap. */
  put(file: StoredFile): void {
    const existing = this.files.get(file.key);
    if (existing) {
      this.bytes -= existing.data.length;
      this.files.delete(file.key); // re-insert as newest
    }
    this.files.set(file.key, file);
    this.bytes += file.data.length;
    this.evict(file.key);
  }

  get(key: string): StoredFile | undefined {
    return this.files.get(key);
  }

  /** Reserves an upload slot; the bytes arrive later with `completeUpload`. */
  initiateUpload(contentType: string, fileName: string): PendingUpload {
    this.prunePending();
    const token = randomBytes(18).toString("base64url");
    const id = randomBytes(9).toString("base64url");
    const key = `${id}/${safeFileName(fileName, `upload.${extensionFor(contentType)}`)}`;
    const pending: PendingUpload = { token, key, contentType, fileName, createdAt: Date.now() };
    this.pending.set(token, pending);
    return pending;
  }

  /** Stores the bytes of an initiated upload. Returns undefined for an unknown/expired token. */
  completeUpload(
    token: string,
    data: Buffer,
    contentType: string | undefined,
  ): StoredFile | undefined {
    const pending = this.pending.get(token);
    if (!pending) return undefined;
    const file: StoredFile = {
      key: pending.key,
      data,
      contentType: contentType && contentType.length > 0 ? contentType : pending.contentType,
      fileName: pending.fileName,
      createdAt: Date.now(),
    };
    this.put(file);
    return file;
  }

  clear(): void {
    this.files.clear();
    this.pending.clear();
    this.bytes = 0;
  }

  private evict(keep: string): void {
    for (const [key, file] of this.files) {
      if (this.bytes <= this.maxBytes) break;
      if (key === keep) continue;
      this.files.delete(key);
      this.bytes -= file.data.length;
      this.evictions += 1;
    }
    // A single file larger than the whole cap is not kept either.
    if (this.bytes > this.maxBytes) {
      const file = this.files.get(keep);
      if (file) {
        this.files.delete(keep);
        this.bytes -= file.data.length;
        this.evictions += 1;
      }
    }
  }

  private prunePending(): void {
    const now = Date.now();
    for (const [token, p] of this.pending) {
      if (now - p.createdAt > PENDING_UPLOAD_TTL_MS || this.pending.size >= MAX_PENDING_UPLOADS)
        this.pending.delete(token);
      else break;
    }
  }
}
