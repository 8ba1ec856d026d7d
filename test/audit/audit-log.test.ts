import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, inject, it } from "vitest";
import { appendAudit, appendAuditBatch } from "../../src/audit/append.ts";
import type { AuditInput } from "../../src/audit/entry.ts";
import { exportAuditJsonl, verifyAuditFile, verifyAuditLog } from "../../src/audit/export.ts";
import { auditHead, readAudit } from "../../src/audit/store.ts";
import { generateSigningKey } from "../../src/provenance/keyring.ts";
import { describeEachStore } from "../support/stores.ts";

/** The installation key the exports are signed with. */
const key = generateSigningKey();

const input = (i: number): AuditInput => ({
  workspace: "ws_a",
  actor: `usr_${i % 3}`,
  action: "dataset.approve",
  resource: `DatasetVersion::"dsv_${i}"`,
  decision: i % 2 === 0 ? "allow" : "deny",
  rules: i % 2 === 0 ? ["steward.datasets"] : ["sod.dataset-uploader"],
  reason: i % 2 === 0 ? null : "the approver uploaded it",
  payload: { i },
});

async function readAll(db: Parameters<typeof readAudit>[0]) {
  const out = [];
  for await (const e of readAudit(db)) out.push(e);
  return out;
}

describeEachStore("audit log", (open, kind) => {
  it("chains appended entries and verifies them from the database", async () => {
    const db = await open();
    try {
      for (let i = 0; i < 5; i++) await db.transaction((tx) => appendAudit(tx, input(i)));
      await db.transaction((tx) => appendAuditBatch(tx, [input(5), input(6), input(7)]));
      const entries = await readAll(db);
      expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      for (let i = 1; i < entries.length; i++) expect(entries[i]!.prevHash).toBe(entries[i - 1]!.hash);
      expect(await verifyAuditLog(db)).toEqual({ ok: true, count: 8, head: await auditHead(db) });
    } finally {
      await db.close();
    }
  });

  it("appends a batch larger than one INSERT chunk and moves the head to its last entry", async () => {
    const db = await open();
    try {
      const many = Array.from({ length: 2345 }, (_, i) => input(i));
      const entries = await db.transaction((tx) => appendAuditBatch(tx, many));
      expect(await auditHead(db)).toEqual({ seq: 2345, hash: entries.at(-1)!.hash });
      expect(await verifyAuditLog(db)).toMatchObject({ ok: true, count: 2345 });
    } finally {
      await db.close();
    }
  });

  it("rolls an entry back with its transaction, leaving no gap", async () => {
    const db = await open();
    try {
      await db.transaction((tx) => appendAudit(tx, input(0)));
      await expect(
        db.transaction(async (tx) => {
          await appendAudit(tx, input(1));
          throw new Error("state change failed");
        }),
      ).rejects.toThrow("state change failed");
      await db.transaction((tx) => appendAudit(tx, input(2)));
      expect((await readAll(db)).map((e) => [e.seq, e.resource])).toEqual([
        [1, 'DatasetVersion::"dsv_0"'],
        [2, 'DatasetVersion::"dsv_2"'],
      ]);
      expect((await verifyAuditLog(db)).ok).toBe(true);
    } finally {
      await db.close();
    }
  });

  it("refuses UPDATE, DELETE and TRUNCATE of audit rows, and moving the head back", async () => {
    const db = await open();
    try {
      await db.transaction((tx) => appendAudit(tx, input(0)));
      await expect(db.query("UPDATE audit_log SET decision = 'allow'")).rejects.toThrow(
        /append-only: UPDATE/,
      );
      await expect(db.query("DELETE FROM audit_log WHERE seq = 1")).rejects.toThrow(/append-only: DELETE/);
      await expect(db.query("TRUNCATE audit_log")).rejects.toThrow(/append-only: TRUNCATE/);
      await expect(db.query("UPDATE audit_head SET seq = 0")).rejects.toThrow(/only moves forward/);
      await expect(db.query("DELETE FROM audit_head")).rejects.toThrow(/only moves forward/);
      expect((await readAll(db)).length).toBe(1);
    } finally {
      await db.close();
    }
  });

  it("detects a row altered by someone who disabled the trigger (a superuser)", async () => {
    const db = await open();
    try {
      await db.transaction((tx) => appendAuditBatch(tx, [0, 1, 2, 3].map(input)));
      await db.exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete");
      await db.query("UPDATE audit_log SET decision = 'allow', rules = '{steward.datasets}' WHERE seq = 2");
      expect(await verifyAuditLog(db)).toMatchObject({ ok: false, seq: 2, reason: /hash mismatch/ });
      // the same across pages (the next page already asked for when the bad one is found)
      expect(await verifyAuditLog(db, { pageSize: 1 })).toMatchObject({ ok: false, seq: 2, index: 1 });
      await db.query("DELETE FROM audit_log WHERE seq = 4");
      expect(await verifyAuditLog(db)).toMatchObject({ ok: false, seq: 2 });
      await db.query(
        "UPDATE audit_log SET decision = 'deny', rules = '{sod.dataset-uploader}' WHERE seq = 2",
      );
      expect(await verifyAuditLog(db, { pageSize: 2 })).toMatchObject({
        ok: false,
        seq: 4,
        reason: /removed/,
      });
    } finally {
      await db.close();
    }
  });

  it("exports JSONL that verifies offline, and names the entry that was edited in the file", async () => {
    const db = await open();
    try {
      await db.transaction((tx) => appendAuditBatch(tx, [0, 1, 2, 3, 4].map(input)));
      const path = join(mkdtempSync(join(tmpdir(), "audit-")), "audit.jsonl");
      const head = await exportAuditJsonl(db, path, { key });
      expect(head.seq).toBe(5);
      expect(await verifyAuditFile(path, { keys: key.publicKey })).toEqual({
        ok: true,
        count: 5,
        head: { seq: head.seq, hash: head.hash },
        workspace: null,
        signedAt: head.time,
      });
      const lines = readFileSync(path, "utf8").trimEnd().split("\n");
      expect(lines).toHaveLength(6);
      writeFileSync(
        path,
        `${lines.map((l, i) => (i === 1 ? l.replace('"deny"', '"allow"') : l)).join("\n")}\n`,
      );
      expect(await verifyAuditFile(path, { keys: key.publicKey })).toMatchObject({
        ok: false,
        seq: 2,
        reason: /hash mismatch/,
      });
      writeFileSync(path, `${[...lines.slice(0, 4), lines[5]].join("\n")}\n`);
      expect(await verifyAuditFile(path, { keys: key.publicKey })).toMatchObject({
        ok: false,
        reason: /removed or added at the end/,
      });
    } finally {
      await db.close();
    }
  });

  // Several processes appending at once exists only on a server: PGlite is single-process by
  // design (its directory lock refuses a second process), so the PGlite variant has nothing to test.
  it.skipIf(kind !== "postgres")(
    "keeps one unforked, gapless chain while four processes append at once",
    async () => {
      const db = await open();
      try {
        const url = inject("postgresUrl")!;
        const worker = new URL("./support/append-worker.ts", import.meta.url).pathname;
        const perWorker = 60;
        const runs = ["p1", "p2", "p3", "p4"].map(
          (name) =>
            new Promise<void>((resolve, reject) => {
              const child = spawn(
                process.execPath,
                ["--import", "tsx", worker, url, db.schema, String(perWorker), name],
                { stdio: ["ignore", "ignore", "pipe"] },
              );
              let stderr = "";
              child.stderr.on("data", (d) => {
                stderr += d;
              });
              child.on("exit", (code) =>
                code === 0 ? resolve() : reject(new Error(`${name} exited ${code}: ${stderr}`)),
              );
            }),
        );
        await Promise.all(runs);
        const entries = await readAll(db);
        expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 4 * perWorker }, (_, i) => i + 1));
        const actors = new Set(entries.map((e) => e.actor));
        expect(actors).toEqual(new Set(["p1", "p2", "p3", "p4"]));
        // interleaved, not one process after another
        const switches = entries.filter((e, i) => i > 0 && e.actor !== entries[i - 1]!.actor).length;
        expect(switches).toBeGreaterThan(3);
        expect(await verifyAuditLog(db)).toMatchObject({ ok: true, count: 4 * perWorker });
      } finally {
        await db.close();
      }
    },
  );
});
