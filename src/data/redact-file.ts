import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { openDataset } from "./read/dataset.ts";
import { RecordDigest } from "./read/digest.ts";
import type { ReadOptions } from "./read/options.ts";
import { type RedactOptions, redactStream } from "./redact.ts";
import { Scanner } from "./scan/scanner.ts";
import { jsonlLine } from "./write.ts";

export interface RedactFileResult {
  /** Records read (and written). */
  records: number;
  /** Findings replaced by placeholders. */
  redactions: number;
  /** Digest of the source dataset. */
  sourceDigest: string;
  /** Digest of the redacted dataset, as reading the output file back would give. */
  redactedDigest: string;
}

/**
 * Writes a redacted copy of a dataset file as JSONL, streaming record by record: every finding
 * is replaced by its typed placeholder, and both digests are computed on the way, so the new
 * version can be registered (and approved) by its content without reading it again. If the
 * source turns out to be bad input, the partial output is removed and the error rethrown.
 * @example await redactFile("support.csv", "support.redacted.jsonl", { canaries })
 */
export async function redactFile(
  inPath: string,
  outPath: string,
  options: RedactOptions & { read?: ReadOptions; canaries?: readonly string[] } = {},
): Promise<RedactFileResult> {
  const source = openDataset(inPath, options.read);
  const scanner = new Scanner({ canaries: options.canaries ?? [] });
  const digest = new RecordDigest();
  const out = createWriteStream(outPath, { encoding: "utf8" });
  let redactions = 0;
  try {
    for await (const { record, findings } of redactStream(source, scanner, options)) {
      digest.add(record);
      redactions += findings.length;
      if (!out.write(jsonlLine(record))) await once(out, "drain");
    }
  } catch (err) {
    // No half-written copy is left behind to be mistaken for a dataset.
    out.destroy();
    await rm(outPath, { force: true });
    throw err;
  }
  out.end();
  await once(out, "close");
  const { records, digest: sourceDigest } = source.summary();
  return { records, redactions, sourceDigest, redactedDigest: digest.finish() };
}
