import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { canonicalJson, digestOf, sha256Hex } from "../../core/digest.ts";
import { CrucibleError } from "../../core/errors.ts";
import type { CheckpointManifest } from "../../protocol/types/checkpoint-manifest.gen.ts";
import { checkDocument } from "../../protocol/validate.ts";
import { hashFile } from "../../provenance/checkpoint-files.ts";
import { type BaseName, baseNameText } from "../names.ts";
import { MANIFEST_FILE } from "../verify.ts";
import { inspectModel, type ModelInspection } from "./inspect.ts";
import { type HfSource, listSourceFiles, resolveHfSource, type SourceFile } from "./source.ts";

/** A Hugging Face model stored in the home's bases store, with its manifest. */
export interface StoredBase {
  path: string;
  manifestDigest: string;
  model: ModelInspection;
  source: HfSource;
  /** What was not stored: pickles beside safetensors weights, a foreign manifest.json, dot-files. */
  leftOut: string[];
}

/**
 * Stores a Hugging Face model directory (plain, or a cache repo or snapshot) as a base checkpoint
 * under `<home>/bases/imported/<family>@<stage>/<files digest>/`: refuses what the trainer cannot
 * train (inspectModel) before copying anything, copies every file (a reflink where the file system
 * has them, never a hard link, which a later `save_pretrained` into the user's directory would
 * write through), inspects and hashes the copies — so the manifest describes what was stored, not
 * what the directory held a moment earlier — and writes the manifest last, then moves the folder
 * into place. The same files under the same name land in the same folder, and a second add reuses
 * its manifest, so registering again is a no-op.
 * @example const { path, manifestDigest } = await storeHfBase({ home, dir: "./hf-dir", name: { family: "mymodel", stage: "post" }, allowPickle: false });
 */
export async function storeHfBase(input: {
  home: string;
  dir: string;
  name: BaseName;
  allowPickle: boolean;
}): Promise<StoredBase> {
  const source = await resolveHfSource(input.dir);
  const listed = await listSourceFiles(source);
  const first = await inspectModel(listed.files, { allowPickle: input.allowPickle, dir: source.dir });
  // a foreign manifest.json would collide with the one written here
  const leftOut = [
    ...first.leftOut,
    ...listed.files.filter((f) => f.path === MANIFEST_FILE).map((f) => f.path),
  ];
  const kept = listed.files.filter((f) => !leftOut.includes(f.path));
  const omitted = [...leftOut, ...listed.hidden];
  const family = join(input.home, "bases", "imported", baseNameText(input.name));
  const tmp = join(family, `.tmp-${randomBytes(6).toString("hex")}`);
  try {
    const stored = await copyAll(kept, tmp);
    const model = await inspectModel(stored, { allowPickle: input.allowPickle, dir: source.dir });
    const files = await Promise.all(
      stored.map(async (f) => ({ path: f.path, sha256: await hashFile(f.from), bytes: f.bytes })),
    );
    const target = join(
      family,
      sha256Hex(files.map((f) => `${f.sha256}  ${f.path}\n`).join("")).slice(0, 16),
    );
    const existing = await sameFiles(target, files);
    if (existing) return { path: target, manifestDigest: existing, model, source, leftOut: omitted };
    const raw = manifestBytes(input, source, model, files, omitted);
    await writeFile(join(tmp, MANIFEST_FILE), raw);
    await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
    return { path: target, manifestDigest: `sha256:${sha256Hex(raw)}`, model, source, leftOut: omitted };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * The digest of the manifest already in `target` when it lists exactly `files` (an earlier add of
 * the same files): reused as it is, so the base keeps its digest. Its files are not rehashed here:
 * registerBases verifies them, in the registering transaction, as for any base.
 */
async function sameFiles(target: string, files: CheckpointManifest["files"]): Promise<string | undefined> {
  const raw = await readFile(join(target, MANIFEST_FILE)).catch(() => undefined);
  if (raw === undefined) return undefined;
  try {
    const listed = (JSON.parse(raw.toString("utf8")) as CheckpointManifest).files;
    return canonicalJson(listed) === canonicalJson(files) ? `sha256:${sha256Hex(raw)}` : undefined;
  } catch {
    return undefined;
  }
}

async function copyAll(files: readonly SourceFile[], into: string): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const f of files) {
    const to = join(into, ...f.path.split("/"));
    await mkdir(dirname(to), { recursive: true });
    await copyFile(f.from, to, constants.COPYFILE_FICLONE);
    out.push({ path: f.path, from: to, bytes: (await stat(to)).size });
  }
  return out;
}

function manifestBytes(
  input: { dir: string; name: BaseName; allowPickle: boolean },
  source: HfSource,
  model: ModelInspection,
  files: CheckpointManifest["files"],
  leftOut: string[],
): Buffer {
  const origin = {
    kind: "huggingface" as const,
    path: source.dir,
    ...(source.repo ? { repo: source.repo } : {}),
    ...(source.revision ? { revision: source.revision } : {}),
  };
  const recipe = {
    import: origin,
    name: baseNameText(input.name),
    allow_pickle: input.allowPickle,
    left_out: leftOut,
  };
  const manifest: CheckpointManifest = {
    protocol_version: 1,
    kind: "crucible-checkpoint",
    stage: input.name.stage,
    step: 0,
    tokens: 0,
    final: true,
    files,
    data_sources: [],
    spec_digest: digestOf({ ...recipe, files }),
    code_version: "crucible base add (imported Hugging Face model)",
    // the libraries that trained it are unknown; transformers is the one that saved it
    library_versions: {
      python: "unknown",
      torch: "unknown",
      transformers: model.transformersVersion ?? "unknown",
    },
    config: recipe,
    created_at: new Date().toISOString(),
    model: {
      model_type: model.modelType,
      architectures: model.architectures,
      ...(model.parameters !== undefined ? { parameters: model.parameters } : {}),
      dtypes: model.dtypes,
      chat_template: model.chatTemplate,
    },
    source: origin,
  };
  const issues = checkDocument("checkpoint-manifest", manifest);
  if (issues.length > 0)
    throw new CrucibleError(
      "internal",
      `base add built an invalid manifest: ${issues[0]!.path} ${issues[0]!.message}`,
    );
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
}
