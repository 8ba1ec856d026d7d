import { CrucibleError } from "../core/errors.ts";
import { compilePolicySet } from "../policy/engine.ts";
import { actorId, type Principal } from "../policy/entities.ts";
import type { Db } from "../store/db.ts";
import { governed } from "./funnel.ts";

export interface PolicyVersion {
  workspace: string;
  version: number;
  digest: string;
  status: "proposed" | "active" | "superseded";
  proposedBy: string;
  approvedBy: string | null;
}

/**
 * Proposes a new policy set for a workspace (validated against the schema first). It does
 * nothing until another admin approves it.
 * @example const v = await proposePolicy(db, { principal: root, workspace, text });
 */
export async function proposePolicy(
  db: Db,
  input: { principal: Principal; workspace: string; text: string },
): Promise<PolicyVersion> {
  const set = compilePolicySet(input.text);
  const request = {
    principal: input.principal,
    action: "policy.propose",
    resource: { type: "Workspace", id: input.workspace },
  } as const;
  return governed(
    db,
    request,
    async (tx) => {
      const { rows } = await tx.query<{ version: number }>(
        `INSERT INTO policy_versions (workspace, version, text, digest, status, proposed_by)
       SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, 'proposed', $4 FROM policy_versions WHERE workspace = $1
       RETURNING version`,
        [input.workspace, set.text, set.digest, actorId(input.principal)],
      );
      return {
        workspace: input.workspace,
        version: Number(rows[0]!.version),
        digest: set.digest,
        status: "proposed",
        proposedBy: actorId(input.principal),
        approvedBy: null,
      };
    },
    { payload: { digest: set.digest } },
  );
}

/**
 * Approves a proposed version: it becomes the workspace's active set and the previous one is
 * superseded. The approver must be an admin other than the author; that two-person rule holds
 * even under a policy set that dropped `sod.policy-author`.
 * @example await approvePolicy(db, { principal: secondAdmin, workspace, version: 2 });
 */
export async function approvePolicy(
  db: Db,
  input: { principal: Principal; workspace: string; version: number },
): Promise<PolicyVersion> {
  const { rows } = await db.query<{ status: string; proposed_by: string; digest: string }>(
    "SELECT status, proposed_by, digest FROM policy_versions WHERE workspace = $1 AND version = $2",
    [input.workspace, input.version],
  );
  const row = rows[0];
  if (!row)
    throw new CrucibleError(
      "not_found",
      `policy version ${input.version} of ${input.workspace} does not exist`,
      {
        field: "version",
        value: input.version,
        fix: "List the workspace's policy versions and pick a proposed one",
      },
    );
  if (row.status !== "proposed")
    throw new CrucibleError(
      "failed_precondition",
      `policy version ${input.version} is ${row.status}, not proposed`,
      {
        field: "version",
        value: input.version,
        fix: "Only a proposed version can be approved",
      },
    );
  const approver = actorId(input.principal);
  const request = {
    principal: input.principal,
    action: "policy.approve",
    resource: {
      type: "PolicyVersion",
      id: `${input.workspace}/v${input.version}`,
      workspace: input.workspace,
      author: row.proposed_by,
    },
  } as const;
  const invariants = [
    {
      id: "invariant.policy-two-person",
      holds: approver !== row.proposed_by,
      reason: "a policy change needs a second admin: its author cannot approve it",
    },
  ];
  return governed(
    db,
    request,
    async (tx) => {
      await tx.query(
        "UPDATE policy_versions SET status = 'superseded' WHERE workspace = $1 AND status = 'active'",
        [input.workspace],
      );
      const updated = await tx.query(
        `UPDATE policy_versions SET status = 'active', approved_by = $3, approved_at = now()
        WHERE workspace = $1 AND version = $2 AND status = 'proposed'`,
        [input.workspace, input.version, approver],
      );
      if (updated.rowCount !== 1)
        throw new CrucibleError(
          "failed_precondition",
          `policy version ${input.version} was approved concurrently`,
          { fix: "Reload and retry" },
        );
      return {
        workspace: input.workspace,
        version: input.version,
        digest: row.digest,
        status: "active",
        proposedBy: row.proposed_by,
        approvedBy: approver,
      };
    },
    { invariants, payload: { digest: row.digest } },
  );
}
