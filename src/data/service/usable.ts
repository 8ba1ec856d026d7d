import { CrucibleError } from "../../core/errors.ts";
import type { Queryable } from "../../store/db.ts";
import { findVersion, type Purpose, refText, type VersionRef, type VersionRow } from "./refs.ts";

/** The rules `assertUsableForTraining` names when it refuses. */
export type UsabilityRule =
  | "dataset.revoked"
  | "dataset.unapproved"
  | "dataset.approval-expired"
  | "dataset.digest-mismatch";

/**
 * The check a run makes for each input: the version is approved for `purpose`, that approval
 * has not expired and was given to this very digest, the version is not revoked, and (when the
 * ref carries one) the digest the run expects is the version's. Otherwise `permission_denied`
 * naming the rule. Returns the version (its artifact path and digest are what the run reads).
 * @example const v = await assertUsableForTraining(db, workspace, { name: "acme-handbook", version: 2 }, "cpt", new Date());
 */
export async function assertUsableForTraining(
  q: Queryable,
  workspace: string,
  datasetRef: VersionRef & { digest?: string },
  purpose: Purpose,
  now: Date,
): Promise<VersionRow> {
  const v = await findVersion(q, workspace, datasetRef);
  const deny = (rule: UsabilityRule, why: string, fix: string) =>
    new CrucibleError("permission_denied", `${refText(v)} may not be used for ${purpose}: ${why}`, {
      rule,
      value: refText(v),
      fix,
    });
  if (v.status === "revoked")
    throw deny("dataset.revoked", "it was revoked", "Use another, approved version");
  if (datasetRef.digest !== undefined && datasetRef.digest !== v.digest)
    throw deny(
      "dataset.digest-mismatch",
      `its digest is ${v.digest}, not ${datasetRef.digest}`,
      "Name the version whose content you mean",
    );
  const { rows } = await q.query<{ digest: string; expires_at: Date | string | null }>(
    `SELECT digest, expires_at FROM dataset_approvals WHERE version_id = $1 AND purpose = $2
     ORDER BY approved_at DESC, id DESC LIMIT 1`,
    [v.id, purpose],
  );
  const approval = rows[0];
  if (!approval)
    throw deny(
      "dataset.unapproved",
      `it is not approved for ${purpose}`,
      "Ask a data steward to approve it for this purpose",
    );
  if (approval.digest !== v.digest)
    throw deny(
      "dataset.digest-mismatch",
      `the approval was given to ${approval.digest}, not ${v.digest}`,
      "Ask a data steward to approve this content",
    );
  if (approval.expires_at !== null && new Date(approval.expires_at).getTime() <= now.getTime())
    throw deny(
      "dataset.approval-expired",
      `its approval for ${purpose} expired at ${new Date(approval.expires_at).toISOString()}`,
      "Ask a data steward to approve it again",
    );
  return v;
}
