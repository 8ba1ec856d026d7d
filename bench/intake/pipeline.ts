import { writeFileSync } from "node:fs";
import { prescreenFile } from "../../src/data/prescreen.ts";
import { openDataset } from "../../src/data/read/dataset.ts";

/**
 * The intake path being measured: `prescreenFile` (read and parse the file, normalise and
 * digest each record, scan every string, validate candidates, build the report), then the
 * report written as JSON.
 */
export async function intake(
  path: string,
  reportPath: string,
  canaries: readonly string[],
): Promise<{ findings: number; records: number }> {
  const report = await prescreenFile(path, { canaries });
  writeFileSync(reportPath, JSON.stringify(report));
  return { findings: report.totals.findings, records: report.dataset?.records ?? 0 };
}

/** Reading alone (read, decode, parse, normalise, digest): the part of intake before scanning. */
export async function readOnlyPass(path: string): Promise<number> {
  const stream = openDataset(path);
  for await (const _ of stream) {
    // reading is the work measured
  }
  return stream.summary().records;
}
