import { CrucibleError } from "../core/errors.ts";
import type { Queryable } from "../store/db.ts";
import type { PrincipalId, WorkspaceId } from "./ids.ts";

/**
 * The id of the workspace people call `name`.
 * @example const acme = await workspaceByName(db, "acme");
 */
export async function workspaceByName(q: Queryable, name: string): Promise<WorkspaceId> {
  const { rows } = await q.query<{ id: string }>("SELECT id FROM workspaces WHERE name = $1", [name]);
  if (!rows[0]) {
    throw new CrucibleError("not_found", "no such workspace", {
      field: "workspace",
      value: name,
      fix: "Check the name; an admin creates workspaces with `crucible workspace create`",
    });
  }
  return rows[0].id as WorkspaceId;
}

/**
 * The id of the principal (user or service identity) named `name`.
 * @example const eli = await principalByName(db, "eli");
 */
export async function principalByName(q: Queryable, name: string, field = "principal"): Promise<PrincipalId> {
  const { rows } = await q.query<{ id: string }>("SELECT id FROM principals WHERE name = $1", [name]);
  if (!rows[0]) {
    throw new CrucibleError("not_found", "no such principal", {
      field,
      value: name,
      fix: "Check the name; `crucible principal list` shows who exists",
    });
  }
  return rows[0].id as PrincipalId;
}
