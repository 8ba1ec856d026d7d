import { CrucibleError } from "../core/errors.ts";
import type { Queryable } from "../store/db.ts";
import type { PrincipalId, WorkspaceId } from "./ids.ts";

/**
 * The one answer for a workspace that does not exist or is another tenant's: callers cannot tell
 * the two apart.
 * @example throw noSuchWorkspace("acme");
 */
export function noSuchWorkspace(name: string): CrucibleError {
  return new CrucibleError("not_found", "no such workspace", {
    field: "workspace",
    value: name,
    fix: "Check the name; an admin creates workspaces with `crucible workspace create`",
  });
}

/**
 * The one answer for a principal that does not exist or is not the caller's to see.
 * @example throw noSuchPrincipal("eli", "for");
 */
export function noSuchPrincipal(name: string, field = "principal"): CrucibleError {
  return new CrucibleError("not_found", "no such principal", {
    field,
    value: name,
    fix: "Check the name; `crucible principal list` shows who exists",
  });
}

/**
 * The id of the workspace people call `name`, whoever asks (entry points that act for an
 * authenticated caller use `visibleWorkspace`).
 * @example const acme = await workspaceByName(db, "acme");
 */
export async function workspaceByName(q: Queryable, name: string): Promise<WorkspaceId> {
  const { rows } = await q.query<{ id: string }>("SELECT id FROM workspaces WHERE name = $1", [name]);
  if (!rows[0]) throw noSuchWorkspace(name);
  return rows[0].id as WorkspaceId;
}

/**
 * The name people call workspace `id` (for messages; the id stays in --json and the audit log).
 * @example await workspaceNameOf(db, "ws_01h…") // "acme"
 */
export async function workspaceNameOf(q: Queryable, id: string): Promise<string> {
  const { rows } = await q.query<{ name: string }>("SELECT name FROM workspaces WHERE id = $1", [id]);
  return rows[0]?.name ?? id;
}

/**
 * The id of the principal (user or service identity) named `name`, whoever asks (entry points
 * that act for an authenticated caller use `visibleMember` or `visiblePrincipal`).
 * @example const eli = await principalByName(db, "eli");
 */
export async function principalByName(q: Queryable, name: string, field = "principal"): Promise<PrincipalId> {
  const { rows } = await q.query<{ id: string }>("SELECT id FROM principals WHERE name = $1", [name]);
  if (!rows[0]) throw noSuchPrincipal(name, field);
  return rows[0].id as PrincipalId;
}

export interface PrincipalListing {
  id: string;
  name: string;
  kind: "user" | "service";
  /** The human owner's name, for a service identity. */
  owner: string | null;
  roles: string[];
  disabled: boolean;
}

/**
 * Everyone with a role in a workspace, and its service identities, by name. The caller checks
 * that whoever asks may read the workspace's membership.
 * @example const people = await listPrincipals(db, acme);
 */
export async function listPrincipals(q: Queryable, workspace: string): Promise<PrincipalListing[]> {
  const { rows } = await q.query<{
    id: string;
    name: string;
    kind: "user" | "service";
    owner: string | null;
    roles: string[] | null;
    disabled_at: Date | null;
  }>(
    `SELECT p.id, p.name, p.kind, o.name AS owner, p.disabled_at,
            array_remove(array_agg(b.role ORDER BY b.role), NULL) AS roles
       FROM principals p
       LEFT JOIN principals o ON o.id = p.owner_id
       LEFT JOIN role_bindings b ON b.principal_id = p.id AND b.workspace_id = $1
      WHERE p.workspace_id = $1 OR b.workspace_id = $1
      GROUP BY p.id, p.name, p.kind, o.name, p.disabled_at
      ORDER BY p.name`,
    [workspace],
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    kind: r.kind,
    owner: r.owner,
    roles: r.roles ?? [],
    disabled: r.disabled_at !== null,
  }));
}
