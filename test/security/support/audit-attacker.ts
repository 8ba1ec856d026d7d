import { appendAuditBatch } from "../../../src/audit/append.ts";
import type { AuditInput } from "../../../src/audit/entry.ts";
import { type AuditEntry, entryHash } from "../../../src/audit/entry.ts";
import { readAudit } from "../../../src/audit/store.ts";
import type { Db, Queryable } from "../../../src/store/db.ts";

/** What an attacker who owns the database does to the audit chain, step by step. */

export const input = (i: number): AuditInput => ({
  workspace: "ws_acme",
  actor: `usr_${i % 3}`,
  action: "dataset.approve",
  resource: `DatasetVersion::"dsv_${i}"`,
  decision: i % 2 === 0 ? "allow" : "deny",
  rules: ["steward.datasets"],
});

export async function appendMany(db: Db, from: number, n: number): Promise<void> {
  await db.transaction((tx) =>
    appendAuditBatch(
      tx,
      Array.from({ length: n }, (_, i) => input(from + i)),
    ),
  );
}

export async function chain(db: Queryable): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const entry of readAudit(db)) out.push(entry);
  return out;
}

/** As the owner: triggers off for this transaction (what a superuser or the table owner may do). */
export function bypassing(db: Db, fn: (tx: Queryable) => Promise<void>): Promise<void> {
  return db.transaction(async (tx) => {
    await tx.query("SET LOCAL session_replication_role = replica");
    await fn(tx);
  });
}

/** Rewrites entries from `from` on with `edit`, recomputing every hash after it, head included. */
export async function rewriteFrom(db: Db, from: number, edit: (e: AuditEntry) => AuditEntry): Promise<void> {
  const entries = await chain(db);
  await bypassing(db, async (tx) => {
    let prev = entries[from - 2]?.hash ?? "0".repeat(64);
    for (const old of entries.slice(from - 1)) {
      const body = old.seq === from ? edit(old) : old;
      const hash = entryHash(prev, body);
      await tx.query("UPDATE audit_log SET actor = $2, prev_hash = $3, hash = $4 WHERE seq = $1", [
        old.seq,
        body.actor,
        prev,
        hash,
      ]);
      prev = hash;
    }
    await tx.query("UPDATE audit_head SET hash = $1", [prev]);
  });
}
