import { readFileSync } from "node:fs";
import { beforeEach, expect, it } from "vitest";
import { CrucibleError } from "../../../src/core/errors.ts";
import { canonicalRecordLine } from "../../../src/data/read/digest.ts";
import {
  addDataset,
  listDatasets,
  listVersions,
  showVersion,
  versionReport,
} from "../../../src/data/service/index.ts";
import type { Db } from "../../../src/store/db.ts";
import { rejection } from "../../identity/support.ts";
import { describeEachStore } from "../../support/stores.ts";
import { tempDir, writeFile } from "../helpers.ts";
import { acme, artifactFiles, artifactStore, auditOf, handbookFile, idOf, PLANTED } from "./support.ts";

describeEachStore("dataset intake", (open) => {
  let db: Db;
  let ctx: Awaited<ReturnType<typeof acme>>;
  const dir = tempDir();
  beforeEach(async () => {
    db = await open();
    ctx = await acme(db);
    return () => db.close();
  });

  it("add registers v1 with its report, and copies canonical records to the content address", async () => {
    const artifacts = artifactStore();
    const { path, flagged } = handbookFile(dir);
    const v1 = await addDataset(
      db,
      ctx.eli,
      { workspace: ctx.workspace, name: "acme-handbook", file: path },
      { artifacts },
    );
    expect([v1.version, v1.status, v1.uploaderName, v1.format, v1.records]).toEqual([
      1,
      "pending",
      "eli",
      "jsonl",
      19,
    ]);
    expect(artifactFiles(artifacts)).toEqual([`sha256-${v1.digest.slice(7)}.jsonl`]);
    const copy = readFileSync(artifacts.path(v1.artifactPath), "utf8");
    expect(copy.split("\n")[0]).toBe(
      canonicalRecordLine({ text: "Acme fact 0: the north office opens at 8am." }).trimEnd(),
    );
    const report = await versionReport(db, ctx.dana, ctx.workspace, { name: "acme-handbook", version: 1 });
    expect(report.totals.flaggedRecords).toBe(flagged.length);
    expect([...new Set(report.flagged.map((f) => f.record))]).toEqual(flagged);
    expect(new Set(report.flagged.map((f) => f.detector))).toEqual(new Set(PLANTED.map((p) => p.detector)));
    const stored = JSON.stringify(report);
    for (const p of PLANTED) expect(stored, `raw ${p.detector} in the stored report`).not.toContain(p.raw);
    expect(await auditOf(db, "dataset.add")).toEqual([[idOf(ctx.eli), "allow", "engineer.datasets"]]);
  });

  it("the same records again are refused naming the version that has them, in any format", async () => {
    const artifacts = artifactStore();
    const text = writeFile(dir, "same.txt", "first paragraph\n\nsecond paragraph\n");
    const jsonl = writeFile(
      dir,
      "same.jsonl",
      '{"text":"first paragraph"}\n{"text":"second paragraph","x":1}\n',
    );
    await addDataset(db, ctx.eli, { workspace: ctx.workspace, name: "notes", file: text }, { artifacts });
    const err = await rejection(
      addDataset(db, ctx.eli, { workspace: ctx.workspace, name: "notes", file: jsonl }, { artifacts }),
    );
    expect(err.code).toBe("already_exists");
    expect(err.message).toContain("notes@v1");
    expect((await listVersions(db, ctx.eli, ctx.workspace, "notes")).map((v) => v.version)).toEqual([1]);
    expect(artifactFiles(artifacts)).toHaveLength(1);
  });

  it.each([
    [
      "invalid UTF-8",
      "bad.jsonl",
      Buffer.concat([
        Buffer.from('{"text":"ok"}\n{"text":"a'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}\n'),
      ]),
    ],
    ["a malformed JSON line", "malformed.jsonl", Buffer.from('{"text":"ok"}\n{"text":"no end}\n')],
    ["an empty file", "empty.jsonl", Buffer.alloc(0)],
    ["a record that is not an object", "array.jsonl", Buffer.from('{"text":"ok"}\n["text"]\n')],
    ["UTF-16 without a byte-order mark", "utf16.txt", Buffer.from("first\n\nsecond\n", "utf16le")],
    ["a NUL deep in a text file", "nul.txt", Buffer.from(`${"fine paragraph\n\n".repeat(2000)}bad\u0000\n`)],
    [
      "a lone surrogate after good records",
      "lone.jsonl",
      Buffer.from(`${'{"text":"ok"}\n'.repeat(2000)}{"text":"\\udc00"}\n`),
    ],
    [
      "a Parquet file with a corrupt footer",
      "broken.parquet",
      Buffer.from("PAR1 some bytes \u00ff\u0000\u0000\u0000PAR1"),
    ],
  ])("bad input (%s) leaves no dataset row and no artifact", async (_, name, content) => {
    const artifacts = artifactStore();
    const path = writeFile(dir, name, content);
    const err = await rejection(
      addDataset(db, ctx.eli, { workspace: ctx.workspace, name: "bad", file: path }, { artifacts }),
    );
    expect(err.code).toBe("invalid_argument");
    expect(err).toBeInstanceOf(CrucibleError);
    expect((err as CrucibleError).details.field).toContain(path);
    expect((err as CrucibleError).details.fix).toBeTruthy();
    expect((await db.query("SELECT 1 FROM datasets")).rowCount).toBe(0);
    expect((await db.query("SELECT 1 FROM dataset_artifacts")).rowCount).toBe(0);
    expect(artifactFiles(artifacts)).toEqual([]);
  });

  it("a missing file and a bad dataset name are bad input too", async () => {
    const artifacts = artifactStore();
    const missing = await rejection(
      addDataset(
        db,
        ctx.eli,
        { workspace: ctx.workspace, name: "x", file: `${dir}/nope.jsonl` },
        { artifacts },
      ),
    );
    expect(missing.code).toBe("invalid_argument");
    const { path } = handbookFile(dir);
    const bad = await rejection(
      addDataset(db, ctx.eli, { workspace: ctx.workspace, name: "../etc", file: path }, { artifacts }),
    );
    expect(bad.code).toBe("invalid_argument");
    expect(artifactFiles(artifacts)).toEqual([]);
  });

  it("an auditor may not add: denied, audited, nothing stored", async () => {
    const artifacts = artifactStore();
    const { path } = handbookFile(dir);
    const err = await rejection(
      addDataset(db, ctx.audra, { workspace: ctx.workspace, name: "h", file: path }, { artifacts }),
    );
    expect(err.code).toBe("permission_denied");
    expect(await auditOf(db, "dataset.add")).toEqual([[idOf(ctx.audra), "deny", "default-deny"]]);
    expect((await db.query("SELECT 1 FROM dataset_versions")).rowCount).toBe(0);
    expect(artifactFiles(artifacts)).toEqual([]);
  });

  it("concurrent adds to one new dataset get versions 1 and 2, and progress is reported", async () => {
    const artifacts = artifactStore();
    const a = writeFile(dir, "c1.jsonl", '{"text":"one"}\n{"text":"two"}\n{"text":"three"}\n');
    const b = writeFile(dir, "c2.jsonl", '{"text":"four"}\n');
    const seen: number[] = [];
    const add = (file: string) =>
      addDataset(
        db,
        ctx.eli,
        { workspace: ctx.workspace, name: "race", file },
        { artifacts, onProgress: (n) => seen.push(n), progressEvery: 1 },
      );
    const versions = await Promise.all([add(a), add(b)]);
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2]);
    expect(seen.sort()).toEqual([1, 1, 2, 3]);
  });

  it("list, versions and show read what was stored; reads are authorised", async () => {
    const artifacts = artifactStore();
    const a = writeFile(dir, "a.jsonl", '{"text":"one"}\n');
    const b = writeFile(dir, "b.jsonl", '{"text":"one"}\n{"text":"two"}\n');
    await addDataset(db, ctx.eli, { workspace: ctx.workspace, name: "zeta", file: a }, { artifacts });
    await addDataset(db, ctx.dana, { workspace: ctx.workspace, name: "zeta", file: b }, { artifacts });
    await addDataset(db, ctx.eli, { workspace: ctx.workspace, name: "alpha", file: b }, { artifacts });
    const list = await listDatasets(db, ctx.audra, ctx.workspace);
    expect(list.map((v) => `${v.name}@v${v.version}:${v.records}`)).toEqual(["alpha@v1:2", "zeta@v2:2"]);
    const shown = await showVersion(db, ctx.eli, ctx.workspace, { name: "zeta" });
    expect([shown.version, shown.uploaderName, shown.findings, shown.approvals, shown.revocation]).toEqual([
      2,
      "dana",
      0,
      [],
      null,
    ]);
    const err = await rejection(listVersions(db, ctx.root, ctx.workspace, "zeta"));
    expect(err.code).toBe("permission_denied");
    const missing = await rejection(showVersion(db, ctx.eli, ctx.workspace, { name: "zeta", version: 9 }));
    expect([missing.code, missing.message]).toEqual(["not_found", expect.stringContaining("zeta@v9")]);
  });
});
