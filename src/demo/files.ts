import { createHash } from "node:crypto";
import { createReadStream, readFileSync } from "node:fs";
import { join } from "node:path";

/** `sha256:` of a file's bytes: how the trainer names a JSONL data source. */
export async function fileDigest(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

/** A Crucible checkpoint is named by the SHA-256 of its manifest.json (the trainer verifies the rest). */
export function checkpointDigest(dir: string): string {
  return `sha256:${createHash("sha256")
    .update(readFileSync(join(dir, "manifest.json")))
    .digest("hex")}`;
}
