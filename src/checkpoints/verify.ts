import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { sha256Hex } from "../core/digest.ts";
import { CrucibleError, invalid } from "../core/errors.ts";
import type { CheckpointManifest } from "../protocol/types/checkpoint-manifest.gen.ts";
import { checkDocument } from "../protocol/validate.ts";
import { hashDirectory } from "../provenance/checkpoint-files.ts";

/** The file inside a checkpoint directory that lists every other file with its SHA-256. */
export const MANIFEST_FILE = "manifest.json";

/** One way a checkpoint directory differs from its manifest. */
export type ManifestProblem =
  | { kind: "manifest"; file: typeof MANIFEST_FILE; expected: string; actual: string }
  | { kind: "modified"; file: string; expected: string; actual: string }
  | { kind: "added"; file: string; actual: string }
  | { kind: "removed"; file: string; expected: string };

/**
 * Rehashes every file the manifest lists and checks the manifest's own digest (SHA-256 of
 * manifest.json's bytes, `sha256:<hex>`) against `expectedManifestDigest` when given. A flipped
 * byte, a file added or removed, or an edited manifest is refused as `failed_precondition`
 * naming every file and both digests; a directory without a readable, schema-valid manifest is
 * `invalid_argument`.
 * @example const { manifest, manifestDigest } = await verifyCheckpointDir("/ckpt/step-00000006", event.manifest_digest);
 */
export async function verifyCheckpointDir(
  dir: string,
  expectedManifestDigest?: string,
): Promise<{ manifest: CheckpointManifest; manifestDigest: string }> {
  const raw = await readManifestBytes(dir);
  const manifestDigest = `sha256:${sha256Hex(raw)}`;
  if (expectedManifestDigest !== undefined && expectedManifestDigest !== manifestDigest)
    throw mismatch(dir, [
      { kind: "manifest", file: MANIFEST_FILE, expected: expectedManifestDigest, actual: manifestDigest },
    ]);
  const manifest = parseManifest(dir, raw);
  const found = new Map((await hashDirectory(dir)).map((f) => [f.name, `sha256:${f.sha256}`]));
  found.delete(MANIFEST_FILE);
  const problems: ManifestProblem[] = [];
  for (const entry of manifest.files) {
    const expected = `sha256:${entry.sha256}`;
    const actual = found.get(entry.path);
    if (actual === undefined) problems.push({ kind: "removed", file: entry.path, expected });
    else if (actual !== expected) problems.push({ kind: "modified", file: entry.path, expected, actual });
    found.delete(entry.path);
  }
  for (const [file, actual] of found) problems.push({ kind: "added", file, actual });
  if (problems.length > 0) throw mismatch(dir, problems);
  return { manifest, manifestDigest };
}

/**
 * Whether `dir` holds a Crucible manifest (one the trainer or `base add` wrote), as opposed to a
 * plain Hugging Face model directory, which `base add` stores with a manifest of its own.
 * @example await hasCrucibleManifest("./hf-dir") // false
 */
export async function hasCrucibleManifest(dir: string): Promise<boolean> {
  const raw = await readFile(join(dir, MANIFEST_FILE), "utf8").catch(() => undefined);
  if (raw === undefined) return false;
  try {
    return (JSON.parse(raw) as { kind?: unknown }).kind === "crucible-checkpoint";
  } catch {
    return false;
  }
}

async function readManifestBytes(dir: string): Promise<Buffer> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory())
    throw invalid(
      "checkpoint",
      "is not a directory",
      dir,
      "Point at the checkpoint directory the trainer wrote (it holds manifest.json)",
    );
  try {
    return await readFile(join(dir, MANIFEST_FILE));
  } catch {
    throw invalid(
      "checkpoint",
      `has no ${MANIFEST_FILE}, so its files cannot be verified`,
      dir,
      "Register a directory written by the Crucible trainer, or add a manifest (protocol/checkpoint-manifest.schema.json) listing every file with its SHA-256",
    );
  }
}

function parseManifest(dir: string, raw: Buffer): CheckpointManifest {
  let document: unknown;
  try {
    document = JSON.parse(raw.toString("utf8"));
  } catch (err) {
    throw invalid(
      `${MANIFEST_FILE}`,
      `is not JSON: ${(err as Error).message}`,
      join(dir, MANIFEST_FILE),
      "Restore the manifest the trainer wrote",
    );
  }
  const issues = checkDocument("checkpoint-manifest", document);
  if (issues.length > 0)
    throw invalid(
      `${MANIFEST_FILE} ${issues[0]!.path}`,
      `${issues[0]!.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`,
      join(dir, MANIFEST_FILE),
      "The manifest must match protocol/checkpoint-manifest.schema.json; restore the one the trainer wrote",
    );
  return document as CheckpointManifest;
}

function mismatch(dir: string, problems: readonly ManifestProblem[]): CrucibleError {
  return new CrucibleError(
    "failed_precondition",
    `checkpoint ${dir} does not match its manifest: ${problems.map(describeProblem).join("; ")}`,
    {
      field: "checkpoint",
      value: problems[0]!.file,
      fix: "Do not use this checkpoint: restore it from a verified copy, or write it again with the trainer",
    },
  );
}

/**
 * One problem in words, with both digests.
 * @example describeProblem({ kind: "removed", file: "model.safetensors", expected: "sha256:ab..." })
 */
export function describeProblem(p: ManifestProblem): string {
  switch (p.kind) {
    case "manifest":
      return `${p.file} was edited: expected ${p.expected}, found ${p.actual}`;
    case "modified":
      return `${p.file} was modified: manifest ${p.expected}, found ${p.actual}`;
    case "added":
      return `${p.file} is not listed in the manifest (found ${p.actual})`;
    case "removed":
      return `${p.file} is missing (manifest ${p.expected})`;
  }
}
