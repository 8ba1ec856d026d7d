// Attack family: whoever controls the database rewrites the audit chain (issue item 2). On a
// PostgreSQL server the application role may only append (see audit-rewrite-roles.test.ts); an
// owner or superuser, and on PGlite whoever holds the files, can still rewrite everything, and
// `audit verify` must then catch it against heads signed earlier with the installation key.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { appendAudit, appendAuditBatch } from "../../src/audit/append.ts";
import { type AuditEntry, type AuditInput, entryHash } from "../../src/audit/entry.ts";
import { exportAuditJsonl, verifyAuditFile, verifyAuditLog } from "../../src/audit/export.ts";
import { generateSigningKey } from "../../src/audit/key-rotation.ts";
import { signHead } from "../../src/audit/signed-head.ts";
import { auditHead, readAudit } from "../../src/audit/store.ts";
import type { Db, Queryable } from "../../src/store/db.ts";
import { describeEachStore } from "../support/stores.ts";

const key = generateSigningKey();

const input = (i: number): AuditInput => ({
  workspace: "ws_acme",
  actor: `usr_${i % 3}`,
  action: "dataset.approve",
  resource: `DatasetVersion::"dsv_${i}"`,
  decision: i % 2 === 0 ? "allow" : "deny",
  rules: ["steward.datasets"],
});

async function appendMany(db: Db, from: number, n: number): Promise<void> {
  await db.transaction((tx) =>
    appendAuditBatch(
      tx,
      Array.from({ length: n }, (_, i) => input(from + i)),
    ),
  );
}

async function chain(db: Queryable): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const entry of readAudit(db)) out.push(entry);
  return out;
}

/** As the owner: triggers off for this transaction (what a superuser or the table owner may do). */
function bypassing(db: Db, fn: (tx: Queryable) => Promise<void>): Promise<void> {
  return db.transaction(async (tx) => {
    await tx.query("SET LOCAL session_replication_role = replica");
    await fn(tx);
  });
}

/** Rewrites entries from `from` on with `edit`, recomputing every hash after it, head included. */
async function rewriteFrom(db: Db, from: number, edit: (e: AuditEntry) => AuditEntry): Promise<void> {
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

describeEachStore("audit chain rewritten by the database's owner", (open) => {
  it("names the signed head that a rewritten row and every hash after it contradict", async () => {
    const db = await open();
    try {
      await appendMany(db, 0, 10);
      const signed = [
        signHead({ seq: 5, hash: (await chain(db))[4]!.hash }, key),
        signHead(await auditHead(db), key),
      ];
      await appendMany(db, 10, 3);
      await rewriteFrom(db, 3, (e) => ({ ...e, actor: "usr_someone_else" }));
      // the rewrite is internally consistent: the chain alone cannot tell
      expect(await verifyAuditLog(db)).toMatchObject({ ok: true, count: 13 });
      expect(await verifyAuditLog(db, { signedHeads: signed })).toMatchObject({
        ok: false,
        seq: 5,
        reason: expect.stringMatching(
          /entry at seq 5 has hash .* but the signed head seq 5 .*rewritten or forked/,
        ),
      });
    } finally {
      await db.close();
    }
  });

  it("names the signed head that a cut tail, with the head row set back, falls short of", async () => {
    const db = await open();
    try {
      await appendMany(db, 0, 8);
      const signed = signHead(await auditHead(db), key);
      const kept = (await chain(db))[4]!;
      await bypassing(db, async (tx) => {
        await tx.query("DELETE FROM audit_log WHERE seq > 5");
        await tx.query("UPDATE audit_head SET seq = 5, hash = $1", [kept.hash]);
      });
      expect(await verifyAuditLog(db)).toMatchObject({ ok: true, count: 5 });
      expect(await verifyAuditLog(db, { signedHeads: [signed] })).toMatchObject({
        ok: false,
        seq: 6,
        reason: expect.stringMatching(
          /chain ends at seq 5, but the signed head seq 8 .*removed from the end/,
        ),
      });
    } finally {
      await db.close();
    }
  });

  it("catches forged rows that replace the tail after a signed head (a fork)", async () => {
    const db = await open();
    try {
      await appendMany(db, 0, 6);
      const signed = signHead(await auditHead(db), key);
      const entries = await chain(db);
      await bypassing(db, async (tx) => {
        await tx.query("DELETE FROM audit_log WHERE seq >= 4");
        await tx.query("UPDATE audit_head SET seq = 3, hash = $1", [entries[2]!.hash]);
      });
      // honest-looking appends on the forged base: the chain verifies, the signed head does not
      await appendMany(db, 100, 4);
      expect(await verifyAuditLog(db)).toMatchObject({ ok: true, count: 7 });
      expect(await verifyAuditLog(db, { signedHeads: [signed] })).toMatchObject({
        ok: false,
        seq: 6,
        reason: expect.stringContaining(`signed head seq 6 (hash ${signed.hash}`),
      });
    } finally {
      await db.close();
    }
  });

  it("turns a row inserted above the head into an error naming its seq, not a duplicate key", async () => {
    const db = await open();
    try {
      await appendMany(db, 0, 3);
      await db.query(
        `INSERT INTO audit_log (seq, time, workspace, actor, action, resource, decision, rules, prev_hash, hash)
         VALUES (4, now(), 'ws_acme', 'usr_forger', 'dataset.approve', 'x', 'allow', '{}', 'p', 'h')`,
      );
      const appending = db.transaction((tx) => appendAudit(tx, input(9)));
      await expect(appending).rejects.toMatchObject({
        code: "failed_precondition",
        message: expect.stringMatching(/row at seq 4, above its head seq 3.*audit verify/),
      });
      expect((await auditHead(db)).seq).toBe(3);
    } finally {
      await db.close();
    }
  });

  it("verifies an export only up to a signed head that its last entry reaches", async () => {
    const db = await open();
    try {
      await appendMany(db, 0, 6);
      const dir = mkdtempSync(join(tmpdir(), "audit-rewrite-"));
      const path = join(dir, "audit.jsonl");
      const head = await exportAuditJsonl(db, path, { key });
      const keys = key.publicKey;
      expect(await verifyAuditFile(path, { keys })).toMatchObject({ ok: true, count: 6 });
      const lines = readFileSync(path, "utf8").trimEnd().split("\n");
      const write = (ls: readonly string[]) => writeFileSync(path, ls.length ? `${ls.join("\n")}\n` : "");

      write([]);
      await expect(verifyAuditFile(path, { keys })).rejects.toThrow(/is empty/);

      write(lines.slice(0, 4)); // tail and head line dropped
      expect(await verifyAuditFile(path, { keys })).toMatchObject({
        ok: false,
        reason: /no signed head line/,
      });

      // tail cut, head line rewritten to match: the signature no longer verifies
      const cut = JSON.parse(lines[3]!) as AuditEntry;
      const envelope = JSON.parse(lines[6]!).signedHead;
      const forged = {
        ...envelope,
        payload: Buffer.from(JSON.stringify({ hash: cut.hash, seq: 4, time: head.time })).toString("base64"),
      };
      write([...lines.slice(0, 4), JSON.stringify({ signedHead: forged })]);
      await expect(verifyAuditFile(path, { keys })).rejects.toThrow(/signature does not verify/);

      // the unsigned head line an older export wrote is refused
      write([...lines.slice(0, 4), JSON.stringify({ head: { seq: 4, hash: cut.hash } })]);
      await expect(verifyAuditFile(path, { keys })).rejects.toThrow(/unsigned head line/);

      // a tail cut back to an older, genuinely signed head passes only until a later head is known
      write([
        ...lines.slice(0, 4),
        JSON.stringify({ signedHead: signHead({ seq: 4, hash: cut.hash }, key).envelope }),
      ]);
      expect(await verifyAuditFile(path, { keys, signedHeads: [head] })).toMatchObject({
        ok: false,
        reason: /chain ends at seq 4, but the signed head seq 6/,
      });

      // a member no export writes, even one the hash does not cover, is refused by name
      const extra = { ...JSON.parse(lines[1]!), note: "approved by the CISO" };
      write([lines[0]!, JSON.stringify(extra), ...lines.slice(2)]);
      await expect(verifyAuditFile(path, { keys })).rejects.toThrow(
        /:2 note: is not a member of an audit export line/,
      );
    } finally {
      await db.close();
    }
  });
});
