import { writeFileSync } from "node:fs";
import { openDataset } from "../../src/data/read/dataset.ts";
import { buildReport } from "../../src/data/report.ts";
import type { Finding } from "../../src/data/scan/findings.ts";
import { Scanner } from "../../src/data/scan/scanner.ts";

/**
 * The intake path being measured: read and parse the file, normalise and digest each record,
 * scan every string, validate candidates, build the pre-screen report and write it as JSON.
 */
export async function intake(
  path: string,
  reportPath: string,
  canaries: readonly string[],
): Promise<{ findings: number; records: number }> {
  const scanner = new Scanner({ canaries });
  const stream = openDataset(path);
  const findings: Finding[] = [];
  for await (const { index, record } of stream) {
    for (const f of scanner.scanRecord(record, index)) findings.push(f);
  }
  const report = buildReport(findings, stream.summary());
  writeFileSync(reportPath, JSON.stringify(report));
  return { findings: findings.length, records: report.dataset?.records ?? 0 };
}

/** Reading alone (read, decode, parse, normalise, digest): the part of intake before scanning. */
export async function readOnlyPass(path: string): Promise<number> {
  const stream = openDataset(path);
  for await (const _ of stream) {
    // reading is the work measured
  }
  return stream.summary().records;
}
