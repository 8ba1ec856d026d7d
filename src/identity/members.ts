import { requireAuditRead } from "../governed/audit-access.ts";
import type { Principal } from "../policy/entities.ts";
import type { Db } from "../store/db.ts";
import { listPrincipals, type PrincipalListing } from "./names.ts";
import { listStale, type StaleToken } from "./stale.ts";

/** A workspace member's token nobody has used for a while, with the member's name. */
export interface StaleMemberToken extends StaleToken {
  principal: string;
}

/** Who has a role in a workspace and, when asked, which of their tokens went unused. */
export interface Members {
  principals: PrincipalListing[];
  stale?: StaleMemberToken[];
}

/**
 * The workspace's members for someone allowed `audit.read` there (admins, auditors; the read is
 * audited). With `unusedForS`, also the active tokens of those members unused for that long —
 * other workspaces' principals are left out. `crucible principal list` and
 * GET /v1/workspaces/{workspace}/principals both answer with it.
 * @example const { principals, stale } = await listMembers(db, audra, acme, { unusedForS: 30 * 86400 });
 */
export async function listMembers(
  db: Db,
  caller: Principal,
  workspace: string,
  options: { unusedForS?: number } = {},
): Promise<Members> {
  await requireAuditRead(db, caller, workspace, "principals");
  const principals = await listPrincipals(db, workspace);
  if (options.unusedForS === undefined) return { principals };
  const byId = new Map(principals.map((p) => [p.id, p]));
  const stale = (await listStale(db, { unusedForS: options.unusedForS }))
    .filter((t) => t.principalId && byId.has(t.principalId))
    .map((t) => ({ ...t, principal: byId.get(t.principalId!)!.name }));
  return { principals, stale };
}
