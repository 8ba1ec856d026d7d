import { beforeEach, expect, it } from "vitest";
import {
  addDataset,
  approveVersion,
  assertUsableForTraining,
  diffVersions,
  parseExpiry,
  redactVersion,
  revokeVersion,
  showVersion,
  versionReport,
} from "../../../src/data/service/index.ts";
import type { Db } from "../../../src/store/db.ts";
import { rejection } from "../../identity/support.ts";
import { describeEachStore } from "../../support/stores.ts";
import { tempDir } from "../helpers.ts";
import { acme, artifactStore, auditOf, handbookFile, idOf, PLANTED } from "./support.ts";

const NOW = new Date("2026-11-26T12:00:00Z");
const HOUR = 3_600_000;

describeEachStore("dataset approval", (open) => {
  let db: Db;
  let ctx: Awaited<ReturnType<typeof acme>>;
  const dir = tempDir();
  const artifacts = artifactStore();
  const h = (version: number) => ({ name: "acme-handbook", version });
  beforeEach(async () => {
    db = await open();
    ctx = await acme(db);
    return () => db.close();
  });

  /** v1 by eli (with findings), v2 = its redaction by eli. */
  async function twoVersions() {
    const { path } = handbookFile(dir);
    const w = ctx.workspace;
    const v1 = await addDataset(
      db,
      ctx.eli,
      { workspace: w, name: "acme-handbook", file: path },
      { artifacts },
    );
    const v2 = await redactVersion(db, ctx.eli, { workspace: w, ref: h(1) }, { artifacts });
    return { v1, v2 };
  }

  it("the DEMO story: self-approval denied, redacted v2 approved by dana for cpt,sft, then revoked", async () => {
    const w = ctx.workspace;
    const { v1, v2 } = await twoVersions();
    const self = await rejection(approveVersion(db, ctx.eli, { workspace: w, ref: h(1), purposes: ["cpt"] }));
    expect(self.code).toBe("permission_denied");
    expect(self.details?.rule).toContain("sod.dataset-uploader");
    expect([v2.version, v2.parentVersion, v2.parentId, v2.records]).toEqual([2, 1, v1.id, v1.records]);
    const report = await versionReport(db, ctx.dana, w, h(2));
    expect(report.totals.findings).toBe(0);
    for (const p of PLANTED)
      expect(report.byDetector.find((d) => d.detector === p.detector)?.findings).toBe(0);
    const unapproved = await rejection(assertUsableForTraining(db, w, h(2), "cpt", NOW));
    expect(unapproved.details?.rule).toBe("dataset.unapproved");
    await approveVersion(db, ctx.dana, { workspace: w, ref: h(2), purposes: ["cpt", "sft"], now: NOW });
    expect((await assertUsableForTraining(db, w, h(2), "cpt", NOW)).digest).toBe(v2.digest);
    await assertUsableForTraining(db, w, h(2), "sft", NOW);
    const rft = await rejection(assertUsableForTraining(db, w, h(2), "rft", NOW));
    expect([rft.code, rft.details?.rule]).toEqual(["permission_denied", "dataset.unapproved"]);
    await revokeVersion(db, ctx.dana, { workspace: w, ref: h(2), reason: "consent withdrawn" });
    const revoked = await rejection(assertUsableForTraining(db, w, h(2), "cpt", NOW));
    expect(revoked.details?.rule).toBe("dataset.revoked");
    const shown = await showVersion(db, ctx.audra, w, h(2));
    expect([shown.status, shown.revocation?.reason, shown.revocation?.revokedBy]).toEqual([
      "revoked",
      "consent withdrawn",
      "dana",
    ]);
    expect(shown.approvals.map((a) => `${a.purpose}:${a.approver}:${a.digest === v2.digest}`)).toEqual([
      "cpt:dana:true",
      "sft:dana:true",
    ]);
    expect(await auditOf(db, "dataset.approve")).toEqual([
      [idOf(ctx.eli), "deny", expect.stringContaining("sod.dataset-uploader")],
      [idOf(ctx.dana), "allow", "steward.datasets"],
    ]);
    expect(await auditOf(db, "dataset.revoke")).toEqual([[idOf(ctx.dana), "allow", "steward.datasets"]]);
  });

  it("a version with findings is not approved, even by a steward (gate.dataset-prescreen)", async () => {
    await twoVersions();
    const err = await rejection(
      approveVersion(db, ctx.dana, { workspace: ctx.workspace, ref: h(1), purposes: ["cpt"] }),
    );
    expect([err.code, err.details?.rule]).toEqual(["permission_denied", "gate.dataset-prescreen"]);
    expect((await db.query("SELECT 1 FROM dataset_approvals")).rowCount).toBe(0);
  });

  it("an expired approval, a mismatched digest and a revoked version each name their rule", async () => {
    const w = ctx.workspace;
    const { v1 } = await twoVersions();
    await approveVersion(db, ctx.dana, {
      workspace: w,
      ref: h(2),
      purposes: ["eval"],
      expiresAt: new Date(NOW.getTime() + HOUR),
      now: NOW,
    });
    await assertUsableForTraining(db, w, h(2), "eval", new Date(NOW.getTime() + HOUR / 2));
    const expired = await rejection(
      assertUsableForTraining(db, w, h(2), "eval", new Date(NOW.getTime() + 2 * HOUR)),
    );
    expect(expired.details?.rule).toBe("dataset.approval-expired");
    const asked = await rejection(
      assertUsableForTraining(db, w, { ...h(2), digest: v1.digest }, "eval", NOW),
    );
    expect(asked.details?.rule).toBe("dataset.digest-mismatch");
    await db.query("UPDATE dataset_approvals SET digest = $1", [v1.digest]);
    const tampered = await rejection(assertUsableForTraining(db, w, h(2), "eval", NOW));
    expect(tampered.details?.rule).toBe("dataset.digest-mismatch");
    await revokeVersion(db, ctx.dana, { workspace: w, ref: h(2), reason: "leak" });
    const again = await rejection(
      approveVersion(db, ctx.dana, { workspace: w, ref: h(2), purposes: ["eval"] }),
    );
    expect(again.code).toBe("failed_precondition");
    const twice = await rejection(revokeVersion(db, ctx.dana, { workspace: w, ref: h(2), reason: "again" }));
    expect(twice.code).toBe("failed_precondition");
  });

  it("only stewards revoke; a revocation needs a reason; an expiry must be in the future", async () => {
    const w = ctx.workspace;
    await twoVersions();
    const eli = await rejection(revokeVersion(db, ctx.eli, { workspace: w, ref: h(2), reason: "mine" }));
    expect([eli.code, eli.details?.rule]).toEqual(["permission_denied", "default-deny"]);
    expect(
      (await rejection(revokeVersion(db, ctx.dana, { workspace: w, ref: h(2), reason: " " }))).code,
    ).toBe("invalid_argument");
    const past = await rejection(
      approveVersion(db, ctx.dana, {
        workspace: w,
        ref: h(2),
        purposes: ["cpt"],
        expiresAt: new Date(NOW.getTime() - 1),
        now: NOW,
      }),
    );
    expect(past.code).toBe("invalid_argument");
    expect(parseExpiry("30d", NOW).toISOString()).toBe("2026-12-26T12:00:00.000Z");
    expect(parseExpiry("2027-01-01", NOW).toISOString()).toBe("2027-01-01T00:00:00.000Z");
    expect(() => parseExpiry("soon", NOW)).toThrow(/--expires/);
  });

  it("diff counts records added and removed by record digest, and the findings of each side", async () => {
    const { flagged } = handbookFile(dir);
    const { v1 } = await twoVersions();
    const d = await diffVersions(db, ctx.dana, { workspace: ctx.workspace, from: h(1), to: h(2) }, artifacts);
    expect(d.records).toEqual({
      from: v1.records,
      to: v1.records,
      added: flagged.length,
      removed: flagged.length,
      unchanged: v1.records - flagged.length,
    });
    expect(d.findings.to).toBe(0);
    expect(d.findings.from).toBeGreaterThanOrEqual(PLANTED.length);
    expect([d.from, d.to]).toEqual(["acme-handbook@v1", "acme-handbook@v2"]);
  });

  it("redacting a clean version is refused and registers nothing", async () => {
    const w = ctx.workspace;
    await twoVersions();
    const err = await rejection(redactVersion(db, ctx.eli, { workspace: w, ref: h(2) }, { artifacts }));
    expect(err.code).toBe("failed_precondition");
    expect((await db.query("SELECT 1 FROM dataset_versions")).rowCount).toBe(2);
  });
});
