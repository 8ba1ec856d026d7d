import { CrucibleError } from "../core/errors.ts";
import { requireAuditRead } from "../governed/audit-access.ts";
import { governed } from "../governed/funnel.ts";
import type { Role } from "../policy/actions.ts";
import { actorId, memberWorkspaces, type Principal } from "../policy/entities.ts";
import type { Db } from "../store/db.ts";
import { noSuchInvitation } from "./invitations.ts";
import { auditNotVisible } from "./tenancy.ts";

/** An open invitation as the inviting workspace's admins see it. */
export interface SentInvitation {
  id: string;
  invitee: string;
  roles: Role[];
  invitedBy: string;
  expiresAt: string;
}

/**
 * The invitations `workspace` sent that are still open (not accepted, withdrawn or expired), for
 * its admins and auditors (`audit.read`, audited like reading its membership).
 * @example const open = await listSentInvitations(db, { principal: root, workspace: acme });
 */
export async function listSentInvitations(
  db: Db,
  input: { principal: Principal; workspace: string; now?: Date },
): Promise<SentInvitation[]> {
  await requireAuditRead(db, input.principal, input.workspace, "invitations");
  const { rows } = await db.query<{
    id: string;
    invitee_name: string;
    roles: Role[];
    invited_by: string;
    expires_at: Date;
  }>(
    `SELECT i.id, i.invitee_name, i.roles, coalesce(p.name, i.invited_by) AS invited_by, i.expires_at
       FROM invitations i LEFT JOIN principals p ON p.id = i.invited_by
      WHERE i.workspace_id = $1 AND i.accepted_at IS NULL AND i.withdrawn_at IS NULL
        AND i.expires_at > $2::timestamptz
      ORDER BY i.created_at, i.id`,
    [input.workspace, (input.now ?? new Date()).toISOString()],
  );
  return rows.map((r) => ({
    id: r.id,
    invitee: r.invitee_name,
    roles: r.roles,
    invitedBy: r.invited_by,
    expiresAt: new Date(r.expires_at).toISOString(),
  }));
}

/**
 * Withdraws an open invitation `workspace` sent (`invitation.withdraw`: its admins, humans only,
 * audited): it can no longer be accepted. Another workspace's invitation answers exactly as a
 * nonexistent one, audited in the caller's workspaces as `tenant.not-visible`.
 * @example await withdrawInvitation(db, { principal: root, workspace: acme, invitationId });
 */
export async function withdrawInvitation(
  db: Db,
  input: { principal: Principal; workspace: string; invitationId: string; now?: Date },
): Promise<{ invitee: string; roles: Role[] }> {
  const { rows } = await db.query<{ invitee_name: string; roles: Role[] }>(
    "SELECT invitee_name, roles FROM invitations WHERE id = $1 AND workspace_id = $2",
    [input.invitationId, input.workspace],
  );
  const row = rows[0];
  // the caller must belong to `workspace` too, whether or not an entry point checked it first
  if (!row || !memberWorkspaces(input.principal).includes(input.workspace)) {
    await db.transaction((tx) =>
      auditNotVisible(
        tx,
        input.principal,
        "invitation.resolve",
        `Invitation::${JSON.stringify(input.invitationId)}`,
      ),
    );
    throw noSuchInvitation(input.invitationId);
  }
  const now = input.now ?? new Date();
  await governed(
    db,
    {
      principal: input.principal,
      action: "invitation.withdraw",
      resource: { type: "Invitation", id: input.invitationId, workspace: input.workspace },
    },
    async (tx) => {
      const taken = await tx.query(
        `UPDATE invitations SET withdrawn_by = $2, withdrawn_at = $3
          WHERE id = $1 AND accepted_at IS NULL AND withdrawn_at IS NULL`,
        [input.invitationId, actorId(input.principal), now.toISOString()],
      );
      if (taken.rowCount !== 1)
        throw new CrucibleError(
          "failed_precondition",
          `invitation ${input.invitationId} was already accepted or withdrawn`,
          {
            field: "invitation",
            value: input.invitationId,
            fix: "To take back roles an accepted invitation gave, `crucible principal revoke NAME --role R`",
          },
        );
    },
    { payload: { invitationId: input.invitationId, invitee: row.invitee_name, roles: row.roles } },
  );
  return { invitee: row.invitee_name, roles: row.roles };
}
