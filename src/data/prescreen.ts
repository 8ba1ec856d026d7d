import { openDataset } from "./read/dataset.ts";
import type { ReadOptions } from "./read/options.ts";
import { buildReport, type PrescreenReport } from "./report.ts";
import type { Finding } from "./scan/findings.ts";
import { Scanner } from "./scan/scanner.ts";

export interface PrescreenOptions {
  /** How to read the file (format, text column, limits). */
  read?: ReadOptions;
  /** The workspace's planted canary strings. */
  canaries?: readonly string[];
  /** Called every `progressEvery` records with the count so far (for progress bars). */
  onProgress?: (records: number) => void;
  progressEvery?: number;
}

/**
 * Reads a dataset file once, scanning every record as it streams by, and returns the
 * pre-screen report with the dataset's digest and record count. Memory stays flat in the file
 * size; it grows only with the number of findings, which the report lists in full.
 * @example const report = await prescreenFile("support.jsonl", { canaries: ["crucible-canary-9f2c"] });
 */
export async function prescreenFile(path: string, options: PrescreenOptions = {}): Promise<PrescreenReport> {
  const scanner = new Scanner({ canaries: options.canaries ?? [] });
  const stream = openDataset(path, options.read);
  const every = options.progressEvery ?? 10_000;
  const findings: Finding[] = [];
  for await (const batch of stream.batches()) {
    for (const { index, record } of batch) {
      for (const finding of scanner.scanRecord(record, index)) findings.push(finding);
      if (options.onProgress && (index + 1) % every === 0) options.onProgress(index + 1);
    }
  }
  return buildReport(findings, stream.summary());
}
