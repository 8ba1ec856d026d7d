import { CrucibleError } from "../../core/errors.ts";
import type { Principal } from "../../policy/entities.ts";
import type { Db, Queryable } from "../../store/db.ts";
import { validateDatasetName } from "../names.ts";
import type { ReadOptions } from "../read/options.ts";
import { redactFile } from "../redact-file.ts";
import type { ArtifactStore } from "./artifacts.ts";
import { canarySetDigest, type IntakeOptions, scanToArtifact } from "./intake.ts";
import { readVersion } from "./read.ts";
import { refText, type VersionRef, type VersionRow } from "./refs.ts";
import { registerVersion } from "./register.ts";

/** What the dataset operations need besides the store: where artifacts live, the canaries. */
export interface DatasetServiceOptions {
  artifacts: ArtifactStore;
  /** The workspace's planted canary strings (scanned for like secrets). */
  canaries?: readonly string[];
}

/**
 * Streams a file (read, digest, scan and canonical copy in one pass) and registers it as the
 * next version of `name` in `workspace`, with its pre-screen report. Same records as an
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
  const { artifacts, canaries, ...progress } = options;
  const scanned = await scanToArtifact(artifacts, input.file, {
    ...(input.read ? { read: input.read } : {}),
    ...progress,
    canaries: canaries ?? [],
  });
  return registerVersion(db, artifacts, caller, { workspace: input.workspace, name, scanned });
}

/**
 * Writes a redacted copy of a version (every finding replaced by its typed placeholder), rescans
 * it and registers it as the dataset's next version, with the source as its parent.
 * @example const v2 = await redactVersion(db, eli, { workspace, ref: { name: "acme-handbook", version: 1 } }, { artifacts });
 */
export async function redactVersion(
  db: Db,
  caller: Principal,
  input: { workspace: string; ref: VersionRef },
  options: DatasetServiceOptions,
): Promise<VersionRow> {
  const parent = await readVersion(db, caller, input.workspace, input.ref);
  const canaries = options.canaries ?? [];
  await requireSameCanaries(db, parent, canaries);
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

/** A canary the source was scanned for but the redaction is not told about would survive it. */
async function requireSameCanaries(
  q: Queryable,
  parent: VersionRow,
  canaries: readonly string[],
): Promise<void> {
  const { rows } = await q.query<{ canary_set: string }>(
    "SELECT canary_set FROM prescreen_reports WHERE version_id = $1",
    [parent.id],
  );
  if (rows[0]?.canary_set !== canarySetDigest(canaries))
    throw new CrucibleError(
      "invalid_argument",
      `${refText(parent)} was scanned for another set of canaries`,
      {
        field: "--canaries",
        value: `${canaries.length} canaries`,
        fix: "Redact with the canaries the version was added with",
      },
    );
}
