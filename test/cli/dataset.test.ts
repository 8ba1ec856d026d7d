import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assertUsableForTraining } from "../../src/data/service/index.ts";
import { workspaceByName } from "../../src/identity/names.ts";
import { openStore } from "../../src/store/open.ts";
import { tempDir, writeFile } from "../data/helpers.ts";
import { handbookFile, PLANTED } from "../data/service/support.ts";
import { runCli, tempHome } from "../support/cli.ts";

/** One embedded installation for the DEMO's step 2, set up and driven through the CLI. */
let home: string;
const ids: Record<string, string> = {};
const as = (name: string, ...argv: string[]) => runCli([...argv, "--as", name], { CRUCIBLE_HOME: home });
const dir = tempDir();
const CANARY = "crucible-canary-7f3a9c21d4e0";
const canaries = writeFile(dir, "canaries.json", JSON.stringify([CANARY]));

/** Opens the embedded store the CLI wrote (between commands) and asks the run-start check per purpose. */
async function usable(version: number, purposes: readonly ("cpt" | "sft" | "rft")[]): Promise<string[]> {
  const db = await openStore({ kind: "pglite", home });
  try {
    const ws = await workspaceByName(db, "acme");
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
  } finally {
    await db.close();
  }
}

/** Lines (records) in a JSONL file. */
function recordLines(path: string): number {
  return readFileSync(path, "utf8").trim().split("\n").length;
}

beforeAll(async () => {
  home = tempHome();
  expect(
    (await runCli(["init", "--workspace", "acme", "--admin", "root"], { CRUCIBLE_HOME: home })).code,
  ).toBe(0);
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
  }
}, 120_000);

describe("crucible dataset: the DEMO's step 2 on the embedded store", () => {
  it("add, report, self-approval denied, redact, approve, usable for cpt only, revoke, audited", async () => {
    const { path, flagged } = handbookFile(dir, "acme-handbook.jsonl", CANARY);
    const added = await as(
      "eli",
      "dataset",
      "add",
      "acme-handbook",
      path,
      "--workspace",
      "acme",
      "--canaries",
      canaries,
      "--json",
    );
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

    const redacted = await as(
      "eli",
      "dataset",
      "redact",
      "acme-handbook@v1",
      "--canaries",
      canaries,
      "--json",
    );
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
    expect(revoked.json()).toMatchObject({ status: "revoked", reason: "consent withdrawn" });
    expect(await usable(2, ["cpt"])).toEqual(["dataset.revoked"]);

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
    const impact = await as("dana", "lineage", "impact", "dataset:acme-handbook@v2");
    expect(impact.code, impact.stderr).toBe(0);
    expect(impact.stdout).toContain("acme-handbook@v2 has influenced no run");
  });

  it("bad input exits 2 naming the field, denial exits 3, and nothing is left behind", async () => {
    const bad = writeFile(dir, "bad.jsonl", '{"text":"ok"}\n{"text":"no end}\n');
    const hostile = await as("eli", "dataset", "add", "broken", bad, "--json");
    expect(hostile.code).toBe(2);
    expect((hostile.json() as { error: { field: string } }).error.field).toContain("bad.jsonl:2");
    const blind = await as("eli", "dataset", "redact", "acme-handbook@v1");
    expect([blind.code, blind.stderr.includes("--canaries")]).toEqual([2, true]);
    const { path } = handbookFile(dir, "again.jsonl", CANARY);
    const again = await as("eli", "dataset", "add", "acme-handbook", path);
    expect([again.code, again.stderr.includes("acme-handbook@v1")]).toEqual([2, true]);
    expect((await as("eli", "dataset", "add", "x", path, "--format", "xml")).stderr).toContain("--format");
    const csv = writeFile(dir, "notes.csv", 'id,body\n1,"first, with a comma"\n2,second\n');
    const notes = await as("eli", "dataset", "add", "notes", csv, "--text-column", "body", "--json");
    expect(notes.code, notes.stderr).toBe(0);
    expect(notes.json()).toMatchObject({ ref: "notes@v1", format: "csv", records: 2 });
    expect((await as("eli", "dataset", "show", "acme-handbook@v9")).code).toBe(2);
    expect((await as("dana", "dataset", "approve", "acme-handbook@v2", "--purpose", "pretrain")).code).toBe(
      2,
    );
    expect((await as("root", "dataset", "list")).code).toBe(3);
    expect((await as("dana", "lineage", "impact", "run:abc")).code).toBe(2);
  });
});
