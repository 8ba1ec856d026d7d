import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { approveCheckpoint, registerBases, registerRunCheckpoint } from "../../src/checkpoints/index.ts";
import { canonicalJson } from "../../src/core/digest.ts";
import { newId } from "../../src/core/ids.ts";
import { addDataset } from "../../src/data/service/add.ts";
import { revokeVersion } from "../../src/data/service/approve.ts";
import { createUser } from "../../src/identity/principals.ts";
import { bootstrap } from "../../src/identity/workspaces.ts";
import { recordEdge } from "../../src/lineage/edges.ts";
import { type DsseEnvelope, IN_TOTO_PAYLOAD_TYPE, signEnvelope } from "../../src/provenance/dsse.ts";
import { loadOrCreateSigningKey, type SigningKey } from "../../src/provenance/signing-key.ts";
import type { Db } from "../../src/store/db.ts";
import { openStore, type StoreConfig } from "../../src/store/open.ts";
import { openPostgres } from "../../src/store/postgres.ts";
import { copyCheckpoint, insertRun, type TrainedFixture, trainTinyRun } from "../checkpoints/fixture.ts";
import { tempDir, writeFile } from "../data/helpers.ts";
import { artifactStore, idOf } from "../data/service/support.ts";
import { as } from "../identity/support.ts";
import { type CliResult, runCli, tempHome } from "../support/cli.ts";
import { describeEachStore, type StoreKind } from "../support/stores.ts";

// Attack family: provenance without a policy. The attacker holds the installation's signing key
// (or a path to it) and signs statements that say something Crucible never would; verify must
// refuse each by the field it broke, and a checkpoint a revoked dataset shaped must not pass.

let fx: TrainedFixture;
beforeAll(async () => {
  fx = await trainTinyRun("forgery-fixture");
}, 180_000);
const schemas: string[] = [];
afterAll(async () => {
  if (schemas.length === 0) return;
  const db = await openPostgres({ connectionString: inject("postgresUrl")! });
  try {
    for (const schema of schemas) await db.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await db.close();
  }
});

/** An installation the CLI can open too: an embedded home, or a schema on the server. */
function installation(kind: StoreKind): { config: StoreConfig; env: NodeJS.ProcessEnv; home: string } {
  const home = tempHome();
  if (kind === "pglite") return { config: { kind: "pglite", home }, env: { CRUCIBLE_HOME: home }, home };
  const url = inject("postgresUrl")!;
  const schema = newId("t").toLowerCase();
  schemas.push(schema);
  return {
    config: { kind: "postgres", url, schema },
    env: { CRUCIBLE_HOME: home, DATABASE_URL: url, CRUCIBLE_PG_SCHEMA: schema },
    home,
  };
}

async function withStore<T>(config: StoreConfig, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openStore(config);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * acme: eli trains `acme-cpt` from tiny@mid on acme-handbook@v1, mona approves its checkpoint,
 * which signs its provenance with the installation key under the home's keys/.
 */
async function approvedCheckpoint(db: Db, key: SigningKey) {
  const { workspace, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
  const root = await as(db, admin);
  const user = async (name: string, roles: ("ml-engineer" | "model-approver" | "data-steward")[]) =>
    as(db, await createUser(db, { principal: root, workspace, name, roles }));
  const eli = await user("eli", ["ml-engineer"]);
  const mona = await user("mona", ["model-approver"]);
  const dana = await user("dana", ["data-steward"]);
  const [base] = await registerBases(db, eli, {
    workspace,
    bases: [{ name: { family: "tiny", stage: "mid" }, path: copyCheckpoint(fx.checkpoints[0]!.path) }],
  });
  const runId = await insertRun(db, { workspace, name: "acme-cpt", starter: idOf(eli) });
  const dsv = await addDataset(
    db,
    eli,
    {
      workspace,
      name: "acme-handbook",
      file: writeFile(tempDir(), "h.jsonl", '{"text":"Acme sells lamps."}\n'),
    },
    { artifacts: artifactStore() },
  );
  await recordEdge(db, {
    workspace,
    from: { kind: "checkpoint", id: base!.id },
    to: { kind: "run", id: runId },
  });
  await recordEdge(db, {
    workspace,
    from: { kind: "dataset_version", id: dsv.id },
    to: { kind: "run", id: runId },
    tokens: 30_000,
  });
  const c = fx.checkpoints.at(-1)!;
  const ckpt = await db.transaction((tx) =>
    registerRunCheckpoint(tx, {
      workspace,
      runId,
      runName: "acme-cpt",
      stage: "cpt",
      stageIdx: 0,
      step: c.step,
      final: true,
      path: copyCheckpoint(c.path),
      manifestDigest: c.manifestDigest,
      parentId: base!.id,
      registeredBy: `workload:${runId}`,
    }),
  );
  const approval = await approveCheckpoint(db, mona, { workspace, ref: ckpt.name, key });
  const installationId = (await db.query<{ id: string }>("SELECT id FROM installation")).rows[0]?.id;
  return { workspace, dana, ckpt, envelopePath: approval.provenance!, installationId };
}

type Statement = {
  predicate: {
    buildDefinition: {
      buildType: string;
      externalParameters: Record<string, unknown>;
      resolvedDependencies: unknown[];
    };
    runDetails: {
      builder: { id: string };
      byproducts: { digest: { sha256: string }; annotations: Record<string, unknown> }[];
    };
  };
};

/** The real statement, changed by `edit`, signed again with the real installation key. */
function forge(envelopePath: string, key: SigningKey, edit: (s: Statement) => void): string {
  const envelope = JSON.parse(readFileSync(envelopePath, "utf8")) as DsseEnvelope;
  const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as Statement;
  edit(statement);
  const forged = signEnvelope(
    IN_TOTO_PAYLOAD_TYPE,
    Buffer.from(canonicalJson(statement), "utf8"),
    key.privateKey,
    key.keyid,
  );
  const path = join(tempDir(), "forged.provenance.json");
  writeFileSync(path, JSON.stringify(forged));
  return path;
}

/** The field an error names: the CLI prints `error: FIELD: problem`. */
function errorField(result: CliResult): string {
  return /^error: (\S+): /m.exec(result.stderr)?.[1] ?? result.stderr;
}

describeEachStore("security: provenance without a policy", (_open, kind) => {
  it("verify NAME resolves the checkpoint, and the statement names this installation as builder", async () => {
    const inst = installation(kind);
    const key = loadOrCreateSigningKey(join(inst.home, "keys"));
    const w = await withStore(inst.config, (db) => approvedCheckpoint(db, key));
    expect(w.installationId).toMatch(/^inst_[0-9a-f]{32}$/);
    const verified = await runCli(["verify", w.ckpt.name, "--json"], inst.env);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.json()).toMatchObject({
      verified: true,
      name: w.ckpt.name,
      checkpoint: w.ckpt.path,
      builder_id: `urn:crucible:installation:${w.installationId}`,
      taint: { checked: true, taintedAt: null },
      statement: {
        predicate: { runDetails: { builder: { id: `urn:crucible:installation:${w.installationId}` } } },
      },
    });
    // the id is written once: reopening the store keeps it
    const again = await withStore(
      inst.config,
      async (db) => (await db.query<{ id: string }>("SELECT id FROM installation")).rows,
    );
    expect(again).toEqual([{ id: w.installationId }]);
  }, 120_000);

  it("refuses each statement re-signed with the installation key, naming the field it broke", async () => {
    const inst = installation(kind);
    const key = loadOrCreateSigningKey(join(inst.home, "keys"));
    const w = await withStore(inst.config, (db) => approvedCheckpoint(db, key));
    const bootstrapEntry = await withStore(
      inst.config,
      async (db) =>
        (await db.query<{ hash: string }>("SELECT hash FROM audit_log WHERE seq = 1")).rows[0]!.hash,
    );
    const forgeries: [string, (s: Statement) => void, string][] = [
      [
        "an unknown external parameter",
        (s) => {
          s.predicate.buildDefinition.externalParameters.trainer_image = "evil:latest";
        },
        "predicate.buildDefinition.externalParameters.trainer_image",
      ],
      [
        "another builder",
        (s) => {
          s.predicate.runDetails.builder.id = "urn:crucible:installation:elsewhere";
        },
        "predicate.runDetails.builder.id",
      ],
      [
        "another buildType",
        (s) => {
          s.predicate.buildDefinition.buildType = "https://example.test/any-build/v1";
        },
        "predicate.buildDefinition.buildType",
      ],
      [
        "no dependencies",
        (s) => {
          s.predicate.buildDefinition.resolvedDependencies = [];
        },
        "predicate.buildDefinition.resolvedDependencies",
      ],
      [
        "no approval",
        (s) => {
          s.predicate.runDetails.byproducts = [];
        },
        "predicate.runDetails.byproducts",
      ],
      [
        "an approval that is another audit entry",
        (s) => {
          const approval = s.predicate.runDetails.byproducts[0]!;
          approval.digest.sha256 = bootstrapEntry;
          approval.annotations.auditHash = bootstrapEntry;
          approval.annotations.auditSeq = 1;
        },
        "predicate.runDetails.byproducts[0].annotations.auditSeq",
      ],
    ];
    for (const [what, edit, field] of forgeries) {
      const envelope = forge(w.envelopePath, key, edit);
      const refused = await runCli(["verify", w.ckpt.path, "--envelope", envelope, "--json"], inst.env);
      expect(refused.code, `${what}: ${refused.stdout}`).toBe(1);
      expect(errorField(refused), what).toBe(field);
      expect(refused.json(), what).toMatchObject({ verified: false, problems: [{ kind: "policy", field }] });
    }
  }, 120_000);

  it("offline, checks everything from the files but taint, and says taint was not checked", async () => {
    const inst = installation(kind);
    const key = loadOrCreateSigningKey(join(inst.home, "keys"));
    const w = await withStore(inst.config, (db) => approvedCheckpoint(db, key));
    const builder = `urn:crucible:installation:${w.installationId}`;
    const pub = join(inst.home, "keys", "provenance-ed25519.pub.pem");
    const offline = (...argv: string[]) =>
      runCli(["verify", w.ckpt.path, "--offline", "--public-key", pub, ...argv], {
        CRUCIBLE_HOME: tempHome(),
      });
    const ok = await offline("--builder-id", builder);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/taint NOT checked/);
    expect((await offline("--builder-id", builder, "--json")).json()).toMatchObject({
      taint: { checked: false },
    });
    const elsewhere = await offline("--builder-id", "urn:crucible:installation:elsewhere");
    expect(elsewhere.code).toBe(1);
    expect(errorField(elsewhere)).toBe("predicate.runDetails.builder.id");
    const unpinned = await offline();
    expect(unpinned.code).toBe(2);
    expect(errorField(unpinned)).toBe("--builder-id");
    const forged = forge(w.envelopePath, key, (s) => {
      s.predicate.buildDefinition.externalParameters.extra = 1;
    });
    const refused = await offline("--builder-id", builder, "--envelope", forged);
    expect(errorField(refused)).toBe("predicate.buildDefinition.externalParameters.extra");
  }, 120_000);

  it("fails a checkpoint a since-revoked dataset shaped; --allow-tainted reports it without failing", async () => {
    const inst = installation(kind);
    const key = loadOrCreateSigningKey(join(inst.home, "keys"));
    const w = await withStore(inst.config, (db) => approvedCheckpoint(db, key));
    await withStore(inst.config, (db) =>
      revokeVersion(db, w.dana, {
        workspace: w.workspace,
        ref: { name: "acme-handbook", version: 1 },
        reason: "consent withdrawn",
      }),
    );
    const tainted = await runCli(["verify", w.ckpt.path], inst.env);
    expect(tainted.code).toBe(1);
    expect(tainted.stdout).toMatch(/TAINTED since .*consent withdrawn/);
    expect(tainted.stderr).toMatch(/is tainted: .*consent withdrawn/);
    const inspected = await runCli(["verify", w.ckpt.name, "--allow-tainted", "--json"], inst.env);
    expect(inspected.code, inspected.stderr).toBe(0);
    expect(inspected.json()).toMatchObject({
      verified: false,
      taint: { checked: true, reason: expect.stringMatching(/consent withdrawn/) },
    });
  }, 120_000);
});
