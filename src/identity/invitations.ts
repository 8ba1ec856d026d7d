import { appendAuditBatch } from "../audit/append.ts";
import { CrucibleError, invalid } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import { governed } from "../governed/funnel.ts";
import { ROLES, type Role } from "../policy/actions.ts";
import { actorId, memberWorkspaces, type Principal } from "../policy/entities.ts";
import type { Db, Queryable } from "../store/db.ts";
import { checkName } from "./principals.ts";
import { auditNotVisible } from "./tenancy.ts";

/** An invitation stays open this long unless the inviter says otherwise: 7 days. */
export const DEFAULT_INVITATION_LIFETIME_S = 7 * 86400;

/** A pending invitation as its invitee sees it. */
export interface InvitationListing {
  id: string;
  workspace: string;
  roles: Role[];
  invitedBy: string;
  expiresAt: string;
}

/**
 * Invites whoever bears the name `invitee` to join `workspace` with `roles` (`invitation.create`:
 * its admins, humans only). Nothing changes for the invitee until they accept with their own
 * credentials. The answer is the same whether or not the name exists, so inviting probes nothing.
 * @example const { invitationId } = await inviteMember(db, { principal: rita, workspace: research, invitee: "eli", roles: ["ml-engineer"] });
 */
export async function inviteMember(
  db: Db,
  input: { principal: Principal; workspace: string; invitee: string; roles: readonly Role[]; now?: Date },
): Promise<{ invitationId: string; expiresAt: Date }> {
  checkName("invitee", input.invitee);
  if (input.roles.length === 0)
    throw invalid("roles", "an invitation grants at least one role", [], "Name a role, e.g. ml-engineer");
  for (const role of input.roles)
    if (!ROLES.includes(role)) throw invalid("roles", "unknown role", role, `Use one of ${ROLES.join(", ")}`);
  const now = input.now ?? new Date();
  const invitationId = newId("inv");
  const expiresAt = new Date(now.getTime() + DEFAULT_INVITATION_LIFETIME_S * 1000);
  const roles = [...new Set(input.roles)].sort();
  await governed(
    db,
    {
      principal: input.principal,
      action: "invitation.create",
      resource: { type: "Invitation", id: invitationId, workspace: input.workspace },
    },
    async (tx) => {
      await tx.query(
        `INSERT INTO invitations (id, workspace_id, invitee_name, roles, invited_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          invitationId,
          input.workspace,
          input.invitee,
          roles,
          actorId(input.principal),
          now.toISOString(),
          expiresAt.toISOString(),
        ],
      );
      // the invitee's own workspaces learn of it too: their people are being courted
      await noteInInviteeWorkspaces(tx, input, invitationId);
    },
    { payload: { invitationId, invitee: input.invitee, roles } },
  );
  return { invitationId, expiresAt };
}

/**
 * The open invitations addressed to the caller's name, with workspace names.
 * @example const pending = await listInvitations(db, eli);
 */
export async function listInvitations(
  q: Queryable,
  caller: Principal,
  now: Date = new Date(),
): Promise<InvitationListing[]> {
  if (caller.kind !== "user") return [];
  const { rows } = await q.query<{
    id: string;
    workspace: string;
    roles: Role[];
    invited_by: string;
    expires_at: Date;
  }>(
    `SELECT i.id, w.name AS workspace, i.roles, coalesce(p.name, i.invited_by) AS invited_by, i.expires_at
       FROM invitations i
       JOIN workspaces w ON w.id = i.workspace_id
       JOIN principals me ON me.name = i.invitee_name AND me.id = $1
       LEFT JOIN principals p ON p.id = i.invited_by
      WHERE i.accepted_at IS NULL AND i.withdrawn_at IS NULL AND i.expires_at > $2::timestamptz
      ORDER BY i.created_at, i.id`,
    [caller.id, now.toISOString()],
  );
  return rows.map((r) => ({
    id: r.id,
    workspace: r.workspace,
    roles: r.roles,
    invitedBy: r.invited_by,
    expiresAt: new Date(r.expires_at).toISOString(),
  }));
}

/**
 * Accepts an invitation addressed to the caller's name: the caller, a human with their own
 * credentials, gains its roles (`invitation.accept`, audited in the inviting workspace and in
 * each workspace the caller already belongs to). An invitation addressed to someone else answers
 * as a nonexistent one.
 * @example const { workspace, roles } = await acceptInvitation(db, { principal: eli, invitationId });
 */
export async function acceptInvitation(
  db: Db,
  input: { principal: Principal; invitationId: string; now?: Date },
): Promise<{ workspace: string; workspaceName: string; roles: Role[] }> {
  const now = input.now ?? new Date();
  const { rows } = await db.query<{
    workspace_id: string;
    workspace_name: string;
    roles: Role[];
    invitee: string | null;
  }>(
    `SELECT i.workspace_id, w.name AS workspace_name, i.roles, p.id AS invitee
       FROM invitations i
       JOIN workspaces w ON w.id = i.workspace_id
       LEFT JOIN principals p ON p.name = i.invitee_name
      WHERE i.id = $1`,
    [input.invitationId],
  );
  const row = rows[0];
  const caller = input.principal;
  if (!row || caller.kind === "anonymous" || caller.kind === "workload" || row.invitee !== caller.id) {
    await db.transaction((tx) =>
      auditNotVisible(tx, caller, "invitation.resolve", `Invitation::${JSON.stringify(input.invitationId)}`),
    );
    throw noSuchInvitation(input.invitationId);
  }
  const earlier = memberWorkspaces(caller).filter((w) => w !== row.workspace_id);
  await governed(
    db,
    {
      principal: caller,
      action: "invitation.accept",
      resource: {
        type: "Invitation",
        id: input.invitationId,
        workspace: row.workspace_id,
        invitee: row.invitee,
      },
    },
    async (tx) => {
      const taken = await tx.query(
        `UPDATE invitations SET accepted_by = $2, accepted_at = $3
          WHERE id = $1 AND accepted_at IS NULL AND withdrawn_at IS NULL AND expires_at > $3::timestamptz`,
        [input.invitationId, caller.id, now.toISOString()],
      );
      if (taken.rowCount !== 1)
        throw new CrucibleError(
          "failed_precondition",
          `invitation ${input.invitationId} was accepted, withdrawn or expired`,
          {
            field: "invitation",
            value: input.invitationId,
            fix: "Ask an admin of the workspace for a new invitation",
          },
        );
      for (const role of row.roles)
        await tx.query(
          `INSERT INTO role_bindings (workspace_id, principal_id, role, granted_by) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING`,
          [row.workspace_id, caller.id, role, caller.id],
        );
      await appendAuditBatch(
        tx,
        earlier.map((workspace) => ({
          workspace,
          actor: caller.id,
          action: "invitation.accept",
          resource: `Invitation::${JSON.stringify(input.invitationId)}`,
          decision: "allow" as const,
          rules: ["invitee.accept"],
          reason: "a member of this workspace joined another workspace",
        })),
      );
    },
    { payload: { invitationId: input.invitationId, roles: row.roles } },
  );
  return { workspace: row.workspace_id, workspaceName: row.workspace_name, roles: row.roles };
}

/**
 * The one answer for an invitation that does not exist or is not the caller's to see.
 * @example throw noSuchInvitation("inv_01h…");
 */
export function noSuchInvitation(id: string): CrucibleError {
  return new CrucibleError("not_found", `no invitation ${id}`, {
    field: "invitation",
    value: id,
    fix: "`crucible workspace invitations` lists those addressed to you; with --workspace W, W's open invitations",
  });
}

/** Appends a note of an invitation to each workspace the invitee (if the name exists) belongs to. */
async function noteInInviteeWorkspaces(
  tx: Queryable,
  input: { principal: Principal; workspace: string; invitee: string },
  invitationId: string,
): Promise<void> {
  const { rows } = await tx.query<{ workspace_id: string }>(
    `SELECT DISTINCT b.workspace_id FROM role_bindings b JOIN principals p ON p.id = b.principal_id
      WHERE p.name = $1 AND b.workspace_id <> $2 ORDER BY b.workspace_id`,
    [input.invitee, input.workspace],
  );
  await appendAuditBatch(
    tx,
    rows.map((r) => ({
      workspace: r.workspace_id,
      actor: actorId(input.principal),
      action: "invitation.create",
      resource: `Invitation::${JSON.stringify(invitationId)}`,
      decision: "allow" as const,
      rules: ["admin.invite"],
      reason: "a member of this workspace was invited to another workspace",
    })),
  );
}
