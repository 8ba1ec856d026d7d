import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleFromJSON } from "@sigstore/bundle";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";
import { describe, expect, it } from "vitest";
import type { DsseEnvelope } from "../../src/provenance/dsse.ts";
import {
  loadOrCreateSigningKey,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
} from "../../src/provenance/signing-key.ts";
import { type ProvenanceInputs, signCheckpoint } from "../../src/provenance/statement.ts";
import { verifyCheckpoint } from "../../src/provenance/verify.ts";

const sha = (c: string) => `sha256:${c.repeat(64)}`;
const INPUTS: ProvenanceInputs = {
  checkpointId: "ckpt_1",
  workspace: "ws_acme",
  runId: "run_1",
  baseCheckpoint: { name: "nano@mid", digest: sha("a") },
  datasets: [{ name: "dsv_acme_2", digest: sha("b") }],
  recipe: { name: "cpt-30-70", digest: sha("c") },
  rewardFunctions: [{ name: "rwd_acme_answer_1", digest: sha("d") }],
  approvals: [
    {
      action: "checkpoint.approve",
      actor: "usr_mara",
      at: "2026-03-01T00:00:00.000Z",
      auditSeq: 42,
      auditHash: "e".repeat(64),
    },
  ],
  builderId: "https://crucible.example.test/installations/inst_1",
};

const EXPECTED = { builderId: INPUTS.builderId };

function checkpoint(): string {
  const dir = mkdtempSync(join(tmpdir(), "ckpt-"));
  mkdirSync(join(dir, "tokenizer"));
  writeFileSync(join(dir, "model.safetensors"), Buffer.alloc(4096, 7));
  writeFileSync(join(dir, "config.json"), '{"layers":2}');
  writeFileSync(join(dir, "tokenizer", "vocab.json"), '{"a":1}');
  return dir;
}

/** Verifies the envelope with sigstore-js, an implementation we did not write. */
function sigstoreVerify(envelope: DsseEnvelope, publicKeyPem: string, keyid: string): void {
  const bundle = bundleFromJSON({
    mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    verificationMaterial: {
      publicKey: { hint: keyid },
      tlogEntries: [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: envelope,
  });
  const trust = toTrustMaterial(
    {
      mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
      tlogs: [],
      certificateAuthorities: [],
      ctlogs: [],
      timestampAuthorities: [],
    },
    (hint: string) => {
      if (hint !== keyid) throw new Error(`unknown key ${hint}`);
      return { publicKey: createPublicKey(publicKeyPem), validFor: () => true };
    },
  );
  new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(
    toSignedEntity(bundle),
  );
}

describe("checkpoint provenance", () => {
  it("creates the installation key once, private file mode 0600, and reuses it", () => {
    const keys = join(mkdtempSync(join(tmpdir(), "keys-")), "keys");
    const first = loadOrCreateSigningKey(keys);
    expect(statSync(join(keys, PRIVATE_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSigningKey(keys).keyid).toBe(first.keyid);
    rmSync(join(keys, PRIVATE_KEY_FILE));
    writeFileSync(join(keys, PRIVATE_KEY_FILE), first.privateKey.export({ type: "pkcs8", format: "pem" }), {
      mode: 0o644,
    });
    expect(() => loadOrCreateSigningKey(keys)).toThrow(/readable by others/);
  });

  it("signs an in-toto SLSA v1 statement that verifies here and with sigstore-js", async () => {
    const dir = checkpoint();
    const keys = mkdtempSync(join(tmpdir(), "keys-"));
    const key = loadOrCreateSigningKey(keys);
    const envelope = await signCheckpoint(dir, INPUTS, key);
    const verdict = await verifyCheckpoint(dir, envelope, key.publicKey, EXPECTED);
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.statement.subject.map((s) => s.name)).toEqual([
      "config.json",
      "model.safetensors",
      "tokenizer/vocab.json",
    ]);
    const predicate = verdict.statement.predicate as {
      buildDefinition: { resolvedDependencies: { name: string }[] };
    };
    expect(predicate.buildDefinition.resolvedDependencies.map((d) => d.name)).toEqual([
      "base:nano@mid",
      "dataset:dsv_acme_2",
      "recipe:cpt-30-70",
      "reward:rwd_acme_answer_1",
    ]);
    const pem = readFileSync(join(keys, PUBLIC_KEY_FILE), "utf8");
    expect(() => sigstoreVerify(envelope, pem, key.keyid)).not.toThrow();
    const forged = {
      ...envelope,
      payload: Buffer.from(
        Buffer.from(envelope.payload, "base64").toString().replace("nano@mid", "nano@pre"),
      ).toString("base64"),
    };
    expect(() => sigstoreVerify(forged, pem, key.keyid)).toThrow();
    expect(await verifyCheckpoint(dir, forged, key.publicKey, EXPECTED)).toMatchObject({
      ok: false,
      problems: [{ kind: "signature" }],
    });
  });

  it("names the file and both digests for a flipped byte, an added file and a removed file", async () => {
    const dir = checkpoint();
    const key = loadOrCreateSigningKey(mkdtempSync(join(tmpdir(), "keys-")));
    const envelope = await signCheckpoint(dir, INPUTS, key);
    const weights = readFileSync(join(dir, "model.safetensors"));
    weights[100] = weights[100]! ^ 0x01;
    writeFileSync(join(dir, "model.safetensors"), weights);
    writeFileSync(join(dir, "extra.bin"), "x");
    rmSync(join(dir, "tokenizer", "vocab.json"));
    const verdict = await verifyCheckpoint(dir, envelope, key.publicKey, EXPECTED);
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    const original = Buffer.alloc(4096, 7);
    expect(verdict.problems).toEqual([
      { kind: "added", file: "extra.bin", actual: createHash("sha256").update("x").digest("hex") },
      {
        kind: "modified",
        file: "model.safetensors",
        expected: createHash("sha256").update(original).digest("hex"),
        actual: createHash("sha256").update(weights).digest("hex"),
      },
      {
        kind: "removed",
        file: "tokenizer/vocab.json",
        expected: createHash("sha256").update('{"a":1}').digest("hex"),
      },
    ]);
    expect(verdict.message).toMatch(
      /model\.safetensors was modified: signed sha256:[0-9a-f]{64}, found sha256:[0-9a-f]{64}/,
    );
  });

  it("refuses an envelope signed by another key", async () => {
    const dir = checkpoint();
    const key = loadOrCreateSigningKey(mkdtempSync(join(tmpdir(), "keys-")));
    const envelope = await signCheckpoint(dir, INPUTS, key);
    const other = generateKeyPairSync("ed25519").publicKey;
    expect(await verifyCheckpoint(dir, envelope, other, EXPECTED)).toMatchObject({
      ok: false,
      message: /no signature in the envelope verifies/,
    });
  });
});
