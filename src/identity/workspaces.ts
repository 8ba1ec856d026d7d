import { appendAudit } from "../audit/append.ts";
import { CrucibleError } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import { DEFAULT_DENY } from "../policy/engine.ts";
import { actorId, type Principal } from "../policy/entities.ts";
import type { Db } from "../store/db.ts";
import type { PrincipalId, WorkspaceId } from "./ids.ts";
import { checkName } from "./principals.ts";

/**
 * Creates the first workspace and its first admin on an empty installation, audited under the
 * rule `bootstrap`. Refused once any principal exists.
 * @example const { workspace, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
 */
export async function bootstrap(
  db: Db,
  input: { workspace: string; admin: string },
): Promise<{ workspace: WorkspaceId; admin: PrincipalId }> {
  checkName("workspace", input.workspace);
  checkName("admin", input.admin);
  return db.transaction(async (tx) => {
    await tx.query("LOCK TABLE principals IN EXCLUSIVE MODE");
    const any = await tx.query("SELECT 1 FROM principals LIMIT 1");
    if (any.rows.length > 0)
      throw new CrucibleError("failed_precondition", "the installation already has principals", {
        fix: "Authenticate as an admin and create workspaces and principals through the usual commands",
      });
    const workspace = newId("ws") as WorkspaceId;
    const admin = newId("usr") as PrincipalId;
    await tx.query("INSERT INTO workspaces (id, name, created_by) VALUES ($1, $2, $3)", [
      workspace,
      input.workspace,
      admin,
    ]);
    await tx.query("INSERT INTO principals (id, kind, name, created_by) VALUES ($1, 'user', $2, $1)", [
      admin,
      input.admin,
    ]);
    await tx.query(
      "INSERT INTO role_bindings (workspace_id, principal_id, role, granted_by) VALUES ($1, $2, 'admin', $2)",
      [workspace, admin],
    );
    await appendAudit(tx, {
      workspace,
      actor: admin,
      action: "installation.bootstrap",
      resource: `Workspace::"${workspace}"`,
      decision: "allow",
      rules: ["bootstrap"],
      reason: "first workspace and admin of an empty installation",
      payload: input,
    });
    return { workspace, admin };
  });
}

/**
 * Creates another workspace; its creator becomes its admin. Only an admin of some workspace may
 * (rule `workspace.create-by-admin`); the decision is audited either way.
 * @example const ws = await createWorkspace(db, { principal: root, name: "research" });
 */
export async function createWorkspace(
  db: Db,
  input: { principal: Principal; name: string },
): Promise<WorkspaceId> {
  checkName("name", input.name);
  const p = input.principal;
  const isAdmin = (p.kind === "user" || p.kind === "service") && p.roles.some((r) => r.role === "admin");
  const id = newId("ws") as WorkspaceId;
  const rule = isAdmin ? "workspace.create-by-admin" : DEFAULT_DENY;
  const reason = isAdmin ? "admins create workspaces" : "only an admin of a workspace creates workspaces";
  await db.transaction(async (tx) => {
    if (isAdmin) {
      const taken = await tx.query("SELECT 1 FROM workspaces WHERE name = $1", [input.name]);
      if (taken.rows.length > 0)
        throw new CrucibleError("already_exists", `a workspace named ${input.name} exists`, {
          field: "name",
          value: input.name,
          fix: "Pick another name",
        });
      await tx.query("INSERT INTO workspaces (id, name, created_by) VALUES ($1, $2, $3)", [
        id,
        input.name,
        actorId(p),
      ]);
      await tx.query(
        "INSERT INTO role_bindings (workspace_id, principal_id, role, granted_by) VALUES ($1, $2, 'admin', $2)",
        [id, actorId(p)],
      );
    }
    await appendAudit(tx, {
      workspace: id,
      actor: actorId(p),
      action: "workspace.create",
      resource: `Workspace::"${id}"`,
      decision: isAdmin ? "allow" : "deny",
      rules: [rule],
      reason,
      payload: { name: input.name },
    });
  });
  if (!isAdmin)
    throw new CrucibleError("permission_denied", `${actorId(p)} may not create workspaces: ${reason}`, {
      rule,
      fix: "Ask an admin to create the workspace",
    });
  return id;
}
