import { CrucibleError } from "../core/errors.ts";
import type { PolicyProblem } from "../provenance/policy.ts";
import type { InTotoStatement } from "../provenance/statement.ts";
import type { Queryable } from "../store/db.ts";
import { CHECKPOINT_SELECT, type CheckpointRow, checkpointRow } from "./rows.ts";

/**
 * The registered checkpoint `crucible verify` was pointed at by name or id (`acme-cpt/cpt/step-4`,
 * `ckpt_…`), in `workspace` when given, else wherever that name is unique. `not_found` names the
 * reference; a name registered in several workspaces asks for `--workspace`.
 * @example const row = await checkpointByName(db, "acme-cpt/cpt/step-4");
 */
export async function checkpointByName(
  q: Queryable,
  ref: string,
  workspaceName?: string,
): Promise<CheckpointRow> {
  const column = /^ckpt_[0-9a-z]+$/.test(ref) ? "id" : "name";
  const { rows } = await q.query(
    `${CHECKPOINT_SELECT} WHERE ${column} = $1
       AND ($2::text IS NULL OR workspace_id = (SELECT id FROM workspaces WHERE name = $2))`,
    [ref, workspaceName ?? null],
  );
  if (rows.length === 0)
    throw new CrucibleError("not_found", `no checkpoint directory or registered checkpoint ${ref}`, {
      field: "checkpoint",
      value: ref,
      fix: "Give the checkpoint's directory, or its name as `crucible checkpoint list` shows it",
    });
  if (rows.length > 1)
    throw new CrucibleError(
      "invalid_argument",
      `checkpoint ${ref} is registered in ${rows.length} workspaces`,
      {
        field: "--workspace",
        value: ref,
        fix: "Name the workspace with --workspace",
      },
    );
  return checkpointRow(rows[0]!);
}

/** What the store says of a verified statement's checkpoint. */
export interface CheckpointStanding {
  checkpoint: CheckpointRow;
  /** Where the statement disagrees with the store (its checkpoint, its approval entry). */
  problems: PolicyProblem[];
}

/**
 * Looks up the checkpoint a signed statement names and checks the statement against the store:
 * the checkpoint is registered in the named workspace, and its approval record is the audit
 * log's allowed `checkpoint.approve` entry with that sequence number and hash. The caller reads
 * the taint from `checkpoint`.
 * @example const { checkpoint, problems } = await checkpointStanding(db, verdict.statement);
 */
export async function checkpointStanding(
  q: Queryable,
  statement: InTotoStatement,
): Promise<CheckpointStanding> {
  const build = statement.predicate.buildDefinition as { externalParameters: Record<string, string> };
  const { checkpoint: id, workspace } = build.externalParameters;
  const { rows } = await q.query(`${CHECKPOINT_SELECT} WHERE id = $1 AND workspace_id = $2`, [id, workspace]);
  if (!rows[0])
    throw new CrucibleError(
      "failed_precondition",
      `the provenance names checkpoint ${id} of workspace ${workspace}, which this installation's store does not hold`,
      {
        field: "predicate.buildDefinition.externalParameters.checkpoint",
        value: id,
        fix: "Verify against the store of the installation that approved it, or offline with --offline",
      },
    );
  const checkpoint = checkpointRow(rows[0]);
  const problems: PolicyProblem[] = [];
  const byproducts = (
    statement.predicate.runDetails as { byproducts: { name: string; annotations: Record<string, unknown> }[] }
  ).byproducts;
  for (const [i, b] of byproducts.entries()) {
    if (b.name !== "approval:checkpoint.approve") continue;
    const { rows: entries } = await q.query<{
      hash: string;
      action: string;
      decision: string;
      resource: string;
    }>("SELECT hash, action, decision, resource FROM audit_log WHERE seq = $1", [b.annotations.auditSeq]);
    const entry = entries[0];
    if (
      !entry ||
      entry.hash !== b.annotations.auditHash ||
      entry.action !== "checkpoint.approve" ||
      entry.decision !== "allow" ||
      entry.resource !== `Checkpoint::${JSON.stringify(checkpoint.id)}`
    )
      problems.push({
        kind: "policy",
        field: `predicate.runDetails.byproducts[${i}].annotations.auditSeq`,
        message: `is not the allowed checkpoint.approve entry of ${checkpoint.id} in this installation's audit log`,
      });
  }
  return { checkpoint, problems };
}
