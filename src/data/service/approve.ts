import { CrucibleError, invalid } from "../../core/errors.ts";
import { newId } from "../../core/ids.ts";
import { governed } from "../../governed/funnel.ts";
import { taintImpact } from "../../lineage/taint.ts";
import { actorId, type Principal } from "../../policy/entities.ts";
import type { Db, Queryable } from "../../store/db.ts";
import {
  findVersion,
  type Purpose,
  refText,
  type VersionRef,
  type VersionRow,
  versionResource,
} from "./refs.ts";

/**
 * Approves a version for purposes, bound to its digest, optionally until `expiresAt`. Goes
 * through `dataset.approve`: data stewards only, never the uploader (`sod.dataset-uploader`), and
 * only once its pre-screen found nothing (`gate.dataset-prescreen`). A revoked version stays revoked.
 * @example await approveVersion(db, dana, { workspace, ref: { name: "acme-handbook", version: 2 }, purposes: ["cpt", "sft"] });
 */
export async function approveVersion(
  db: Db,
  caller: Principal,
  input: { workspace: string; ref: VersionRef; purposes: readonly Purpose[]; expiresAt?: Date; now?: Date },
): Promise<VersionRow> {
  const now = input.now ?? new Date();
  if (input.expiresAt && input.expiresAt.getTime() <= now.getTime())
    throw invalid(
      "--expires",
      "the expiry is not in the future",
      input.expiresAt.toISOString(),
      "Give a later date",
    );
  const v = await findVersion(db, input.workspace, input.ref);
  const report = await db.query<{ findings: number }>(
    "SELECT findings FROM prescreen_reports WHERE version_id = $1",
    [v.id],
  );
  const request = {
    principal: caller,
    action: "dataset.approve",
    resource: versionResource(v),
    context: { prescreen_passed: Number(report.rows[0]?.findings ?? 1) === 0 },
  } as const;
  await governed(
    db,
    request,
    async (tx) => {
      await requireStatus(tx, v, ["pending", "approved"], "approved");
      for (const purpose of input.purposes)
        await tx.query(
          `INSERT INTO dataset_approvals (id, version_id, digest, purpose, approver, approved_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          [newId("dsa"), v.id, v.digest, purpose, actorId(caller), now, input.expiresAt ?? null],
        );
      await tx.query("UPDATE dataset_versions SET status = 'approved' WHERE id = $1", [v.id]);
    },
    {
      payload: {
        version: refText(v),
        digest: v.digest,
        purposes: input.purposes,
        expiresAt: input.expiresAt ?? null,
      },
    },
  );
  return findVersion(db, input.workspace, { name: v.name, version: v.version });
}

/** A revoked version, with the checkpoints its revocation tainted. */
export interface RevokedVersion extends VersionRow {
  /** Ids of the checkpoints tainted by this revocation (those tainted before keep their first taint). */
  tainted: string[];
}

/**
 * Revokes a version for good (consent withdrawn, a leak found), with a reason. Goes through
 * `dataset.revoke` (data stewards). In the same transaction every registered checkpoint the
 * version influenced (lineage, any depth) is marked tainted with the reason.
 * @example const { tainted } = await revokeVersion(db, dana, { workspace, ref: { name: "acme-handbook", version: 2 }, reason: "consent withdrawn" });
 */
export async function revokeVersion(
  db: Db,
  caller: Principal,
  input: { workspace: string; ref: VersionRef; reason: string; now?: Date },
): Promise<RevokedVersion> {
  const reason = input.reason.trim();
  if (reason.length === 0)
    throw invalid(
      "--reason",
      "a revocation needs a reason",
      input.reason,
      "Say why, e.g. --reason 'consent withdrawn'",
    );
  const v = await findVersion(db, input.workspace, input.ref);
  const request = { principal: caller, action: "dataset.revoke", resource: versionResource(v) } as const;
  const now = input.now ?? new Date();
  const tainted = await governed(
    db,
    request,
    async (tx) => {
      await requireStatus(tx, v, ["pending", "approved"], "revoked");
      await tx.query(
        "INSERT INTO dataset_revocations (version_id, reason, revoked_by, revoked_at) VALUES ($1, $2, $3, $4)",
        [v.id, reason, actorId(caller), now],
      );
      await tx.query("UPDATE dataset_versions SET status = 'revoked' WHERE id = $1", [v.id]);
      return taintImpact(tx, {
        workspace: v.workspace,
        start: { kind: "dataset_version", id: v.id },
        reason: `dataset ${refText(v)} revoked: ${reason}`,
        at: now,
      });
    },
    { payload: { version: refText(v), digest: v.digest, reason } },
  );
  return { ...(await findVersion(db, input.workspace, { name: v.name, version: v.version })), tainted };
}

/** The lifecycle's allowed transitions, checked on the row locked in this transaction. */
async function requireStatus(
  tx: Queryable,
  v: VersionRow,
  from: readonly string[],
  to: string,
): Promise<void> {
  const { rows } = await tx.query<{ status: string }>(
    "SELECT status FROM dataset_versions WHERE id = $1 FOR UPDATE",
    [v.id],
  );
  const status = rows[0]?.status ?? "missing";
  if (!from.includes(status))
    throw new CrucibleError("failed_precondition", `${refText(v)} is ${status}; it cannot become ${to}`, {
      field: "dataset",
      value: refText(v),
      fix: "A revoked version stays revoked; add a new version instead",
    });
}

/**
 * Parses `--expires`: an ISO 8601 date or time, or a lifetime like `30d` or `12h` from `now`.
 * @example parseExpiry("30d", new Date("2026-01-01T00:00:00Z")).toISOString() // "2026-01-31T00:00:00.000Z"
 */
export function parseExpiry(text: string, now: Date = new Date()): Date {
  const lifetime = /^([1-9][0-9]{0,5})([dh])$/.exec(text);
  if (lifetime)
    return new Date(now.getTime() + Number(lifetime[1]) * (lifetime[2] === "d" ? 86_400_000 : 3_600_000));
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(date.getTime()))
    throw invalid(
      "--expires",
      "not a date or a lifetime",
      text,
      "Write 2026-12-31, 2026-12-31T18:00:00Z, 30d or 12h",
    );
  return date;
}
