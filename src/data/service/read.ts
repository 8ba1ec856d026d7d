import { authorizeAndAudit, deniedError } from "../../governed/funnel.ts";
import type { Principal } from "../../policy/entities.ts";
import type { Db } from "../../store/db.ts";
import type { PrescreenReport } from "../report.ts";
import {
  findVersion,
  VERSION_SELECT,
  type VersionRef,
  type VersionRow,
  versionResource,
  versionRow,
} from "./refs.ts";

/**
 * Authorises `dataset.read` on each version (every decision audited, a denial committed before
 * it is thrown).
 * @example await authorizeRead(db, auditor, [v1, v2]);
 */
export async function authorizeRead(
  db: Db,
  caller: Principal,
  versions: readonly VersionRow[],
): Promise<void> {
  const denied = await db.transaction(async (tx) => {
    for (const v of versions) {
      const request = { principal: caller, action: "dataset.read", resource: versionResource(v) } as const;
      const decision = await authorizeAndAudit(tx, request);
      if (decision.decision === "deny") return deniedError(decision, request);
    }
    return undefined;
  });
  if (denied) throw denied;
}

/**
 * The version a ref names, if the caller may read it.
 * @example const v = await readVersion(db, dana, workspace, { name: "acme-handbook", version: 2 });
 */
export async function readVersion(
  db: Db,
  caller: Principal,
  workspace: string,
  ref: VersionRef,
): Promise<VersionRow> {
  const version = await findVersion(db, workspace, ref);
  await authorizeRead(db, caller, [version]);
  return version;
}

/**
 * Every version of a dataset, oldest first.
 * @example (await listVersions(db, dana, workspace, "acme-handbook")).map((v) => v.version) // [1, 2]
 */
export async function listVersions(
  db: Db,
  caller: Principal,
  workspace: string,
  name: string,
): Promise<VersionRow[]> {
  await findVersion(db, workspace, { name });
  const { rows } = await db.query(
    `${VERSION_SELECT} WHERE d.workspace_id = $1 AND d.name = $2 ORDER BY v.version`,
    [workspace, name],
  );
  const versions = rows.map(versionRow);
  await authorizeRead(db, caller, versions);
  return versions;
}

/**
 * The latest version of every dataset in a workspace, by name.
 * @example (await listDatasets(db, dana, workspace)).map((v) => v.name) // ["acme-handbook"]
 */
export async function listDatasets(db: Db, caller: Principal, workspace: string): Promise<VersionRow[]> {
  const { rows } = await db.query(
    `${VERSION_SELECT} WHERE d.workspace_id = $1
       AND v.version = (SELECT MAX(version) FROM dataset_versions WHERE dataset_id = d.id)
     ORDER BY d.name`,
    [workspace],
  );
  const latest = rows.map(versionRow);
  await authorizeRead(db, caller, latest);
  return latest;
}

/** A version with its approvals, its revocation and its pre-screen totals. */
export interface VersionDetails extends VersionRow {
  findings: number;
  flaggedRecords: number;
  approvals: {
    purpose: string;
    digest: string;
    approver: string;
    approvedAt: string;
    expiresAt: string | null;
  }[];
  revocation: { reason: string; revokedBy: string; revokedAt: string } | null;
}

/**
 * Everything known about one version.
 * @example const v = await showVersion(db, dana, workspace, { name: "acme-handbook", version: 2 });
 */
export async function showVersion(
  db: Db,
  caller: Principal,
  workspace: string,
  ref: VersionRef,
): Promise<VersionDetails> {
  const v = await readVersion(db, caller, workspace, ref);
  const report = await db.query<{ findings: number; flagged_records: number }>(
    "SELECT findings, flagged_records FROM prescreen_reports WHERE version_id = $1",
    [v.id],
  );
  const approvals = await db.query<Record<string, unknown>>(
    `SELECT a.purpose, a.digest, p.name AS approver, a.approved_at, a.expires_at
     FROM dataset_approvals a JOIN principals p ON p.id = a.approver
     WHERE a.version_id = $1 ORDER BY a.approved_at, a.purpose`,
    [v.id],
  );
  const revocation = await db.query<Record<string, unknown>>(
    `SELECT r.reason, p.name AS revoked_by, r.revoked_at
     FROM dataset_revocations r JOIN principals p ON p.id = r.revoked_by WHERE r.version_id = $1`,
    [v.id],
  );
  const iso = (value: unknown) => new Date(value as string).toISOString();
  const r = revocation.rows[0];
  return {
    ...v,
    findings: Number(report.rows[0]?.findings ?? 0),
    flaggedRecords: Number(report.rows[0]?.flagged_records ?? 0),
    approvals: approvals.rows.map((a) => ({
      purpose: String(a.purpose),
      digest: String(a.digest),
      approver: String(a.approver),
      approvedAt: iso(a.approved_at),
      expiresAt: a.expires_at === null ? null : iso(a.expires_at),
    })),
    revocation: r
      ? { reason: String(r.reason), revokedBy: String(r.revoked_by), revokedAt: iso(r.revoked_at) }
      : null,
  };
}

/**
 * The stored pre-screen report of a version (masked previews only).
 * @example (await versionReport(db, dana, workspace, { name: "acme-handbook", version: 1 })).totals.findings
 */
export async function versionReport(
  db: Db,
  caller: Principal,
  workspace: string,
  ref: VersionRef,
): Promise<PrescreenReport & { version: string }> {
  const v = await readVersion(db, caller, workspace, ref);
  const { rows } = await db.query<{ report: PrescreenReport | string }>(
    "SELECT report FROM prescreen_reports WHERE version_id = $1",
    [v.id],
  );
  const stored = rows[0]!.report;
  const report = typeof stored === "string" ? (JSON.parse(stored) as PrescreenReport) : stored;
  return { version: `${v.name}@v${v.version}`, ...report };
}
