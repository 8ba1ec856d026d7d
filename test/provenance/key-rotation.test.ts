import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readAudit } from "../../src/audit/store.ts";
import { rotateProvenanceKey } from "../../src/governed/key-rotation.ts";
import { createUser } from "../../src/identity/principals.ts";
import { bootstrap, createWorkspace } from "../../src/identity/workspaces.ts";
import {
  generateSigningKey,
  installSigningKey,
  loadVerificationKeys,
  PUBLIC_KEYS_DIR,
} from "../../src/provenance/keyring.ts";
import { loadOrCreateSigningKey, PRIVATE_KEY_FILE } from "../../src/provenance/signing-key.ts";
import { type ProvenanceInputs, signCheckpoint } from "../../src/provenance/statement.ts";
import { verifyCheckpoint } from "../../src/provenance/verify.ts";
import { as, rejection } from "../identity/support.ts";
import { describeEachStore } from "../support/stores.ts";

const INPUTS: ProvenanceInputs = {
  checkpointId: "ckpt_1",
  workspace: "ws_acme",
  runId: "run_1",
  baseCheckpoint: { name: "nano@mid", digest: `sha256:${"a".repeat(64)}` },
  datasets: [{ name: "acme-handbook@v1", digest: `sha256:${"b".repeat(64)}` }],
  recipe: { name: "cpt", digest: `sha256:${"c".repeat(64)}` },
  rewardFunctions: [],
  approvals: [
    {
      action: "checkpoint.approve",
      actor: "usr_mara",
      at: "2026-03-01T00:00:00.000Z",
      auditSeq: 7,
      auditHash: "e".repeat(64),
    },
  ],
  builderId: "crucible-test",
};

const EXPECTED = { builderId: INPUTS.builderId };

function checkpoint(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), "ckpt-"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "model.safetensors"), content);
  return dir;
}

describe("signing-key rotation", () => {
  it("keeps statements signed with the retired key verifiable by keyid, and destroys the retired private key", async () => {
    const keys = mkdtempSync(join(tmpdir(), "keys-"));
    const old = loadOrCreateSigningKey(keys);
    const before = checkpoint("old weights");
    const oldEnvelope = await signCheckpoint(before, INPUTS, old);
    const oldPrivatePem = readFileSync(join(keys, PRIVATE_KEY_FILE), "utf8");

    const next = generateSigningKey();
    installSigningKey(keys, next);
    const current = loadOrCreateSigningKey(keys);
    expect(current.keyid).toBe(next.keyid);
    expect(statSync(join(keys, PRIVATE_KEY_FILE)).mode & 0o777).toBe(0o600);
    const onDisk = readdirSync(keys, { recursive: true }).map(String);
    for (const name of onDisk)
      if (statSync(join(keys, name)).isFile())
        expect(readFileSync(join(keys, name), "utf8")).not.toBe(oldPrivatePem);
    expect(readdirSync(join(keys, PUBLIC_KEYS_DIR)).sort()).toEqual(
      [`${old.keyid}.pub.pem`, `${next.keyid}.pub.pem`].sort(),
    );

    const after = checkpoint("new weights");
    const newEnvelope = await signCheckpoint(after, INPUTS, current);
    const ring = loadVerificationKeys(keys);
    expect([...ring.keys()].sort()).toEqual([old.keyid, next.keyid].sort());
    expect(await verifyCheckpoint(before, oldEnvelope, ring, EXPECTED)).toMatchObject({
      ok: true,
      keyid: old.keyid,
    });
    expect(await verifyCheckpoint(after, newEnvelope, ring, EXPECTED)).toMatchObject({
      ok: true,
      keyid: next.keyid,
    });
    // the current key alone no longer verifies the old statement
    expect((await verifyCheckpoint(before, oldEnvelope, current.publicKey, EXPECTED)).ok).toBe(false);
  });

  it("refuses a signature whose keyid names another key, and one by a key the installation never had", async () => {
    const keys = mkdtempSync(join(tmpdir(), "keys-"));
    const key = loadOrCreateSigningKey(keys);
    installSigningKey(keys, generateSigningKey());
    const ring = loadVerificationKeys(keys);
    const dir = checkpoint("weights");
    const envelope = await signCheckpoint(dir, INPUTS, key);
    const other = [...ring.keys()].find((id) => id !== key.keyid)!;
    const relabelled = { ...envelope, signatures: envelope.signatures.map((s) => ({ ...s, keyid: other })) };
    expect(await verifyCheckpoint(dir, relabelled, ring, EXPECTED)).toMatchObject({ ok: false });
    const stranger = generateSigningKey();
    const foreign = await signCheckpoint(dir, INPUTS, stranger);
    const verdict = await verifyCheckpoint(dir, foreign, ring, EXPECTED);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.message).toMatch(/does not know/);
  });
});

describeEachStore("signing-key rotation through policy", (open) => {
  it("rotates only for someone who administers every workspace, and audits each decision", async () => {
    const db = await open();
    try {
      const keys = mkdtempSync(join(tmpdir(), "keys-"));
      const { workspace: acme, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
      const research = await createWorkspace(db, { principal: await as(db, admin), name: "research" });
      const ada = await createUser(db, {
        principal: await as(db, admin),
        workspace: acme,
        name: "ada",
        roles: ["admin"],
      });
      const partial = await rejection(rotateProvenanceKey(db, await as(db, ada), keys));
      expect(partial).toMatchObject({ code: "permission_denied", details: { rule: "default-deny" } });
      const before = loadOrCreateSigningKey(keys).keyid;
      const rotated = await rotateProvenanceKey(db, await as(db, admin), keys);
      expect(rotated.previous).toBe(before);
      expect(loadOrCreateSigningKey(keys).keyid).toBe(rotated.current);
      const entries = [];
      for await (const e of readAudit(db)) if (e.action === "signing-key.rotate") entries.push(e);
      expect(entries.map((e) => e.decision).sort()).toEqual(["allow", "allow", "allow", "deny"]);
      expect(entries.filter((e) => e.decision === "deny").map((e) => e.workspace)).toEqual([research]);
      expect(entries.every((e) => e.payloadDigest !== null)).toBe(true);
    } finally {
      await db.close();
    }
  });
});
