import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { verifyAuditLog } from "../../src/audit/export.ts";
import { type HeadSigning, signHeadIfDue, signHeadNow } from "../../src/audit/head-signer.ts";
import { readHeadFile } from "../../src/audit/signed-head.ts";
import { auditHead } from "../../src/audit/store.ts";
import { generateSigningKey, installSigningKey, loadVerificationKeys } from "../../src/provenance/keyring.ts";
import { appendMany, bypassing, chain } from "../security/support/audit-attacker.ts";
import { describeEachStore } from "../support/stores.ts";

const key = generateSigningKey();

function signing(overrides: Partial<HeadSigning> = {}): HeadSigning {
  const headsFile = join(mkdtempSync(join(tmpdir(), "heads-")), "audit", "heads.jsonl");
  return { key: () => key, headsFile, everyAppends: 3, everySeconds: 60, ...overrides };
}

describeEachStore("audit head signing", (open) => {
  it("signs every N appends, or after T seconds once the head moved, and appends to the heads file", async () => {
    const db = await open();
    try {
      const s = signing();
      const t0 = new Date("2026-01-01T00:00:00Z");
      expect(await signHeadIfDue(db, s, t0)).toBeNull(); // an empty chain has nothing to sign
      await appendMany(db, 0, 1);
      expect(await signHeadIfDue(db, s, t0)).toMatchObject({ seq: 1 }); // the first head is due at once
      await appendMany(db, 1, 2);
      expect(await signHeadIfDue(db, s, new Date(t0.getTime() + 1000))).toBeNull();
      await appendMany(db, 3, 1);
      expect(await signHeadIfDue(db, s, new Date(t0.getTime() + 2000))).toMatchObject({ seq: 4 });
      await appendMany(db, 4, 1);
      expect(await signHeadIfDue(db, s, new Date(t0.getTime() + 61_000))).toBeNull();
      expect(await signHeadIfDue(db, s, new Date(t0.getTime() + 62_000))).toMatchObject({ seq: 5 });
      expect(await signHeadIfDue(db, s, new Date(t0.getTime() + 999_000))).toBeNull(); // head did not move
      const heads = readHeadFile(s.headsFile, key.publicKey);
      expect(heads.map((h) => h.seq)).toEqual([1, 4, 5]);
      expect(heads.at(-1)).toMatchObject({ hash: (await auditHead(db)).hash, keyid: key.keyid });
    } finally {
      await db.close();
    }
  });

  it("verifies heads signed before a key rotation with the retired key, picked by keyid", async () => {
    const db = await open();
    try {
      const keysDir = mkdtempSync(join(tmpdir(), "keys-"));
      installSigningKey(keysDir, key);
      const s = signing({ everyAppends: 1 });
      await appendMany(db, 0, 2);
      await signHeadNow(db, s);
      const next = generateSigningKey();
      installSigningKey(keysDir, next);
      await appendMany(db, 2, 2);
      await signHeadNow(db, { ...s, key: () => next });
      const heads = readHeadFile(s.headsFile, loadVerificationKeys(keysDir));
      expect(heads.map((h) => [h.seq, h.keyid])).toEqual([
        [2, key.keyid],
        [4, next.keyid],
      ]);
      expect(await verifyAuditLog(db, { signedHeads: heads })).toMatchObject({ ok: true, signedHeads: 2 });
      // a head signed by a key the installation never had is refused, by file and line
      expect(() => readHeadFile(s.headsFile, generateSigningKey().publicKey)).toThrow(
        /heads\.jsonl:1: signature does not verify/,
      );
    } finally {
      await db.close();
    }
  });

  it("signs nothing where there is no installation key", async () => {
    const db = await open();
    try {
      await appendMany(db, 0, 5);
      expect(await signHeadIfDue(db, signing({ key: () => null }))).toBeNull();
      await expect(signHeadNow(db, signing({ key: () => null }))).rejects.toThrow(
        /no installation signing key here/,
      );
    } finally {
      await db.close();
    }
  });

  it("refuses to sign over a chain that no longer extends the last signed head", async () => {
    const db = await open();
    try {
      const s = signing({ everyAppends: 1 });
      await appendMany(db, 0, 4);
      await signHeadNow(db, s);
      const kept = (await chain(db))[1]!;
      await bypassing(db, async (tx) => {
        await tx.query("DELETE FROM audit_log WHERE seq > 2");
        await tx.query("UPDATE audit_head SET seq = 2, hash = $1", [kept.hash]);
      });
      await appendMany(db, 10, 3); // honest appends on the cut chain pass the old head's seq
      await expect(signHeadIfDue(db, s)).rejects.toThrow(/does not extend the last signed head seq 4/);
      await expect(signHeadNow(db, s)).rejects.toThrow(/not signing over a cut or rewritten chain/);
      expect(readHeadFile(s.headsFile, key.publicKey).map((h) => h.seq)).toEqual([4]);
    } finally {
      await db.close();
    }
  });
});
