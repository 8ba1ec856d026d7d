import { invalid } from "../../core/errors.ts";
import { approveVersion, parseExpiry, revokeVersion } from "../../data/service/approve.ts";
import { versionJson } from "../../data/service/json.ts";
import { listDatasets, listVersions, versionReport } from "../../data/service/read.ts";
import { PURPOSES, type Purpose, type VersionRef } from "../../data/service/refs.ts";
import type { Authenticated } from "../../identity/authenticated.ts";
import { visibleWorkspace } from "../../identity/tenancy.ts";
import type { Db } from "../../store/db.ts";
import type { Route } from "../route.ts";
import { arr, int, obj, str } from "../schemas.ts";

const VERSION_FIELDS = {
  name: str(),
  version: int(),
  digest: str(),
  format: str(),
  records: int(),
  status: str(),
  uploader: str(),
};
const VERSION_OPTIONAL = {
  ref: str(),
  bytes: int(),
  parent: { type: ["string", "null"] },
  parent_version: { type: ["integer", "null"] },
  created_at: str(),
};
const VERSION = obj(VERSION_FIELDS, VERSION_OPTIONAL);
/** A revoked version and the checkpoints its revocation tainted (lineage, any depth). */
const REVOKED = obj({ ...VERSION_FIELDS, tainted_checkpoints: arr(str()) }, VERSION_OPTIONAL);
const PURPOSE_LIST = arr(str({ enum: [...PURPOSES] }));

function refOf(params: Record<string, string>): VersionRef {
  const version = Number(params.version);
  if (!Number.isSafeInteger(version) || version < 1) {
    throw invalid(
      "version",
      "is not a version number",
      params.version,
      "Use the number of the version, e.g. 2 for acme-handbook@v2",
    );
  }
  return { name: params.dataset!, version };
}

/** Dataset versions, their pre-screen reports, approvals and revocations over HTTP. */
export function datasetRoutes(db: Db): Route<Authenticated>[] {
  return [
    {
      method: "get",
      path: "/v1/workspaces/{workspace}/datasets",
      operationId: "listDatasets",
      summary: "the latest version of every dataset in the workspace",
      tag: "datasets",
      auth: "bearer",
      response: obj({ datasets: arr(VERSION) }),
      handler: async ({ caller, params }) => {
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        return { body: { datasets: (await listDatasets(db, caller.principal, workspace)).map(versionJson) } };
      },
    },
    {
      method: "get",
      path: "/v1/workspaces/{workspace}/datasets/{dataset}/versions",
      operationId: "listDatasetVersions",
      summary: "every version of a dataset, oldest first",
      tag: "datasets",
      auth: "bearer",
      response: obj({ versions: arr(VERSION) }),
      handler: async ({ caller, params }) => {
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        return {
          body: {
            versions: (await listVersions(db, caller.principal, workspace, params.dataset!)).map(versionJson),
          },
        };
      },
    },
    {
      method: "get",
      path: "/v1/workspaces/{workspace}/datasets/{dataset}/versions/{version}/report",
      operationId: "datasetReport",
      summary: "the pre-screen report of a version: every flagged example, masked",
      tag: "datasets",
      auth: "bearer",
      response: { type: "object", required: ["version", "totals", "byDetector", "flagged"] },
      handler: async ({ caller, params }) => {
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        return { body: await versionReport(db, caller.principal, workspace, refOf(params)) };
      },
    },
    {
      method: "post",
      path: "/v1/workspaces/{workspace}/datasets/{dataset}/versions/{version}/approve",
      operationId: "approveDatasetVersion",
      summary: "approve a version for named purposes (a data steward who did not upload it)",
      tag: "datasets",
      auth: "bearer",
      body: obj({ purposes: PURPOSE_LIST }, { expires: str() }),
      response: VERSION,
      handler: async ({ caller, params, body }) => {
        const input = body as { purposes: Purpose[]; expires?: string };
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const expiry = input.expires ? { expiresAt: parseExpiry(input.expires) } : {};
        return {
          body: versionJson(
            await approveVersion(db, caller.principal, {
              workspace,
              ref: refOf(params),
              purposes: input.purposes,
              ...expiry,
            }),
          ),
        };
      },
    },
    {
      method: "post",
      path: "/v1/workspaces/{workspace}/datasets/{dataset}/versions/{version}/revoke",
      operationId: "revokeDatasetVersion",
      summary:
        "revoke a version (consent withdrawn, found unfit): it can never be used again, and every checkpoint it influenced is tainted",
      tag: "datasets",
      auth: "bearer",
      body: obj({ reason: str({ minLength: 3, maxLength: 2000 }) }),
      response: REVOKED,
      handler: async ({ caller, params, body }) => {
        const { reason } = body as { reason: string };
        const workspace = await visibleWorkspace(db, caller.principal, params.workspace!);
        const revoked = await revokeVersion(db, caller.principal, { workspace, ref: refOf(params), reason });
        return { body: { ...versionJson(revoked), tainted_checkpoints: revoked.tainted } };
      },
    },
  ];
}
