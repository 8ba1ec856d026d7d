import type { VersionRow } from "./refs.ts";

/**
 * A dataset version as the CLI's `--json` prints it and the API returns it (OpenAPI: the
 * `VERSION` schema of src/api/routes/datasets.ts). The parent comes both as a ref and as a number.
 * @example versionJson(v).ref // "acme-handbook@v2"
 */
export function versionJson(v: VersionRow) {
  return {
    ref: `${v.name}@v${v.version}`,
    name: v.name,
    version: v.version,
    digest: v.digest,
    format: v.format,
    records: v.records,
    bytes: v.bytes,
    uploader: v.uploaderName,
    parent: v.parentVersion === null ? null : `${v.name}@v${v.parentVersion}`,
    parent_version: v.parentVersion,
    status: v.status,
    created_at: v.createdAt,
  };
}
