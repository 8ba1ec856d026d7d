import { closeSync, openSync, writeSync } from "node:fs";
import { stat } from "node:fs/promises";
import { digestOf } from "../../core/digest.ts";
import { openDataset } from "../read/dataset.ts";
import type { DatasetFormat, ReadOptions } from "../read/options.ts";
import { buildReport, type PrescreenReport } from "../report.ts";
import type { Finding } from "../scan/findings.ts";
import { Scanner } from "../scan/scanner.ts";
import type { ArtifactStore } from "./artifacts.ts";

/** A file read, scanned and copied as canonical JSONL into a temporary artifact. */
export interface ScannedFile {
  tempPath: string;
  format: DatasetFormat;
  records: number;
  digest: string;
  /** Size of the source file. */
  bytes: number;
  /** Size of the canonical copy. */
  artifactBytes: number;
  report: PrescreenReport;
  /** `canarySetDigest` of the canaries scanned for. */
  canarySet: string;
}

/**
 * The digest of a canary set (order and repeats do not matter), stored with each report: it
 * says which of the workspace's canaries the scan looked for, without naming them.
 * @example canarySetDigest(["b", "a"]) === canarySetDigest(["a", "b", "a"]) // true
 */
export function canarySetDigest(canaries: readonly string[]): string {
  return digestOf([...new Set(canaries)].sort());
}

/** How to read a file, what to scan for, and whom to tell how far the read got. */
export interface IntakeOptions {
  read?: ReadOptions;
  canaries?: readonly string[];
  /** Called every `progressEvery` records (default 100,000) with the count so far. */
  onProgress?: (records: number) => void;
  progressEvery?: number;
}

/**
 * One streaming pass over a dataset file: every record is digested, scanned and written as its
 * canonical JSON line to a temporary file under the artifact store. Bad input (or any failure)
 * removes the temporary file and rethrows, so nothing is left behind.
 * @example const scanned = await scanToArtifact(store, "chats.jsonl", { canaries: [] });
 */
export async function scanToArtifact(
  store: ArtifactStore,
  file: string,
  options: IntakeOptions = {},
): Promise<ScannedFile> {
  const tempPath = store.tempPath();
  const fd = openSync(tempPath, "w");
  let artifactBytes = 0;
  // The digest hands over the canonical lines it hashes: the copy is those bytes, written as
  // they come (1 MiB at a time), with no second serialisation.
  const copy = (canonical: Uint8Array) => {
    for (let at = 0; at < canonical.length; ) at += writeSync(fd, canonical, at);
    artifactBytes += canonical.length;
  };
  const scanner = new Scanner({ canaries: options.canaries ?? [] });
  const findings: Finding[] = [];
  const every = options.progressEvery ?? 100_000;
  let open = true;
  try {
    const stream = openDataset(file, options.read, copy);
    for await (const batch of stream.batches()) {
      for (const { index, record } of batch) {
        for (const finding of scanner.scanRecord(record, index)) findings.push(finding);
        if (options.onProgress && (index + 1) % every === 0) options.onProgress(index + 1);
      }
    }
    const summary = stream.summary();
    open = false;
    closeSync(fd);
    // The readers hold the file to its size at open, so this is the size that was read.
    const { size } = await stat(file);
    return {
      tempPath,
      format: summary.format,
      records: summary.records,
      digest: summary.digest,
      bytes: size,
      artifactBytes,
      report: buildReport(findings, summary),
      canarySet: canarySetDigest(options.canaries ?? []),
    };
  } catch (err) {
    if (open) closeSync(fd);
    store.discard(tempPath);
    throw err;
  }
}
