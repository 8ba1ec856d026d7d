import { createHash, type Hash } from "node:crypto";
import { canonicalJson } from "../../core/digest.ts";
import type { DataRecord } from "../records.ts";

/**
 * The dataset digest: SHA-256 over the canonical JSON of each normalised record followed by
 * `\n`, in order, written `sha256:<hex>`. It depends only on the records (their text, or their
 * roles and contents), never on the file format, key order, whitespace or extra fields, so the
 * same records in JSONL, CSV, text or Parquet share one digest.
 * @example const d = new RecordDigest(); d.add({ text: "hi" }); d.finish() // "sha256:…"
 */
export class RecordDigest {
  private readonly hash: Hash = createHash("sha256");
  private result: string | undefined;
  count = 0;

  add(record: DataRecord): void {
    if (this.result !== undefined) throw new Error("RecordDigest: add after finish");
    this.hash.update(`${canonicalJson(record)}\n`);
    this.count += 1;
  }

  finish(): string {
    this.result ??= `sha256:${this.hash.digest("hex")}`;
    return this.result;
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
