import { CrucibleError } from "../../core/errors.ts";
import { newId } from "../../core/ids.ts";
import { governed } from "../../governed/funnel.ts";
import { actorId, type Principal } from "../../policy/entities.ts";
import type { Db, Queryable } from "../../store/db.ts";
import type { ArtifactStore } from "./artifacts.ts";
import type { ScannedFile } from "./intake.ts";
import { findVersion, refText, type VersionRow } from "./refs.ts";

export interface RegisterInput {
  workspace: string;
  name: string;
  scanned: ScannedFile;
  /** The version this one was derived from (redaction). */
  parent?: VersionRow;
}

/**
 * Registers a scanned file as the next version of a dataset through the mutation funnel
 * (`dataset.add`, audited allow or deny): the dataset row if new, the version, its artifact and
 * its report, then the artifact is moved to its content address. On a denial or any failure the
 * temporary file is removed and no row remains.
 * @example const v = await registerVersion(db, store, eli, { workspace, name: "acme-handbook", scanned });
 */
export async function registerVersion(
  db: Db,
  store: ArtifactStore,
  caller: Principal,
  input: RegisterInput,
): Promise<VersionRow> {
  const { scanned } = input;
  const id = newId("dsv");
  const request = {
    principal: caller,
    action: "dataset.add",
    resource: { type: "DatasetVersion", id, workspace: input.workspace, uploader: actorId(caller) },
  } as const;
  try {
    return await governed(
      db,
      request,
      async (tx) => {
        const datasetId = await ensureDataset(tx, input.workspace, input.name, actorId(caller));
        await refuseDuplicate(tx, datasetId, input.name, scanned.digest);
        const next = await tx.query<{ n: number }>(
          "SELECT COALESCE(MAX(version), 0) + 1 AS n FROM dataset_versions WHERE dataset_id = $1",
          [datasetId],
        );
        const relative = store.relativePathFor(scanned.digest);
        await tx.query(
          `INSERT INTO dataset_artifacts (digest, path, bytes) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING`,
          [scanned.digest, relative, scanned.artifactBytes],
        );
        await tx.query(
          `INSERT INTO dataset_versions (id, dataset_id, version, digest, format, records, bytes, uploader, parent_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            id,
            datasetId,
            Number(next.rows[0]!.n),
            scanned.digest,
            scanned.format,
            scanned.records,
            scanned.bytes,
            actorId(caller),
            input.parent?.id ?? null,
          ],
        );
        const { totals } = scanned.report;
        await tx.query(
          `INSERT INTO prescreen_reports (version_id, findings, flagged_records, canary_set, report)
           VALUES ($1, $2, $3, $4, $5)`,
          [id, totals.findings, totals.flaggedRecords, scanned.canarySet, JSON.stringify(scanned.report)],
        );
        const version = await findVersion(tx, input.workspace, {
          name: input.name,
          version: Number(next.rows[0]!.n),
        });
        // Last step before commit: if the commit then fails, an unreferenced but correct
        // content-addressed file remains, never a row without its file.
        store.commit(scanned.tempPath, scanned.digest);
        return version;
      },
      {
        payload: {
          name: input.name,
          digest: scanned.digest,
          records: scanned.records,
          findings: scanned.report.totals.findings,
          parent: input.parent ? refText(input.parent) : null,
        },
      },
    );
  } finally {
    store.discard(scanned.tempPath);
  }
}

async function ensureDataset(tx: Queryable, workspace: string, name: string, actor: string): Promise<string> {
  const found = await tx.query<{ id: string }>(
    "SELECT id FROM datasets WHERE workspace_id = $1 AND name = $2 FOR UPDATE",
    [workspace, name],
  );
  if (found.rows[0]) return found.rows[0].id;
  const id = newId("ds");
  await tx.query("INSERT INTO datasets (id, workspace_id, name, created_by) VALUES ($1, $2, $3, $4)", [
    id,
    workspace,
    name,
    actor,
  ]);
  return id;
}

async function refuseDuplicate(
  tx: Queryable,
  datasetId: string,
  name: string,
  digest: string,
): Promise<void> {
  const same = await tx.query<{ version: number }>(
    "SELECT version FROM dataset_versions WHERE dataset_id = $1 AND digest = $2",
    [datasetId, digest],
  );
  if (same.rows[0])
    throw new CrucibleError(
      "already_exists",
      `the same records are already ${refText({ name, version: same.rows[0].version })}`,
      {
        field: "file",
        value: digest,
        fix: `Use ${refText({ name, version: same.rows[0].version })}, or add a file whose records differ`,
      },
    );
}
