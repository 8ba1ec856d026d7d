import type { Queryable } from "../store/db.ts";
import type { AuditDecision, AuditEntry } from "./entry.ts";
import type { ChainHead } from "./verify.ts";

interface AuditRow {
  seq: number;
  time: Date | string;
  workspace: string | null;
  actor: string;
  action: string;
  resource: string;
  decision: AuditDecision;
  rules: string[];
  reason: string | null;
  payload_digest: string | null;
  prev_hash: string;
  hash: string;
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    seq: Number(row.seq),
    time: new Date(row.time).toISOString(),
    workspace: row.workspace,
    actor: row.actor,
    action: row.action,
    resource: row.resource,
    decision: row.decision,
    rules: row.rules,
    reason: row.reason,
    payloadDigest: row.payload_digest,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * The newest (seq, hash) as the database records it.
 * @example const { seq, hash } = await auditHead(db);
 */
export async function auditHead(db: Queryable): Promise<ChainHead> {
  const { rows } = await db.query<{ seq: number; hash: string }>(
    "SELECT seq, hash FROM audit_head WHERE singleton",
  );
  const row = rows[0];
  if (!row) throw new Error("audit_head is missing: the audit migration did not run");
  return { seq: Number(row.seq), hash: row.hash };
}

/**
 * Reads the chain in seq order, a page at a time, up to `untilSeq` (default: the whole log).
 * @example for await (const entry of readAudit(db)) console.log(entry.seq, entry.action);
 */
export async function* readAudit(
  db: Queryable,
  options: { fromSeq?: number; untilSeq?: number; pageSize?: number; workspace?: string } = {},
): AsyncGenerator<AuditEntry> {
  const pageSize = options.pageSize ?? 5000;
  let after = (options.fromSeq ?? 1) - 1;
  const until = options.untilSeq ?? Number.MAX_SAFE_INTEGER;
  for (;;) {
    const { rows } = await db.query<AuditRow>(
      `SELECT seq, time, workspace, actor, action, resource, decision, rules, reason, payload_digest,
              prev_hash, hash
         FROM audit_log
        WHERE seq > $1 AND seq <= $2 AND ($3::text IS NULL OR workspace = $3)
        ORDER BY seq LIMIT $4`,
      [after, until, options.workspace ?? null, pageSize],
    );
    for (const row of rows) yield toEntry(row);
    if (rows.length < pageSize) return;
    after = Number(rows[rows.length - 1]!.seq);
  }
}
