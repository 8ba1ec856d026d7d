import { createHash, type Hash } from "node:crypto";
import type { DataRecord } from "../records.ts";

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
  private readonly hash: Hash = createHash("sha256");
  private readonly buffer = Buffer.allocUnsafe(BATCH);
  private used = 0;
  private result: string | undefined;
  count = 0;

  /** Adds a record; `canonicalLine`, when given, must equal `canonicalRecordLine(record)`. */
  add(record: DataRecord, canonicalLine?: string): void {
    if (this.result !== undefined) throw new Error("RecordDigest: add after finish");
    const line = canonicalLine ?? canonicalRecordLine(record);
    this.count += 1;
    // A UTF-16 code unit takes at most 3 UTF-8 bytes.
    if (this.used + line.length * 3 > BATCH) this.flush();
    if (line.length * 3 > BATCH) this.hash.update(line, "utf8");
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
    if (this.used > 0) this.hash.update(this.buffer.subarray(0, this.used));
    this.used = 0;
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
