import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { newId } from "../../src/core/ids.ts";
import { assertUsableForTraining, findVersion, type VersionRef } from "../../src/data/service/index.ts";
import { principalByName, workspaceByName } from "../../src/identity/names.ts";
import { loadPrincipal } from "../../src/identity/principals.ts";
import { createToken } from "../../src/identity/tokens.ts";
import { recordEdge } from "../../src/lineage/edges.ts";
import { actorId } from "../../src/policy/entities.ts";
import type { Db } from "../../src/store/db.ts";
import { openStore, type StoreConfig } from "../../src/store/open.ts";
import { tempDir, writeFile } from "../data/helpers.ts";
import { handbookFile, PLANTED } from "../data/service/support.ts";
import { runCli, tempHome } from "../support/cli.ts";
import type { StoreKind } from "../support/stores.ts";

const CANARY = "crucible-canary-7f3a9c21d4e0";
const serverUrl = inject("postgresUrl");

/** Lines (records) in a JSONL file. */
function recordLines(path: string): number {
  return readFileSync(path, "utf8").trim().split("\n").length;
}

/**
 * The DEMO's step 2 driven through the CLI, once per store: the embedded store under a fresh
 * CRUCIBLE_HOME, and the PostgreSQL server in a schema of its own (DATABASE_URL and
 * CRUCIBLE_PG_SCHEMA, as a deployment would set them). Artifacts live under CRUCIBLE_HOME either way.
 */
function story(kind: StoreKind): void {
  let home: string;
  let env: NodeJS.ProcessEnv;
  const schema = newId("t").toLowerCase();
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  /** `--as NAME` on the embedded store; on the server (where --as is refused) NAME's bearer token. */
  const as = (name: string, ...argv: string[]) =>
    kind === "pglite"
      ? runCli([...argv, "--as", name], env)
      : runCli(argv, { ...env, CRUCIBLE_TOKEN: tokens[name] ?? "" });
  const dir = tempDir();
  const config = (): StoreConfig =>
    kind === "pglite" ? { kind: "pglite", home } : { kind: "postgres", url: serverUrl ?? "", schema };

  /** Opens the store the CLI wrote (between commands, as another process would). */
  async function withStore<T>(fn: (db: Db, workspace: string) => Promise<T>): Promise<T> {
    const db = await openStore(config());
    try {
      return await fn(db, await workspaceByName(db, "acme"));
    } finally {
      await db.close();
    }
  }

  /** The run-start check per purpose. */
  const usable = (version: number, purposes: readonly ("cpt" | "sft" | "rft")[]) =>
    withStore(async (db, ws) => {
      const out: string[] = [];
      for (const purpose of purposes) {
        const ref = { name: "acme-handbook", version };
        out.push(
          await assertUsableForTraining(db, ws, ref, purpose, new Date()).then(
            () => "ok",
            (err: { details?: { rule?: string } }) => err.details?.rule ?? String(err),
          ),
        );
      }
      return out;
    });

  /**
   * A CPT run on `versionId` (300,000 tokens) with two checkpoints, the second seeding an SFT run
   * with one: the rows and edges the run service will write, written here by hand.
   */
  const trainedOn = (ref: VersionRef) =>
    withStore(async (db, ws) => {
      const versionId = (await findVersion(db, ws, ref)).id;
      for (const run of ["run_cpt", "run_sft"])
        await db.query(
          `INSERT INTO runs (id, workspace_id, name, recipe, recipe_digest, target, started_by)
           VALUES ($1, $2, $1, '{}', 'sha256:0', 'local', $3)`,
          [run, ws, ids.eli],
        );
      for (const [id, run] of [
        ["ck_cpt_1", "run_cpt"],
        ["ck_cpt_2", "run_cpt"],
        ["ck_sft", "run_sft"],
      ] as const) {
        await db.query(
          `INSERT INTO checkpoints (id, workspace_id, kind, name, run_id, path, manifest_digest, manifest, registered_by)
           VALUES ($1, $2, 'run', $3, $4, '/nowhere', 'sha256:0', '{}', 'test')`,
          [id, ws, `${run}/${id}`, run],
        );
        await recordEdge(db, {
          workspace: ws,
          from: { kind: "run", id: run },
          to: { kind: "checkpoint", id },
        });
      }
      const edge = (from: ["dataset_version" | "checkpoint", string], to: string, tokens?: number) =>
        recordEdge(db, {
          workspace: ws,
          from: { kind: from[0], id: from[1] },
          to: { kind: "run", id: to },
          ...(tokens === undefined ? {} : { tokens }),
        });
      await edge(["dataset_version", versionId], "run_cpt", 300_000);
      await edge(["checkpoint", "ck_cpt_2"], "run_sft");
    });

  /**
   * A person's first bearer token, issued to itself (`credential.self`) through the service. On a
   * server people sign in through OIDC (src/identity/oidc.ts); `init` issues only the first admin's
   * token, and admins issue tokens only for service identities.
   */
  const firstToken = (name: string) =>
    withStore(async (db) => {
      const p = await loadPrincipal(db, await principalByName(db, name));
      if (!p) throw new Error(`no principal ${name}`);
      return (await createToken(db, { principal: p, subject: actorId(p), lifetimeS: 3600 })).secret;
    });

  beforeAll(async () => {
    home = tempHome();
    env = {
      CRUCIBLE_HOME: home,
      ...(kind === "postgres" ? { DATABASE_URL: serverUrl ?? "", CRUCIBLE_PG_SCHEMA: schema } : {}),
    };
    const init = await runCli(["init", "--workspace", "acme", "--admin", "root", "--json"], env);
    expect(init.code, init.stderr).toBe(0);
    // On the server `init` issues root's first token (nobody could act otherwise); not on PGlite.
    const issued = (init.json() as { token?: { secret: string } }).token;
    expect(issued === undefined).toBe(kind === "pglite");
    if (issued) tokens.root = issued.secret;
    for (const [name, role] of [
      ["eli", "ml-engineer"],
      ["dana", "data-steward"],
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
      if (kind === "postgres") tokens[name] = await firstToken(name);
    }
  }, 120_000);

  afterAll(async () => {
    if (kind !== "postgres" || !serverUrl) return;
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it("canaries registered by a steward, add, report, self-approval denied, redact, approve, usable for cpt only, revoke taints its checkpoints, audited", async () => {
    const planted = await as("dana", "canary", "add", CANARY, "--label", "handbook footer", "--json");
    expect(planted.code, planted.stderr).toBe(0);
    expect(planted.json()).toMatchObject({
      masked: "cru*** [28 chars]",
      label: "handbook footer",
      added_by: "dana",
    });
    expect(planted.stdout).not.toContain(CANARY);
    const byEngineer = await as("eli", "canary", "add", "crucible-canary-000000000001");
    expect([byEngineer.code, byEngineer.stderr.includes("canary.add")]).toEqual([3, true]);
    const listed = await as("root", "canary", "list");
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/cru\*\*\* \[28 chars\]\s+sha256:[0-9a-f]{64}\s+handbook footer\s+dana/);
    expect(listed.stdout).not.toContain(CANARY);

    const { path, flagged } = handbookFile(dir, "acme-handbook.jsonl", CANARY);
    const added = await as("eli", "dataset", "add", "acme-handbook", path, "--workspace", "acme", "--json");
    expect(added.code, added.stderr).toBe(0);
    expect(added.json()).toMatchObject({
      ref: "acme-handbook@v1",
      uploader: "eli",
      status: "pending",
      parent: null,
    });
    const digest = (added.json() as { digest: string }).digest;
    const artifact = join(home, "artifacts", "datasets", `sha256-${digest.slice("sha256:".length)}.jsonl`);
    expect(readFileSync(artifact, "utf8").split("\n")).toHaveLength(recordLines(path) + 1);

    const report = await as("dana", "dataset", "report", "acme-handbook@v1", "--examples", "100");
    expect(report.code, report.stderr).toBe(0);
    for (const p of [...PLANTED, { detector: "canary", raw: CANARY }]) {
      expect(report.stdout).toMatch(new RegExp(`\\b${p.detector}\\b`));
      expect(report.stdout, `raw ${p.detector} printed`).not.toContain(p.raw);
    }
    const whole = (await as("dana", "dataset", "report", "acme-handbook@v1", "--json")).json() as {
      totals: { findings: number };
      flagged: { record: number; preview: string }[];
    };
    expect(whole.flagged).toHaveLength(whole.totals.findings);
    expect([...new Set(whole.flagged.map((f) => f.record))]).toEqual(flagged);
    expect(report.stdout.split("\n").filter((l) => /^\d+\s+(text|messages)/.test(l))).toHaveLength(
      whole.totals.findings,
    );

    const self = await as(
      "eli",
      "dataset",
      "approve",
      "acme-handbook@v1",
      "--purpose",
      "cpt",
      "--workspace",
      "acme",
    );
    expect(self.code).toBe(3);
    expect(self.stderr).toContain("sod.dataset-uploader");

    const redacted = await as("eli", "dataset", "redact", "acme-handbook@v1", "--json");
    expect(redacted.code, redacted.stderr).toBe(0);
    expect(redacted.json()).toMatchObject({
      ref: "acme-handbook@v2",
      parent: "acme-handbook@v1",
      uploader: "eli",
    });
    const v2 = (await as("dana", "dataset", "report", "acme-handbook@v2", "--json")).json() as {
      byDetector: { detector: string; findings: number }[];
    };
    for (const d of [...PLANTED.map((p) => p.detector), "canary"])
      expect(v2.byDetector.find((b) => b.detector === d)?.findings).toBe(0);

    const approved = await as(
      "dana",
      "dataset",
      "approve",
      "acme-handbook@v2",
      "--purpose",
      "cpt,sft",
      "--expires",
      "90d",
    );
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain("approved acme-handbook@v2");
    expect(await usable(2, ["cpt", "sft", "rft"])).toEqual(["ok", "ok", "dataset.unapproved"]);

    await trainedOn({ name: "acme-handbook", version: 2 });
    const revoked = await as(
      "dana",
      "dataset",
      "revoke",
      "acme-handbook@v2",
      "--reason",
      "consent withdrawn",
      "--json",
    );
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.json()).toMatchObject({
      status: "revoked",
      reason: "consent withdrawn",
      tainted_checkpoints: ["ck_cpt_1", "ck_cpt_2", "ck_sft"],
    });
    expect(await usable(2, ["cpt"])).toEqual(["dataset.revoked"]);

    const impact = await as("dana", "lineage", "impact", "dataset:acme-handbook@v2");
    expect(impact.code, impact.stderr).toBe(0);
    const why = "yes (dataset acme-handbook@v2 revoked: consent withdrawn)";
    expect(impact.stdout).toContain("(sha256:");
    expect(impact.stdout).toMatch(/run\s+run_cpt\s+1\s+dataset_version:\S+\s+300000/);
    expect(impact.stdout).toMatch(
      new RegExp(
        `checkpoint\\s+ck_cpt_1\\s+run_cpt/ck_cpt_1\\s+2\\s+run:run_cpt\\s+300000\\s+${literal(why)}`,
      ),
    );
    expect(impact.stdout).toMatch(
      new RegExp(`checkpoint\\s+ck_sft\\s+run_sft/ck_sft\\s+4\\s+run:run_sft\\s+-\\s+${literal(why)}`),
    );
    expect(impact.stdout).toContain("3 of 3 checkpoints tainted");
    const impactJson = (
      await as("dana", "lineage", "impact", "dataset:acme-handbook@v2", "--json")
    ).json() as {
      status: string;
      checkpoints: { id: string; tokensSeen: number | null; taintedAt: string | null }[];
    };
    expect(impactJson.status).toBe("revoked");
    expect(impactJson.checkpoints.map((c) => [c.id, c.tokensSeen, c.taintedAt !== null])).toEqual([
      ["ck_cpt_1", 300_000, true],
      ["ck_cpt_2", 300_000, true],
      ["ck_sft", null, true],
    ]);

    const file = join(home, "audit.jsonl");
    expect((await as("audra", "audit", "export", "--workspace", "acme", "--out", file)).code).toBe(0);
    const entries = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { action?: string; actor?: string; decision?: string; rules?: string[] })
      .filter((e) => e.action?.startsWith("dataset.") && e.action !== "dataset.read");
    expect(
      entries.map((e) => [e.action, e.actor, e.decision, e.rules?.includes("sod.dataset-uploader") ?? false]),
    ).toEqual([
      ["dataset.add", ids.eli, "allow", false],
      ["dataset.approve", ids.eli, "deny", true],
      ["dataset.add", ids.eli, "allow", false],
      ["dataset.approve", ids.dana, "allow", false],
      ["dataset.revoke", ids.dana, "allow", false],
    ]);
  });

  it("list, versions, show, diff and lineage impact read the story back", async () => {
    const list = await as("audra", "dataset", "list", "--json");
    expect(list.code, list.stderr).toBe(0);
    expect(list.json()).toMatchObject({ datasets: [{ ref: "acme-handbook@v2", status: "revoked" }] });
    const versions = await as("audra", "dataset", "versions", "acme-handbook");
    expect(versions.stdout).toMatch(/acme-handbook@v1\s+pending/);
    expect(versions.stdout).toMatch(/acme-handbook@v2\s+revoked\s+\d+\s+eli\s+acme-handbook@v1/);
    const show = await as("eli", "dataset", "show", "acme-handbook@v2");
    expect(show.stdout).toContain("approved  cpt by dana");
    expect(show.stdout).toContain("revoked   by dana");
    const diff = (
      await as("dana", "dataset", "diff", "acme-handbook@v1", "acme-handbook@v2", "--json")
    ).json() as {
      records: { added: number; removed: number };
      findings: { to: number };
    };
    // every planted value and the canary sit in records of their own
    const changed = PLANTED.length + 1;
    expect([diff.records.added, diff.records.removed, diff.findings.to]).toEqual([changed, changed, 0]);
    const impact = await as("dana", "lineage", "impact", "acme-handbook@v1"); // the bare form, as lineage show takes
    expect(impact.code, impact.stderr).toBe(0);
    expect(impact.stdout).toContain("acme-handbook@v1 has influenced no run");
  });

  it("bad input exits 2 naming the field, denial exits 3, and nothing is left behind", async () => {
    const bad = writeFile(dir, "bad.jsonl", '{"text":"ok"}\n{"text":"no end}\n');
    const hostile = await as("eli", "dataset", "add", "broken", bad, "--json");
    expect(hostile.code).toBe(2);
    expect((hostile.json() as { error: { field: string } }).error.field).toContain("bad.jsonl:2");
    const short = await as("dana", "canary", "add", "short", "--json");
    expect([short.code, (short.json() as { error: { field: string } }).error.field]).toEqual([2, "canary"]);
    const repeat = await as("root", "canary", "add", CANARY);
    expect([repeat.code, repeat.stderr.includes(CANARY)]).toEqual([2, false]);
    const { path } = handbookFile(dir, "again.jsonl", CANARY);
    const again = await as("eli", "dataset", "add", "acme-handbook", path);
    expect([again.code, again.stderr.includes("acme-handbook@v1")]).toEqual([2, true]);
    expect((await as("eli", "dataset", "add", "x", path, "--format", "xml")).stderr).toContain("--format");
    const csv = writeFile(dir, "notes.csv", 'id,body\n1,"first, with a comma"\n2,second\n');
    const notes = await as("eli", "dataset", "add", "notes", csv, "--text-column", "body", "--json");
    expect(notes.code, notes.stderr).toBe(0);
    expect(notes.json()).toMatchObject({ ref: "notes@v1", format: "csv", records: 2 });
    const paged = writeFile(dir, "paged.txt", "page one\n\n\fpage two\n");
    const refused = await as("eli", "dataset", "add", "paged", paged, "--json");
    expect(refused.code).toBe(2);
    expect((refused.json() as { error: { field: string } }).error.field).toBe(`${paged}:3:1`);
    const allowed = await as("eli", "dataset", "add", "paged", paged, "--allow-control-chars", "--json");
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.json()).toMatchObject({ ref: "paged@v1", format: "text", records: 2 });
    expect((await as("eli", "dataset", "show", "acme-handbook@v9")).code).toBe(2);
    expect((await as("dana", "dataset", "approve", "acme-handbook@v2", "--purpose", "pretrain")).code).toBe(
      2,
    );
    expect((await as("root", "dataset", "list")).code).toBe(3);
    expect((await as("dana", "lineage", "impact", "run:abc")).code).toBe(2);
  });
}

/** RegExp-escapes text. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("crucible dataset: the DEMO's step 2 from the CLI [pglite]", () => story("pglite"));
describe.skipIf(serverUrl === null)("crucible dataset: the DEMO's step 2 from the CLI [postgres]", () =>
  story("postgres"),
);
