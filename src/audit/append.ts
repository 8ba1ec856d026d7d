import { CrucibleError } from "../core/errors.ts";
import type { Queryable } from "../store/db.ts";
import { type AuditEntry, type AuditInput, chainEntry } from "./entry.ts";

const COLUMNS = 12;
const CHUNK = 1000;

/**
 * Appends one entry to the audit chain inside the caller's transaction, so the entry commits or
 * rolls back with the state change it records (one mutation funnel). Concurrent appenders, in
 * this process or others, queue on the `audit_head` row lock: no forks, no gaps.
 * @example
 * await db.transaction(async (tx) => {
 *   await tx.query("UPDATE datasets SET status = 'approved' WHERE id = $1", [id]);
 *   await appendAudit(tx, { workspace, actor, action: "dataset.approve", resource, decision: "allow", rules });
 * });
 */
export async function appendAudit(tx: Queryable, input: AuditInput): Promise<AuditEntry> {
  const [entry] = await appendAuditBatch(tx, [input]);
  return entry!;
}

/**
 * Appends several entries in order under one lock and one INSERT (bulk importers, benchmarks).
 * @example const entries = await appendAuditBatch(tx, [a, b, c]);
 */
export async function appendAuditBatch(tx: Queryable, inputs: readonly AuditInput[]): Promise<AuditEntry[]> {
  if (inputs.length === 0) return [];
  const head = await tx.query<{ seq: number; hash: string }>(
    "SELECT seq, hash FROM audit_head WHERE singleton FOR UPDATE",
  );
  const row = head.rows[0];
  if (!row) throw new Error("audit_head is missing: the audit migration did not run");
  let seq = Number(row.seq);
  let hash = row.hash;
  const entries: AuditEntry[] = [];
  for (const input of inputs) {
    const entry = chainEntry(seq, hash, input);
    entries.push(entry);
    seq = entry.seq;
    hash = entry.hash;
  }
  for (let i = 0; i < entries.length; i += CHUNK) {
    const last = i + CHUNK >= entries.length;
    try {
      await insertRows(tx, entries.slice(i, i + CHUNK), last ? { seq, hash } : undefined);
    } catch (err) {
      throw rowAboveHead(err, Number(row.seq), entries[i]!.seq, seq) ?? err;
    }
  }
  return entries;
}

/**
 * Only an append moves the head, and it writes the rows it moves past: a row already at a seq
 * above the head was written around the application (a forged insert). Named, not a raw
 * duplicate-key message, so an operator knows to verify the chain rather than retry.
 */
function rowAboveHead(err: unknown, head: number, from: number, to: number): CrucibleError | undefined {
  if ((err as { code?: unknown }).code !== "23505") return undefined;
  const seqs = from === to ? `seq ${from}` : `a seq in ${from}..${to}`;
  return new CrucibleError(
    "failed_precondition",
    `the audit chain has a row at ${seqs}, above its head seq ${head}: a row was written around the application, so nothing can be appended`,
    {
      field: "audit_log.seq",
      value: from,
      fix: "Run `crucible audit verify` against the signed heads, find who wrote the row (database logs), and restore the log from a verified export",
    },
    { cause: err },
  );
}

/**
 * One multi-row INSERT (chunks keep it under PostgreSQL's 65,535 bind parameters); with the last
 * chunk, the head moves in the same statement, which saves a round trip per append.
 */
async function insertRows(
  tx: Queryable,
  entries: readonly AuditEntry[],
  head?: { seq: number; hash: string },
): Promise<void> {
  const params: unknown[] = [];
  const tuples = entries.map((e, i) => {
    params.push(
      e.seq,
      e.time,
      e.workspace,
      e.actor,
      e.action,
      e.resource,
      e.decision,
      e.rules,
      e.reason,
      e.payloadDigest,
      e.prevHash,
      e.hash,
    );
    const base = i * COLUMNS;
    return `(${Array.from({ length: COLUMNS }, (_, k) => `$${base + k + 1}`).join(", ")})`;
  });
  const insert = `INSERT INTO audit_log (seq, time, workspace, actor, action, resource, decision, rules, reason,
       payload_digest, prev_hash, hash) VALUES ${tuples.join(", ")}`;
  if (!head) {
    await tx.query(insert, params);
    return;
  }
  const n = params.length;
  params.push(head.seq, head.hash);
  // a data-modifying CTE always runs to completion, whether or not the outer statement reads it
  await tx.query(
    `WITH appended AS (${insert} RETURNING seq)
     UPDATE audit_head SET seq = $${n + 1}, hash = $${n + 2} WHERE singleton`,
    params,
  );
}
