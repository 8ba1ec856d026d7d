import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CrucibleError } from "../../src/core/errors.ts";
import { openDataset } from "../../src/data/read/dataset.ts";
import type { ReadOptions } from "../../src/data/read/options.ts";
import type { SourcedRecord } from "../../src/data/records.ts";

/** A fresh temporary directory for one test file. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "crucible-data-"));
}

/** Writes `content` to `name` under `dir` and returns the path. */
export function writeFile(dir: string, name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Reads every record and the summary. */
export async function readAll(path: string, options: ReadOptions = {}) {
  const stream = openDataset(path, options);
  const records: SourcedRecord[] = [];
  for await (const r of stream) records.push(r);
  return { records, summary: stream.summary() };
}

/** The CrucibleError a read ends with; fails the test if it ends otherwise. */
export async function readError(path: string, options: ReadOptions = {}): Promise<CrucibleError> {
  try {
    await readAll(path, options);
  } catch (err) {
    if (err instanceof CrucibleError) return err;
    throw new Error(`expected a CrucibleError, got ${String(err)}`);
  }
  throw new Error("expected the read to fail, it succeeded");
}
