import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { registerRunCheckpoint, resolveCheckpoint } from "../../src/checkpoints/index.ts";
import { workspaceByName } from "../../src/identity/names.ts";
import { recordEdge } from "../../src/lineage/edges.ts";
import type { JobSpec } from "../../src/protocol/types/job-spec.gen.ts";
import { runLocal } from "../../src/runners/local-runner.ts";
import { trainerPython } from "../../src/runners/trainer-python.ts";
import { openStore } from "../../src/store/open.ts";
import { copyCheckpoint, insertRun } from "../checkpoints/fixture.ts";
import { tempDir, writeFile } from "../data/helpers.ts";
import { runCli, tempHome } from "../support/cli.ts";

/** One embedded installation: nano tiny built and registered, a CPT run from nano@mid, all through the CLI. */
let home: string;
const ids: Record<string, string> = {};
const as = (name: string, ...argv: string[]) => runCli([...argv, "--as", name], { CRUCIBLE_HOME: home });
type Json = Record<string, unknown>;
const python = trainerPython(process.env);

beforeAll(async () => {
  home = tempHome();
  expect(
    (await runCli(["init", "--workspace", "acme", "--admin", "root"], { CRUCIBLE_HOME: home })).code,
  ).toBe(0);
  for (const [name, role] of [
    ["eli", "ml-engineer"],
    ["mona", "model-approver"],
    ["audra", "auditor"],
  ] as const) {
    const created = await as(
      "root",
      "principal",
      "create",
      name,
      "--workspace",
      "acme",
      "--role",
      role,
      "--json",
    );
    expect(created.code, created.stderr).toBe(0);
    ids[name] = (created.json() as { id: string }).id;
  }
}, 120_000);

/**
 * What the run service does for a run, done here by hand on our own tables: the runs row, the
 * lineage edges base -> run and dataset version -> run (with the tokens the trainer reports), the
 * real trainer's CPT from nano@mid, and registerRunCheckpoint for each checkpoint event.
 */
async function cptRunFromNanoMid(datasetId: string, acmeFile: string): Promise<string[]> {
  const db = await openStore({ kind: "pglite", home });
  try {
    const workspace = await workspaceByName(db, "acme");
    const base = await resolveCheckpoint(db, workspace, "nano@mid");
    const runId = await insertRun(db, { workspace, name: "acme-cpt", starter: ids.eli! });
    const digest = (path: string) =>
      execFileSync(
        python,
        [
          "-c",
          "import sys, pathlib; from crucible_trainer.data.jsonl_source import index_jsonl; print(index_jsonl(pathlib.Path(sys.argv[1]))[1])",
          path,
        ],
        { encoding: "utf8" },
      ).trim();
    const replay = join(home, "bases", "nano-tiny", "corpora", "mid.jsonl");
    const spec = {
      protocol_version: 1,
      run_id: runId,
      stage: "cpt",
      base: { path: base.path, digest: base.manifestDigest },
      data: {
        sources: [
          { name: "acme", path: acmeFile, digest: digest(acmeFile), share: 0.3, format: "text" },
          { name: "replay", path: replay, digest: digest(replay), share: 0.7, format: "text" },
        ],
      },
      hyperparameters: {
        lr: 1e-3,
        warmup_steps: 1,
        budget: { steps: 4 },
        batch_size: 2,
        seq_len: 32,
        weight_decay: 0.01,
        adapter: { kind: "full" },
      },
      seed: 5,
      checkpoint: { every_steps: 2 },
      output_dir: join(home, "runs", runId),
      runtime: { device: "cpu", threads: 1 },
    } as JobSpec;
    const outcome = await runLocal(spec, { python });
    if (outcome.status !== "succeeded") throw new Error(JSON.stringify(outcome));
    const tokens = (outcome.finished.tokens_by_source as Record<string, number>).acme!;
    await recordEdge(db, {
      workspace,
      from: { kind: "checkpoint", id: base.id },
      to: { kind: "run", id: runId },
    });
    await recordEdge(db, {
      workspace,
      from: { kind: "dataset_version", id: datasetId },
      to: { kind: "run", id: runId },
      tokens,
    });
    const names: string[] = [];
    for (const c of outcome.checkpoints) {
      const row = await db.transaction((tx) =>
        registerRunCheckpoint(tx, {
          workspace,
          runId,
          runName: "acme-cpt",
          stage: "cpt",
          stageIdx: 0,
          step: c.step,
          final: c.final ?? false,
          path: c.path,
          manifestDigest: c.manifest_digest,
          parentId: base.id,
          registeredBy: `workload:${runId}`,
        }),
      );
      names.push(row.name);
    }
    return [...names, String(tokens)];
  } finally {
    await db.close();
  }
}

describe("crucible base, checkpoint and lineage show on the embedded store", () => {
  it("builds and registers nano, lists, shows, denies the run starter, approves, signs and shows lineage", async () => {
    const denied = await as("audra", "base", "build", "nano", "--preset", "tiny", "--json");
    expect(denied.code).toBe(3);
    expect((denied.json() as { error: { rule: string } }).error.rule).toBe("default-deny");

    const built = await as("eli", "base", "build", "nano", "--preset", "tiny", "--json");
    expect(built.code, built.stderr).toBe(0);
    const bases = (built.json() as { bases: Json[] }).bases;
    expect(bases.map((b) => [b.name, b.kind, b.stage])).toEqual([
      ["nano@pre", "base", "pre"],
      ["nano@mid", "base", "mid"],
      ["nano@post", "base", "post"],
    ]);
    expect(bases[1]!.parent_id).toBe(bases[0]!.id);
    expect(bases[2]!.parent_id).toBe(bases[1]!.id);
    expect(built.stderr).toMatch(/step \d+\/\d+ {2}loss/);
    // a second build reuses the trainer's cache and registers nothing new
    const again = await as("eli", "base", "build", "nano", "--preset", "tiny", "--json");
    expect((again.json() as { bases: Json[] }).bases.map((b) => b.id)).toEqual(bases.map((b) => b.id));

    const post = join(home, "bases", "nano-tiny", "post");
    const added = await as("eli", "base", "add", "acme-chat@post", post, "--json");
    expect(added.code, added.stderr).toBe(0);
    expect(added.json()).toMatchObject({
      name: "acme-chat@post",
      manifest_digest: bases[2]!.manifest_digest,
    });
    const tampered = copyCheckpoint(post);
    writeFileSync(join(tampered, "tokenizer.json"), "{}");
    const refused = await as("eli", "base", "add", "bad@mid", tampered, "--json");
    expect(refused.code).toBe(1);
    expect((refused.json() as { error: { message: string } }).error.message).toMatch(
      /tokenizer\.json was modified: manifest sha256:[0-9a-f]{64}, found sha256:[0-9a-f]{64}/,
    );
    const badName = await as("eli", "base", "add", "Nano", post);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/name: a base is named FAMILY@STAGE/);

    const listed = await as("audra", "base", "list");
    expect(listed.code, listed.stderr).toBe(0);
    for (const name of ["acme-chat@post", "nano@pre", "nano@mid", "nano@post"])
      expect(listed.stdout).toContain(name);
    expect(listed.stdout).not.toContain("bad@mid");

    const dir = tempDir();
    const acme = writeFile(
      dir,
      "acme.jsonl",
      `${Array.from({ length: 40 }, (_, i) =>
        JSON.stringify({ text: `Acme ships lamp model ${i} from Springfield.` }),
      ).join("\n")}\n`,
    );
    const dataset = await as("eli", "dataset", "add", "acme-handbook", acme, "--json");
    expect(dataset.code, dataset.stderr).toBe(0);
    const dsv = await (async () => {
      const db = await openStore({ kind: "pglite", home });
      try {
        return (await db.query<{ id: string }>("SELECT id FROM dataset_versions")).rows[0]!.id;
      } finally {
        await db.close();
      }
    })();
    const [first, last, tokens] = await cptRunFromNanoMid(dsv, acme);
    expect([first, last]).toEqual(["acme-cpt/cpt/step-2", "acme-cpt/cpt/step-4"]);

    const list = await as("audra", "checkpoint", "list", "--kind", "run", "--json");
    expect(list.code, list.stderr).toBe(0);
    expect(
      (list.json() as { checkpoints: Json[] }).checkpoints.map((c) => [c.name, c.status, c.final]),
    ).toEqual([
      ["acme-cpt/cpt/step-2", "candidate", false],
      ["acme-cpt/cpt/step-4", "candidate", true],
    ]);
    const show = await as("audra", "checkpoint", "show", last!);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/acme-cpt\/cpt\/step-4 {2}run checkpoint {2}candidate/);
    expect(show.stdout).toMatch(new RegExp(`data +acme {2}${tokens} tokens seen`));

    const sod = await as("eli", "checkpoint", "approve", last!);
    expect(sod.code).toBe(3);
    expect(sod.stderr).toContain("[rule: sod.checkpoint-run-starter]");
    const approved = await as("mona", "checkpoint", "approve", last!, "--json");
    expect(approved.code, approved.stderr).toBe(0);
    const body = approved.json() as { status: string; approved_by: string; provenance: string; path: string };
    expect([body.status, body.approved_by]).toEqual(["approved", ids.mona]);
    const verified = await runCli(["verify", body.path, "--json"], { CRUCIBLE_HOME: home });
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.json()).toMatchObject({ verified: true });

    const tree = await as("audra", "lineage", "show", last!);
    expect(tree.code, tree.stderr).toBe(0);
    const lines = tree.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^checkpoint acme-cpt\/cpt\/step-4 {2}approved {2}sha256:/);
    expect(lines[1]).toMatch(/^├─ run acme-cpt {2}queued {2}recipe sha256:[0-9a-f]{12}… {2}started by eli$/);
    expect(lines[2]).toMatch(/^│ {2}├─ base nano@mid {2}candidate/);
    expect(lines[3]).toMatch(/^│ {2}│ {2}└─ base nano@pre/);
    expect(lines[4]).toMatch(new RegExp(`^│  └─ dataset acme-handbook@v1  ${tokens} tokens  pending`));
    expect(lines[5]).toMatch(/^└─ base nano@mid .*\(shown above\)$/);
    const json = await as("audra", "lineage", "show", last!, "--json");
    const root = json.json() as {
      kind: string;
      name: string;
      parents: { kind: string; recipeDigest?: string }[];
    };
    expect([root.kind, root.name, root.parents.map((p) => p.kind)]).toEqual([
      "checkpoint",
      last,
      ["run", "checkpoint"],
    ]);
    expect(root.parents[0]!.recipeDigest).toMatch(/^sha256:/);
  }, 600_000);
});

it("`crucible checkpoint approve` against a PostgreSQL server makes no signing key of its own: without the installation key here it refuses before approving", async () => {
  const home = tempHome();
  const result = await runCli(["checkpoint", "approve", "acme-cpt/cpt/step-4", "--json"], {
    CRUCIBLE_HOME: home,
    // never reached: the key is looked for before the store is opened
    DATABASE_URL: "postgres://crucible@127.0.0.1:1/crucible",
    CRUCIBLE_TOKEN: "crucible_unused",
  });
  expect(result.code).toBe(1);
  expect(result.json()).toMatchObject({
    error: { code: "failed_precondition", field: "signing key", value: join(home, "keys") },
  });
  expect((result.json() as { error: { fix: string } }).error.fix).toMatch(/crucible serve/);
  expect(existsSync(join(home, "keys"))).toBe(false);
});

it("`crucible verify` on a checkpoint never approved says so and how to approve it, not that a flag nobody passed is unreadable", async () => {
  const dir = tempDir();
  const key = join(tempDir(), "key.pub.pem");
  writeFileSync(key, generateKeyPairSync("ed25519").publicKey.export({ type: "spki", format: "pem" }));
  const result = await runCli(
    [
      "verify",
      dir,
      "--offline",
      "--builder-id",
      "urn:crucible:installation:x",
      "--public-key",
      key,
      "--json",
    ],
    { CRUCIBLE_HOME: tempHome() },
  );
  expect(result.code).toBe(1);
  expect(result.json()).toMatchObject({
    error: { code: "failed_precondition", field: "checkpoint", value: dir },
  });
  expect(result.stderr).toContain("never approved");
  expect(result.stderr).not.toContain("--envelope cannot");
});
