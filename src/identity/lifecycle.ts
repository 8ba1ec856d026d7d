import { CrucibleError, invalid } from "../core/errors.ts";
import { governedAll, type Invariant } from "../governed/funnel.ts";
import { ROLES, type Role } from "../policy/actions.ts";
import type { Principal } from "../policy/entities.ts";
import type { Db, Queryable } from "../store/db.ts";
import { revocationScope } from "./credentials.ts";
import { loadPrincipal } from "./principals.ts";
import { requireVisible } from "./tenancy.ts";

/** The rule named when a change would leave a workspace without an active admin. */
export const LAST_ADMIN_RULE = "admin.last-active";

type Subject = NonNullable<Awaited<ReturnType<typeof loadPrincipal>>> & { kind: "user" | "service" };

async function requireSubject(db: Db, caller: Principal, id: string): Promise<Subject> {
  await requireVisible(db, caller, id);
  const subject = await loadPrincipal(db, id);
  if (subject?.kind !== "user" && subject?.kind !== "service")
    throw new CrucibleError("not_found", `no principal ${id}`, {
      field: "subject",
      value: id,
      fix: "Check the name; `crucible principal list` shows who exists",
    });
  return subject as Subject;
}

/** Every workspace a principal belongs to: where it holds roles, and a service's home. */
function memberships(subject: Subject): string[] {
  const out = new Set(subject.roles.map((r) => r.workspace));
  if (subject.kind === "service") out.add(subject.workspace);
  return [...out].sort();
}

/**
 * Locks the admin bindings of `workspaces` (so two admins cannot remove each other at once) and
 * returns the broken invariant if, without `leaving`, one of them would have no active admin.
 */
async function lastAdminCheck(
  tx: Queryable,
  workspaces: readonly string[],
  leaving: string,
): Promise<Invariant[]> {
  if (workspaces.length === 0) return [];
  const { rows } = await tx.query<{ workspace_id: string; principal_id: string; active: boolean }>(
    `SELECT b.workspace_id, b.principal_id, p.disabled_at IS NULL AS active
       FROM role_bindings b JOIN principals p ON p.id = b.principal_id
      WHERE b.role = 'admin' AND b.workspace_id = ANY($1::text[])
      ORDER BY b.workspace_id, b.principal_id
      FOR UPDATE OF b, p`,
    [workspaces],
  );
  const orphaned = workspaces.filter(
    (ws) =>
      rows.some((r) => r.workspace_id === ws && r.principal_id === leaving && r.active) &&
      !rows.some((r) => r.workspace_id === ws && r.principal_id !== leaving && r.active),
  );
  return orphaned.map((ws) => ({
    id: LAST_ADMIN_RULE,
    holds: false,
    reason: `workspace ${ws} would be left without an active admin`,
  }));
}

/**
 * Disables a principal: every later authentication (token, OIDC, --as) fails saying so, and its
 * active bearer tokens are revoked now. Needs `principal.disable` in every workspace the principal
 * belongs to (and in `workspace`, where the request is made); never removes a workspace's last
 * active admin. Returns how many tokens were revoked, and the active service identities the
 * principal owns (they keep working; transfer or disable them).
 * @example const { revokedTokens } = await disablePrincipal(db, { principal: root, workspace: acme, subject: eli });
 */
export async function disablePrincipal(
  db: Db,
  input: { principal: Principal; workspace: string; subject: string; now?: Date },
): Promise<{ revokedTokens: number; ownedServices: string[] }> {
  const { revokedTokens } = await setDisabled(db, { ...input, disable: true });
  // their service identities keep working: someone must take them over, so say which
  const { rows } = await db.query<{ name: string }>(
    "SELECT name FROM principals WHERE owner_id = $1 AND disabled_at IS NULL ORDER BY name",
    [input.subject],
  );
  return { revokedTokens, ownedServices: rows.map((r) => r.name) };
}

/**
 * Re-enables a disabled principal (`principal.enable` in every workspace it belongs to). Its old
 * tokens stay revoked: it needs new ones.
 * @example await enablePrincipal(db, { principal: root, workspace: acme, subject: eli });
 */
export async function enablePrincipal(
  db: Db,
  input: { principal: Principal; workspace: string; subject: string },
): Promise<void> {
  await setDisabled(db, { ...input, disable: false });
}

async function setDisabled(
  db: Db,
  input: { principal: Principal; workspace: string; subject: string; disable: boolean; now?: Date },
): Promise<{ revokedTokens: number }> {
  const subject = await requireSubject(db, input.principal, input.subject);
  const workspaces = memberships(subject);
  if (workspaces.length > 0 && !workspaces.includes(input.workspace))
    throw new CrucibleError("not_found", `principal ${input.subject} does not belong to this workspace`, {
      field: "workspace",
      value: input.workspace,
      fix: "Name a workspace where the principal holds a role (or a service identity's home)",
    });
  if (subject.disabled === input.disable)
    throw new CrucibleError(
      "failed_precondition",
      `principal ${input.subject} is already ${input.disable ? "disabled" : "enabled"}`,
      { field: "subject", value: input.subject, fix: "Nothing to do" },
    );
  const action = input.disable ? "principal.disable" : "principal.enable";
  const scope = workspaces.length > 0 ? workspaces : [input.workspace];
  const requests = scope.map(
    (id) => ({ principal: input.principal, action, resource: { type: "Workspace", id } }) as const,
  );
  const now = (input.now ?? new Date()).toISOString();
  return governedAll(
    db,
    requests,
    async (tx) => {
      await tx.query("UPDATE principals SET disabled_at = $2 WHERE id = $1", [
        input.subject,
        input.disable ? now : null,
      ]);
      if (!input.disable) return { revokedTokens: 0 };
      const revoked = await tx.query(
        `UPDATE tokens SET revoked_at = $2
          WHERE principal_id = $1 AND revoked_at IS NULL AND expires_at > $2::timestamptz`,
        [input.subject, now],
      );
      return { revokedTokens: revoked.rowCount };
    },
    {
      payload: { subject: input.subject, disable: input.disable },
      ...(input.disable ? { check: (tx: Queryable) => lastAdminCheck(tx, scope, input.subject) } : {}),
    },
  );
}

/**
 * Removes a role from a principal in a workspace (`role.revoke`, admins); the last active admin
 * of a workspace keeps the role. `not_found` when the role is not held.
 * @example await revokeRole(db, { principal: root, workspace: acme, subject: eli, role: "ml-engineer" });
 */
export async function revokeRole(
  db: Db,
  input: { principal: Principal; workspace: string; subject: string; role: Role },
): Promise<void> {
  if (!ROLES.includes(input.role))
    throw invalid("role", "unknown role", input.role, `Use one of ${ROLES.join(", ")}`);
  const subject = await requireSubject(db, input.principal, input.subject);
  if (!subject.roles.some((r) => r.workspace === input.workspace && r.role === input.role))
    throw new CrucibleError("not_found", `principal ${input.subject} does not hold ${input.role} here`, {
      field: "role",
      value: input.role,
      fix: "`crucible principal list --workspace W` shows who holds which role",
    });
  const request = {
    principal: input.principal,
    action: "role.revoke",
    resource: { type: "Workspace", id: input.workspace },
  } as const;
  await governedAll(
    db,
    [request],
    async (tx) => {
      await tx.query(
        "DELETE FROM role_bindings WHERE workspace_id = $1 AND principal_id = $2 AND role = $3",
        [input.workspace, input.subject, input.role],
      );
    },
    {
      payload: { subject: input.subject, role: input.role },
      ...(input.role === "admin"
        ? { check: (tx: Queryable) => lastAdminCheck(tx, [input.workspace], input.subject) }
        : {}),
    },
  );
}

/**
 * Revokes every active bearer token of a principal: the principal itself, a service identity's
 * owner or its home's admins, or, for a user, admins of every workspace the user belongs to (one
 * `token.revoke` decision on the credential `all:<id>` in each, each audited there).
 * @example const { revokedTokens } = await revokePrincipalTokens(db, { principal: root, subject: eli });
 */
export async function revokePrincipalTokens(
  db: Db,
  input: { principal: Principal; subject: string; now?: Date },
): Promise<{ revokedTokens: number }> {
  await requireVisible(db, input.principal, input.subject);
  const resources = await revocationScope(db, input.principal, input.subject, `all:${input.subject}`);
  const requests = resources.map((resource) => ({
    principal: input.principal,
    action: "token.revoke" as const,
    resource,
  }));
  const now = (input.now ?? new Date()).toISOString();
  return governedAll(
    db,
    requests,
    async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `UPDATE tokens SET revoked_at = $2
          WHERE principal_id = $1 AND revoked_at IS NULL AND expires_at > $2::timestamptz
          RETURNING id`,
        [input.subject, now],
      );
      return { revokedTokens: rows.length };
    },
    { payload: { subject: input.subject, all: true } },
  );
}
