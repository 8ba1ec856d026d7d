import { CrucibleError, invalid } from "../../core/errors.ts";
import type { Queryable } from "../../store/db.ts";
import { validateDatasetName } from "../names.ts";

/** What a dataset version can be approved for. */
export const PURPOSES = ["cpt", "sft", "rft", "eval"] as const;
export type Purpose = (typeof PURPOSES)[number];

/** A dataset version's lifecycle: pending → approved → revoked, or pending → revoked. */
export type VersionStatus = "pending" | "approved" | "revoked";

/** `NAME` (the latest version) or `NAME@vN`. */
export interface VersionRef {
  name: string;
  version?: number;
}

/** One dataset version as stored. */
export interface VersionRow {
  id: string;
  datasetId: string;
  workspace: string;
  name: string;
  version: number;
  digest: string;
  format: string;
  records: number;
  bytes: number;
  uploader: string;
  uploaderName: string;
  parentId: string | null;
  parentVersion: number | null;
  status: VersionStatus;
  createdAt: string;
  artifactPath: string;
}

/**
 * Parses `acme-handbook@v2` (or `acme-handbook` for the latest version).
 * @example parseVersionRef("acme-handbook@v2") // { name: "acme-handbook", version: 2 }
 */
export function parseVersionRef(text: string, field = "dataset"): VersionRef {
  const at = text.lastIndexOf("@");
  if (at < 0) return { name: validateDatasetName(text) };
  const name = validateDatasetName(text.slice(0, at));
  const match = /^v([1-9][0-9]{0,8})$/.exec(text.slice(at + 1));
  if (!match) throw invalid(field, "the version is not vN", text, "Write NAME@vN, e.g. acme-handbook@v2");
  return { name, version: Number(match[1]) };
}

/**
 * `name@vN`, as every message and listing writes a version.
 * @example refText({ name: "acme-handbook", version: 2 }) // "acme-handbook@v2"
 */
export function refText(row: { name: string; version: number }): string {
  return `${row.name}@v${row.version}`;
}

/**
 * Parses a comma-separated purpose list.
 * @example parsePurposes("cpt,sft") // ["cpt", "sft"]
 */
export function parsePurposes(text: string): Purpose[] {
  const items = [...new Set(text.split(",").map((p) => p.trim()))].filter((p) => p.length > 0);
  const fix = `Use a comma-separated list of ${PURPOSES.join(", ")}`;
  if (items.length === 0) throw invalid("--purpose", "no purpose given", text, fix);
  for (const p of items)
    if (!(PURPOSES as readonly string[]).includes(p)) throw invalid("--purpose", "unknown purpose", p, fix);
  return items as Purpose[];
}

export const VERSION_SELECT = `SELECT v.id, v.dataset_id, d.workspace_id, d.name, v.version, v.digest, v.format,
    v.records, v.bytes, v.uploader, p.name AS uploader_name, v.parent_id, pv.version AS parent_version,
    v.status, v.created_at, a.path AS artifact_path
  FROM dataset_versions v
  JOIN datasets d ON d.id = v.dataset_id
  JOIN principals p ON p.id = v.uploader
  JOIN dataset_artifacts a ON a.digest = v.digest
  LEFT JOIN dataset_versions pv ON pv.id = v.parent_id`;

/**
 * Maps a row of VERSION_SELECT.
 * @example const versions = rows.map(versionRow);
 */
export function versionRow(r: Record<string, unknown>): VersionRow {
  return {
    id: String(r.id),
    datasetId: String(r.dataset_id),
    workspace: String(r.workspace_id),
    name: String(r.name),
    version: Number(r.version),
    digest: String(r.digest),
    format: String(r.format),
    records: Number(r.records),
    bytes: Number(r.bytes),
    uploader: String(r.uploader),
    uploaderName: String(r.uploader_name),
    parentId: r.parent_id === null ? null : String(r.parent_id),
    parentVersion: r.parent_version === null ? null : Number(r.parent_version),
    status: r.status as VersionStatus,
    createdAt: new Date(r.created_at as string).toISOString(),
    artifactPath: String(r.artifact_path),
  };
}

/**
 * The version a ref names in a workspace (the latest when the ref has no version).
 * @example const v = await findVersion(db, workspace, parseVersionRef("acme-handbook@v1"));
 */
export async function findVersion(q: Queryable, workspace: string, ref: VersionRef): Promise<VersionRow> {
  const { rows } = await q.query(
    `${VERSION_SELECT} WHERE d.workspace_id = $1 AND d.name = $2 AND ($3::integer IS NULL OR v.version = $3)
     ORDER BY v.version DESC LIMIT 1`,
    [workspace, ref.name, ref.version ?? null],
  );
  if (!rows[0])
    throw new CrucibleError("not_found", "no such dataset version", {
      field: "dataset",
      value: ref.version ? refText({ name: ref.name, version: ref.version }) : ref.name,
      fix: "`crucible dataset list` and `crucible dataset versions NAME` show what exists",
    });
  return versionRow(rows[0]);
}

/**
 * The policy resource for a version (its uploader, for separation of duties; revoked or not).
 * @example authorize(policies, { principal, action: "dataset.read", resource: versionResource(v) })
 */
export function versionResource(v: VersionRow) {
  return {
    type: "DatasetVersion" as const,
    id: v.id,
    workspace: v.workspace,
    uploader: v.uploader,
    revoked: v.status === "revoked",
  };
}
