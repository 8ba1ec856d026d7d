import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { invalid } from "../core/errors.ts";

/** One file of a checkpoint: its path relative to the checkpoint directory, and its SHA-256. */
export interface FileDigest {
  name: string;
  sha256: string;
}

/**
 * Hashes every regular file under `dir` (recursively), sorted by name, names with `/`.
 * Symbolic links and other non-regular files are refused: they could point anywhere.
 * @example const files = await hashDirectory("checkpoints/ckpt_01h");
 */
export async function hashDirectory(dir: string): Promise<FileDigest[]> {
  const out: FileDigest[] = [];
  const walk = async (current: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile())
        out.push({ name: relative(dir, path).split(sep).join("/"), sha256: await hashFile(path) });
      else
        throw invalid(
          "checkpoint",
          "only regular files and directories may be in a checkpoint",
          relative(dir, path),
          "Replace links with the files themselves",
        );
    }
  };
  await walk(dir);
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Streaming SHA-256 of one file, lower-case hex.
 * @example await hashFile("ckpt/model.safetensors") // "9f86d0..."
 */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
