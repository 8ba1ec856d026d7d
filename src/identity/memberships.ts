import type { Role } from "../policy/actions.ts";
import type { Principal } from "../policy/entities.ts";
import type { Queryable } from "../store/db.ts";

/** A workspace the caller belongs to, with the roles the caller holds there. */
export interface Membership {
  id: string;
  name: string;
  roles: Role[];
}

/**
 * The workspaces the caller belongs to, by name, with its roles in each: the roles it
 * authenticated with (an OIDC caller's narrowed to its binding's workspace). One's own
 * memberships need no decision; nothing else is shown.
 * @example const mine = await listMemberships(db, eli); // [{ id: "ws_…", name: "acme", roles: ["ml-engineer"] }]
 */
export async function listMemberships(q: Queryable, caller: Principal): Promise<Membership[]> {
  const bindings = caller.kind === "user" || caller.kind === "service" ? caller.roles : [];
  const ids = [...new Set(bindings.map((b) => b.workspace))];
  if (ids.length === 0) return [];
  const { rows } = await q.query<{ id: string; name: string }>(
    "SELECT id, name FROM workspaces WHERE id = ANY($1::text[]) ORDER BY name",
    [ids],
  );
  return rows.map((w) => ({
    id: w.id,
    name: w.name,
    roles: bindings.filter((b) => b.workspace === w.id).map((b) => b.role),
  }));
}
