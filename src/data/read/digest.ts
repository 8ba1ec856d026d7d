import { createHash, type Hash } from "node:crypto";
import type { DataRecord } from "../records.ts";
import { canonicalJsonlInto } from "./canonical-bytes.ts";

/** Canonical lines are encoded into a buffer of this size and hashed one buffer at a time. */
const BATCH = 1 << 20;

/**
 * The canonical JSON line of a normalised record: what `canonicalJson` from core gives for it
 * (keys sorted, no whitespace), written directly for the two record shapes because it runs for
 * every record of every dataset.
 * @example canonicalRecordLine({ messages: [{ role: "user", content: "hi" }] }) // '{"messages":[{"content":"hi","role":"user"}]}\n'
 */
export function canonicalRecordLine(record: DataRecord): string {
  if ("text" in record) return `{"text":${JSON.stringify(record.text)}}\n`;
  let out = '{"messages":[';
  for (let i = 0; i < record.messages.length; i += 1) {
    const m = record.messages[i]!;
    out += `${i > 0 ? "," : ""}{"content":${JSON.stringify(m.content)},"role":${JSON.stringify(m.role)}}`;
  }
  return `${out}]}\n`;
}

/**
 * The dataset digest: SHA-256 over the canonical JSON of each normalised record followed by
 * `\n`, in order, written `sha256:<hex>`. It depends only on the records (their text, or their
 * roles and contents), never on the file format, key order, whitespace or extra fields, so the
 * same records in JSONL, CSV, text or Parquet share one digest.
 * @example const d = new RecordDigest(); d.add({ text: "hi" }); d.finish() // "sha256:…"
 */
export class RecordDigest {
  /**
   * @param copyTo called with every run of canonical bytes, in order, as they are hashed (the
   *   canonical JSONL copy of the dataset); the bytes are only valid during the call.
   */
  constructor(private readonly copyTo?: (canonical: Uint8Array) => void) {}

  private readonly hash: Hash = createHash("sha256");
  private readonly buffer = Buffer.allocUnsafe(BATCH);
  private used = 0;
  private result: string | undefined;
  count = 0;

  /**
   * Adds a record. `jsonlSource`, when given, is the JSONL line the record was parsed from (bytes, without its
   * line break): its canonical line is then copied from it where it can be (see
   * `canonicalJsonlInto`), without serialising or encoding anything.
   */
  add(record: DataRecord, jsonlSource?: Uint8Array): void {
    if (this.result !== undefined) throw new Error("RecordDigest: add after finish");
    this.count += 1;
    if (jsonlSource && jsonlSource.length < BATCH) {
      if (this.used + jsonlSource.length + 1 > BATCH) this.flush();
      const written = canonicalJsonlInto(jsonlSource, record, this.buffer, this.used);
      if (written !== -1) {
        this.used += written;
        return;
      }
    }
    const line = canonicalRecordLine(record);
    // A UTF-16 code unit takes at most 3 UTF-8 bytes.
    if (this.used + line.length * 3 > BATCH) this.flush();
    if (line.length * 3 > BATCH) this.take(Buffer.from(line, "utf8"));
    else this.used += this.buffer.write(line, this.used, "utf8");
  }

  finish(): string {
    if (this.result === undefined) {
      this.flush();
      this.result = `sha256:${this.hash.digest("hex")}`;
    }
    return this.result;
  }

  private flush(): void {
    if (this.used > 0) this.take(this.buffer.subarray(0, this.used));
    this.used = 0;
  }

  private take(canonical: Uint8Array): void {
    this.hash.update(canonical);
    this.copyTo?.(canonical);
  }
}

/**
 * Digest of records held in memory; equal to what streaming the same records yields.
 * @example digestRecords([{ text: "a" }, { text: "b" }])
 */
export function digestRecords(records: Iterable<DataRecord>): string {
  const digest = new RecordDigest();
  for (const record of records) digest.add(record);
  return digest.finish();
}
