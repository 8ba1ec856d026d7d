import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hashFile } from "../audit/checkpoint-files.ts";

/** `sha256:` of a file's bytes: how the trainer names a JSONL data source. */
export async function fileDigest(path: string): Promise<string> {
  return `sha256:${await hashFile(path)}`;
}

/** A Crucible checkpoint is named by the SHA-256 of its manifest.json (the trainer verifies the rest). */
export function checkpointDigest(dir: string): string {
  return `sha256:${createHash("sha256")
    .update(readFileSync(join(dir, "manifest.json")))
    .digest("hex")}`;
}
