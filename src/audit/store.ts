import type { Queryable } from "../store/db.ts";
import type { AuditDecision, AuditEntry } from "./entry.ts";
import type { ChainHead } from "./verify.ts";

interface AuditRow {
  seq: number | string;
  time: string;
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
    time: row.time,
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

/** Options of a chain read: a seq range, a page size, one workspace's entries only. */
export interface ReadAuditOptions {
  fromSeq?: number;
  untilSeq?: number;
  pageSize?: number;
  workspace?: string;
}

/**
 * Reads the chain in seq order, one page (default 10,000 entries) per query, up to `untilSeq`
 * (default: the whole log). Pages keep the awaits per page, not per entry; the time comes back
 * as the ISO text it was hashed as, so no Date is built per row.
 * @example for await (const page of readAuditPages(db, { untilSeq: head.seq })) verifier.push(page);
 */
export async function* readAuditPages(
  db: Queryable,
  options: ReadAuditOptions = {},
): AsyncGenerator<AuditEntry[]> {
  const pageSize = options.pageSize ?? 10_000;
  let after = (options.fromSeq ?? 1) - 1;
  const until = options.untilSeq ?? Number.MAX_SAFE_INTEGER;
  for (;;) {
    const { rows } = await db.query<AuditRow>(
      `SELECT seq, to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS time, workspace,
              actor, action, resource, decision, rules, reason, payload_digest, prev_hash, hash
         FROM audit_log
        WHERE seq > $1 AND seq <= $2 AND ($3::text IS NULL OR workspace = $3)
        ORDER BY seq LIMIT $4`,
      [after, until, options.workspace ?? null, pageSize],
    );
    const page = new Array<AuditEntry>(rows.length);
    for (let i = 0; i < rows.length; i++) page[i] = toEntry(rows[i]!);
    if (page.length > 0) yield page;
    if (rows.length < pageSize) return;
    after = page[page.length - 1]!.seq;
  }
}

/**
 * Reads the chain entry by entry (see readAuditPages for the options).
 * @example for await (const entry of readAudit(db)) console.log(entry.seq, entry.action);
 */
export async function* readAudit(db: Queryable, options: ReadAuditOptions = {}): AsyncGenerator<AuditEntry> {
  for await (const page of readAuditPages(db, options)) for (const entry of page) yield entry;
}
