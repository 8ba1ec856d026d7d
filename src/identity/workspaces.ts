import { appendAudit } from "../audit/append.ts";
import { CrucibleError, invalid } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import { HUMAN_ONLY_RULE } from "../governed/funnel.ts";
import { DEFAULT_DENY } from "../policy/engine.ts";
import { actorId, type Principal } from "../policy/entities.ts";
import type { Db, Queryable } from "../store/db.ts";
import type { PrincipalId, TokenId, WorkspaceId } from "./ids.ts";
import { checkName } from "./principals.ts";
import { newTokenSecret } from "./secrets.ts";
import { type IssuedToken, insertToken } from "./tokens.ts";

/** The first token obeys the policy's cap (`cap.token-lifetime` in default.cedar: 90 days). */
const MAX_TOKEN_LIFETIME_S = 7_776_000;

/**
 * Creates the first workspace and its first admin on an empty installation, audited under the
 * rule `bootstrap`. Refused once any principal exists. With `tokenLifetimeS`, the admin's first
 * bearer token is issued in the same transaction (on a PostgreSQL server nobody could act
 * without it: `--as` works only on the embedded store); its secret is returned once.
 * @example const { workspace, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
 */
export async function bootstrap(
  db: Db,
  input: { workspace: string; admin: string; tokenLifetimeS?: number },
): Promise<{ workspace: WorkspaceId; admin: PrincipalId; token?: IssuedToken }> {
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
      payload: { workspace: input.workspace, admin: input.admin },
    });
    if (input.tokenLifetimeS === undefined) return { workspace, admin };
    const token = await issueFirstToken(tx, workspace, admin, input.tokenLifetimeS);
    return { workspace, admin, token };
  });
}

/**
 * Creates another workspace; its creator becomes its admin. Only a human admin of some workspace
 * may (rule `workspace.create-by-admin`; a service identity is refused under `human-only.service`);
 * the decision is audited either way.
 * @example const ws = await createWorkspace(db, { principal: root, name: "research" });
 */
export async function createWorkspace(
  db: Db,
  input: { principal: Principal; name: string },
): Promise<WorkspaceId> {
  checkName("name", input.name);
  const p = input.principal;
  const isAdmin = p.kind === "user" && p.roles.some((r) => r.role === "admin");
  const id = newId("ws") as WorkspaceId;
  const rule = isAdmin ? "workspace.create-by-admin" : p.kind === "service" ? HUMAN_ONLY_RULE : DEFAULT_DENY;
  const reason = isAdmin
    ? "admins create workspaces"
    : p.kind === "service"
      ? "creating a workspace is a decision only a human makes; a service identity never does"
      : "only an admin of a workspace creates workspaces";
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

async function issueFirstToken(
  tx: Queryable,
  workspace: WorkspaceId,
  admin: PrincipalId,
  lifetimeS: number,
): Promise<IssuedToken> {
  if (!Number.isSafeInteger(lifetimeS) || lifetimeS <= 0 || lifetimeS > MAX_TOKEN_LIFETIME_S)
    throw invalid(
      "tokenLifetimeS",
      `a token lives 1 to ${MAX_TOKEN_LIFETIME_S} seconds`,
      String(lifetimeS),
      "Give a lifetime within the cap, e.g. 86400",
    );
  const now = new Date();
  const issued = {
    tokenId: newId("tok") as TokenId,
    secret: newTokenSecret(),
    expiresAt: new Date(now.getTime() + lifetimeS * 1000),
  };
  await insertToken(tx, {
    id: issued.tokenId,
    kind: "bearer",
    principal: admin,
    secret: issued.secret,
    label: "bootstrap",
    createdBy: admin,
    now,
    expiresAt: issued.expiresAt,
  });
  await appendAudit(tx, {
    workspace,
    actor: admin,
    action: "token.create",
    resource: `Credential::"${issued.tokenId}"`,
    decision: "allow",
    rules: ["bootstrap"],
    reason: "the first admin's first token, issued with the installation",
    payload: { tokenId: issued.tokenId, subject: admin, lifetimeS, label: "bootstrap" },
  });
  return issued;
}
