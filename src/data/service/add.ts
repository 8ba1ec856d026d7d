import { CrucibleError } from "../../core/errors.ts";
import type { Principal } from "../../policy/entities.ts";
import type { Db } from "../../store/db.ts";
import { validateDatasetName } from "../names.ts";
import type { ReadOptions } from "../read/options.ts";
import { redactFile } from "../redact-file.ts";
import type { ArtifactStore } from "./artifacts.ts";
import { workspaceCanaries } from "./canaries.ts";
import { type IntakeOptions, scanToArtifact } from "./intake.ts";
import { readVersion } from "./read.ts";
import { refText, type VersionRef, type VersionRow } from "./refs.ts";
import { registerVersion } from "./register.ts";

/** What the dataset operations need besides the store: where artifacts live. */
export interface DatasetServiceOptions {
  artifacts: ArtifactStore;
}

/**
 * Streams a file (read, digest, scan and canonical copy in one pass) and registers it as the
 * next version of `name` in `workspace`, with its pre-screen report. The scan looks for the
 * workspace's registered canaries (`addCanary`). Same records as an
 * existing version of the dataset: `already_exists` naming that version.
 * @example const v1 = await addDataset(db, eli, { workspace, name: "acme-handbook", file: "handbook.jsonl" }, { artifacts });
 */
export async function addDataset(
  db: Db,
  caller: Principal,
  input: { workspace: string; name: string; file: string; read?: ReadOptions },
  options: DatasetServiceOptions & Pick<IntakeOptions, "onProgress" | "progressEvery">,
): Promise<VersionRow> {
  const name = validateDatasetName(input.name);
  const { artifacts, ...progress } = options;
  const scanned = await scanToArtifact(artifacts, input.file, {
    ...(input.read ? { read: input.read } : {}),
    ...progress,
    canaries: await workspaceCanaries(db, input.workspace),
  });
  return registerVersion(db, artifacts, caller, { workspace: input.workspace, name, scanned });
}

/**
 * Writes a redacted copy of a version (every finding replaced by its typed placeholder), rescans
 * it and registers it as the dataset's next version, with the source as its parent. Both passes
 * use the workspace's canaries as they are now: the set only grows, so it holds every canary the
 * source was scanned for.
 * @example const v2 = await redactVersion(db, eli, { workspace, ref: { name: "acme-handbook", version: 1 } }, { artifacts });
 */
export async function redactVersion(
  db: Db,
  caller: Principal,
  input: { workspace: string; ref: VersionRef },
  options: DatasetServiceOptions,
): Promise<VersionRow> {
  const parent = await readVersion(db, caller, input.workspace, input.ref);
  const canaries = await workspaceCanaries(db, input.workspace);
  const redactedPath = options.artifacts.tempPath();
  try {
    await redactFile(options.artifacts.path(parent.artifactPath), redactedPath, { canaries });
    const scanned = await scanToArtifact(options.artifacts, redactedPath, {
      read: { format: "jsonl" },
      canaries,
    });
    if (scanned.digest === parent.digest) {
      options.artifacts.discard(scanned.tempPath);
      throw new CrucibleError("failed_precondition", `${refText(parent)} has nothing to redact`, {
        field: "dataset",
        value: refText(parent),
        fix: "Its pre-screen found nothing; approve it as it is",
      });
    }
    return await registerVersion(db, options.artifacts, caller, {
      workspace: input.workspace,
      name: parent.name,
      scanned,
      parent,
    });
  } finally {
    options.artifacts.discard(redactedPath);
  }
}
