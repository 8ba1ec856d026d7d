import { appendAuditBatch } from "../audit/append.ts";
import { actorId, memberWorkspaces, type Principal } from "../policy/entities.ts";
import type { Db, Queryable } from "../store/db.ts";
import type { PrincipalId, WorkspaceId } from "./ids.ts";
import { noSuchPrincipal, noSuchWorkspace } from "./names.ts";

/** The rule named in the audit entry of a request answered "not found" across a tenant boundary. */
export const NOT_VISIBLE_RULE = "tenant.not-visible";

/**
 * Records (in `tx`), in each workspace the caller belongs to, that it asked for something it may not see.
 * The entry is the same whether the thing exists elsewhere or nowhere (the caller's own auditors
 * must not learn more than the caller), and it names only what the caller asked for.
 * @example await auditNotVisible(db, caller, "workspace.resolve", 'WorkspaceName::"acme"');
 */
export async function auditNotVisible(
  q: Queryable,
  caller: Principal,
  action: string,
  asked: string,
): Promise<void> {
  await appendAuditBatch(
    q,
    memberWorkspaces(caller).map((workspace) => ({
      workspace,
      actor: actorId(caller),
      action,
      resource: asked,
      decision: "deny" as const,
      rules: [NOT_VISIBLE_RULE],
      reason: "outside the caller's workspaces, or nonexistent: answered not found",
    })),
  );
}

/**
 * The workspace named `name`, if the caller belongs to it. Another tenant's workspace answers
 * exactly as a nonexistent one (`not_found`, "no such workspace"), and the attempt is audited in
 * the caller's own workspaces. Every API route under `/v1/workspaces/{workspace}` starts here.
 * @example const acme = await visibleWorkspace(db, caller.principal, "acme");
 */
export async function visibleWorkspace(db: Db, caller: Principal, name: string): Promise<WorkspaceId> {
  const { rows } = await db.query<{ id: string }>("SELECT id FROM workspaces WHERE name = $1", [name]);
  const id = rows[0]?.id;
  if (id !== undefined && memberWorkspaces(caller).includes(id)) return id as WorkspaceId;
  await db.transaction((tx) =>
    auditNotVisible(tx, caller, "workspace.resolve", `WorkspaceName::${JSON.stringify(name)}`),
  );
  throw noSuchWorkspace(name);
}

/**
 * The principal named `name` among the members of `workspace` (a role there, or a service
 * identity's home), asked by a caller who belongs to `workspace` too. Anything else answers as
 * a nonexistent name, audited in the caller's workspaces: names of other tenants' people cannot
 * be probed through a workspace's routes.
 * @example const eli = await visibleMember(db, caller.principal, acme, "eli");
 */
export async function visibleMember(
  db: Db,
  caller: Principal,
  workspace: string,
  name: string,
  field = "principal",
): Promise<PrincipalId> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT p.id FROM principals p
      WHERE p.name = $1
        AND (p.workspace_id = $2
             OR EXISTS (SELECT 1 FROM role_bindings b WHERE b.principal_id = p.id AND b.workspace_id = $2))`,
    [name, workspace],
  );
  // the caller must belong to `workspace` too, whether or not a route checked it first
  if (rows[0] && memberWorkspaces(caller).includes(workspace)) return rows[0].id as PrincipalId;
  await db.transaction((tx) =>
    auditNotVisible(tx, caller, "principal.resolve", `PrincipalName::${JSON.stringify(name)}`),
  );
  throw noSuchPrincipal(name, field);
}

/**
 * The principal named `name` if the caller may see it: itself, a service identity it owns, or a
 * member of a workspace the caller belongs to. Otherwise as if the name did not exist (audited).
 * @example const bot = await visiblePrincipal(db, caller.principal, "ops-bot", "for");
 */
export async function visiblePrincipal(
  db: Db,
  caller: Principal,
  name: string,
  field = "principal",
): Promise<PrincipalId> {
  const { rows } = await db.query<{ id: string }>("SELECT id FROM principals WHERE name = $1", [name]);
  const id = rows[0]?.id;
  if (id !== undefined && (await sharesTenancy(db, caller, id))) return id as PrincipalId;
  await db.transaction((tx) =>
    auditNotVisible(tx, caller, "principal.resolve", `PrincipalName::${JSON.stringify(name)}`),
  );
  throw noSuchPrincipal(name, field);
}

/**
 * Whether `subject` is within the caller's sight: the caller itself, a service identity it owns,
 * or a member of a workspace the caller belongs to.
 * @example if (!(await sharesTenancy(db, caller, row.principal_id))) throw noSuchToken(id);
 */
export async function sharesTenancy(q: Queryable, caller: Principal, subject: string): Promise<boolean> {
  if (caller.kind === "anonymous") return false;
  if (caller.kind !== "workload" && caller.id === subject) return true;
  const mine = memberWorkspaces(caller);
  const { rows } = await q.query<{ ok: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM principals p
        WHERE p.id = $1
          AND (p.owner_id = $3
               OR p.workspace_id = ANY($2::text[])
               OR EXISTS (SELECT 1 FROM role_bindings b
                           WHERE b.principal_id = p.id AND b.workspace_id = ANY($2::text[])))
     ) AS ok`,
    [subject, mine, caller.kind === "workload" ? null : caller.id],
  );
  return rows[0]?.ok === true;
}

/**
 * Throws, as for a nonexistent principal, unless the caller may see `subject` (see
 * `sharesTenancy`); the refusal is audited in the caller's workspaces.
 * @example await requireVisible(db, caller, eli);
 */
export async function requireVisible(db: Db, caller: Principal, subject: string): Promise<void> {
  if (await sharesTenancy(db, caller, subject)) return;
  await db.transaction((tx) =>
    auditNotVisible(tx, caller, "principal.resolve", `Principal::${JSON.stringify(subject)}`),
  );
  throw noSuchPrincipal(subject, "subject");
}
