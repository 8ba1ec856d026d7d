import { rename, writeFile } from "node:fs/promises";
import type { AuditEntry } from "../audit/entry.ts";
import { CrucibleError } from "../core/errors.ts";
import type { SigningKey } from "../provenance/signing-key.ts";
import type { Material, ProvenanceInputs } from "../provenance/statement.ts";
import { signCheckpoint } from "../provenance/statement.ts";
import type { Queryable } from "../store/db.ts";
import type { CheckpointRow } from "./rows.ts";

/** Where `crucible verify` looks for a checkpoint's signed provenance by default. */
export function provenancePath(checkpointPath: string): string {
  return `${checkpointPath.replace(/\/+$/, "")}.provenance.json`;
}

/**
 * This installation as the builder of what it signs: `urn:crucible:installation:<id>`, the id
 * written once when the store was created (migration 0015). `crucible verify` expects it.
 * @example const builderId = await installationBuilderId(db); // "urn:crucible:installation:inst_9f…"
 */
export async function installationBuilderId(q: Queryable): Promise<string> {
  const id = (await q.query<{ id: string }>("SELECT id FROM installation")).rows[0]?.id;
  if (!id)
    throw new CrucibleError("failed_precondition", "the store has no installation id", {
      field: "installation",
      fix: "Open the store with this release of crucible, which migrates it and writes the id",
    });
  return `urn:crucible:installation:${id}`;
}

/**
 * What an approved run checkpoint's provenance says: its base checkpoint (the checkpoint its
 * stage started from), the dataset versions that fed its run (lineage edges dataset_version →
 * run), the run's recipe digest, and the approval's audit entry.
 * @example const inputs = await provenanceInputs(tx, row, decision.audit);
 */
export async function provenanceInputs(
  q: Queryable,
  c: CheckpointRow,
  approval: AuditEntry,
): Promise<ProvenanceInputs> {
  if (!c.runId) throw new Error("provenance is written for run checkpoints only");
  const run = (
    await q.query<{
      name: string;
      recipe_digest: string;
      started_at: Date | string | null;
      finished_at: Date | string | null;
    }>("SELECT name, recipe_digest, started_at, finished_at FROM runs WHERE id = $1", [c.runId])
  ).rows[0]!;
  const { rows: datasets } = await q.query<{
    name: string;
    version: number;
    digest: string;
    tokens: string | number | null;
  }>(
    `SELECT d.name, v.version, v.digest, e.tokens
     FROM lineage_edges e
     JOIN dataset_versions v ON v.id = e.from_id
     JOIN datasets d ON d.id = v.dataset_id
     WHERE e.to_kind = 'run' AND e.to_id = $1 AND e.from_kind = 'dataset_version'
     ORDER BY d.name, v.version`,
    [c.runId],
  );
  const iso = (v: Date | string | null) => (v === null ? undefined : new Date(v).toISOString());
  const startedOn = iso(run.started_at);
  const finishedOn = iso(run.finished_at);
  return {
    checkpointId: c.id,
    workspace: c.workspace,
    runId: c.runId,
    baseCheckpoint: await baseMaterial(q, c),
    datasets: datasets.map((d) => ({
      name: `${d.name}@v${d.version}`,
      digest: d.digest,
      ...(d.tokens === null ? {} : { annotations: { tokens: Number(d.tokens) } }),
    })),
    recipe: { name: run.name, digest: run.recipe_digest },
    rewardFunctions: [],
    approvals: [
      {
        action: approval.action,
        actor: approval.actor,
        at: approval.time,
        auditSeq: approval.seq,
        auditHash: approval.hash,
      },
    ],
    builderId: await installationBuilderId(q),
    ...(startedOn ? { startedOn } : {}),
    ...(finishedOn ? { finishedOn } : {}),
  };
}

/** The checkpoint training started from: the registered parent, else the stage's recorded base. */
async function baseMaterial(q: Queryable, c: CheckpointRow): Promise<Material> {
  const { rows } = await q.query<{ name: string; manifest_digest: string }>(
    `SELECT b.name, b.manifest_digest FROM checkpoints b
     WHERE b.id = $1
        OR b.id = (SELECT base_checkpoint_id FROM run_stages WHERE run_id = $2 AND idx = $3)
     ORDER BY (b.id = $1) DESC LIMIT 1`,
    [c.parentId, c.runId, c.stageIdx],
  );
  const base = rows[0];
  if (base) return { name: base.name, digest: base.manifest_digest };
  if (c.manifest.parent_digest) return { name: "unregistered", digest: c.manifest.parent_digest };
  throw new CrucibleError("failed_precondition", `checkpoint ${c.name} records no base checkpoint`, {
    field: "checkpoint",
    value: c.name,
    fix: "Register the run's checkpoints with their parent (registerRunCheckpoint parentId)",
  });
}

/**
 * Signs the checkpoint's provenance and writes the DSSE envelope beside its directory (via a
 * temporary file and a rename, so a reader never sees half an envelope).
 * @example const path = await writeProvenance(row, inputs, loadOrCreateSigningKey(keysDir));
 */
export async function writeProvenance(
  c: CheckpointRow,
  inputs: ProvenanceInputs,
  key: SigningKey,
): Promise<string> {
  const envelope = await signCheckpoint(c.path, inputs, key);
  const path = provenancePath(c.path);
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(envelope, null, 2)}\n`);
  await rename(tmp, path);
  return path;
}
