import type { AuditEntry } from "../audit/entry.ts";
import { verifyAuditLog } from "../audit/export.ts";
import { readAudit } from "../audit/store.ts";
import type { ChainVerdict, SignedClaim } from "../audit/verify.ts";
import type { Principal } from "../policy/entities.ts";
import type { Db } from "../store/db.ts";
import { governed } from "./funnel.ts";

/**
 * A workspace's audit entries for someone allowed `audit.read` there (admins, auditors). The
 * read itself is audited, allowed or denied. Entries come in seq order from `fromSeq`; the chain
 * they belong to is installation-wide, so verify it with verifyAuditLog / verifyAuditFile.
 * @example const entries = await readWorkspaceAudit(db, { principal: audra, workspace, limit: 100 });
 */
export async function readWorkspaceAudit(
  db: Db,
  input: { principal: Principal; workspace: string; fromSeq?: number; limit?: number },
): Promise<AuditEntry[]> {
  const limit = input.limit ?? 1000;
  const request = {
    principal: input.principal,
    action: "audit.read",
    resource: { type: "Workspace", id: input.workspace },
  } as const;
  return governed(
    db,
    request,
    async (tx) => {
      const out: AuditEntry[] = [];
      for await (const entry of readAudit(tx, {
        workspace: input.workspace,
        fromSeq: input.fromSeq ?? 1,
        pageSize: limit,
      })) {
        out.push(entry);
        if (out.length >= limit) break;
      }
      return out;
    },
    { payload: { fromSeq: input.fromSeq ?? 1, limit } },
  );
}

/**
 * Recomputes the installation's whole hash chain for someone allowed `audit.read` in `workspace`
 * (the check is audited) and checks that it extends every signed head in `signedHeads`: a chain
 * cut or rewritten since a head was signed fails even where its hashes line up again.
 * `crucible audit verify` and GET /v1/workspaces/{workspace}/audit/verify both answer with it.
 * @example const verdict = await verifyWorkspaceAudit(db, audra, acme, { signedHeads: runtime.signedHeads(keys) });
 */
export async function verifyWorkspaceAudit(
  db: Db,
  principal: Principal,
  workspace: string,
  options: { signedHeads: readonly SignedClaim[] },
): Promise<ChainVerdict> {
  await requireAuditRead(db, principal, workspace, "audit chain");
  return verifyAuditLog(db, { signedHeads: options.signedHeads });
}

/**
 * Checks, and audits, that the caller may read a workspace's audit trail, membership or policy
 * set (`audit.read`: admins and auditors); a denial throws with its rule.
 * @example await requireAuditRead(db, audra, workspace, "audit chain");
 */
export function requireAuditRead(
  db: Db,
  principal: Principal,
  workspace: string,
  what: string,
): Promise<void> {
  const request = {
    principal,
    action: "audit.read",
    resource: { type: "Workspace", id: workspace },
  } as const;
  return governed(db, request, async () => undefined, { payload: { read: what } });
}

/**
 * Checks, and audits per workspace, that the caller may read every workspace's audit trail: the
 * bar for an installation-wide export, which shows every workspace's entries in full. Installation
 * entries (no workspace) come with it: whoever reads every workspace reads the installation too.
 * @example await requireInstallationAudit(db, root); // throws permission_denied at the first workspace refused
 */
export async function requireInstallationAudit(db: Db, principal: Principal): Promise<void> {
  const { rows } = await db.query<{ id: string }>("SELECT id FROM workspaces ORDER BY id");
  for (const { id } of rows) await requireAuditRead(db, principal, id, "installation-wide audit export");
}
