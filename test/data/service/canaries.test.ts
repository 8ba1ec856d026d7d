import { beforeEach, expect, it } from "vitest";
import {
  addCanary,
  addDataset,
  listCanaries,
  redactVersion,
  versionReport,
  workspaceCanaries,
} from "../../../src/data/service/index.ts";
import { createWorkspace } from "../../../src/identity/workspaces.ts";
import type { Db } from "../../../src/store/db.ts";
import { rejection } from "../../identity/support.ts";
import { describeEachStore } from "../../support/stores.ts";
import { tempDir } from "../helpers.ts";
import { acme, artifactStore, auditOf, handbookFile, idOf } from "./support.ts";

const CANARY = "crucible-canary-7f3a9c21d4e0";

describeEachStore("workspace canaries", (open) => {
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

  it("stewards and admins register them; others are denied and audited; the audit holds no value", async () => {
    const w = ctx.workspace;
    const added = await addCanary(db, ctx.dana, { workspace: w, value: CANARY, label: "handbook footer" });
    expect(added).toMatchObject({ value: CANARY, masked: "cru*** [28 chars]", label: "handbook footer" });
    const generated = await addCanary(db, ctx.root, { workspace: w });
    expect(generated.value).toMatch(/^crucible-canary-[0-9a-f]{12}$/);
    for (const who of [ctx.eli, ctx.audra]) {
      const denied = await rejection(addCanary(db, who, { workspace: w, value: "another-canary-123" }));
      expect(denied.code).toBe("permission_denied");
      expect((await rejection(listCanaries(db, who, w))).code).toBe("permission_denied");
    }
    expect(await auditOf(db, "canary.add")).toEqual([
      [idOf(ctx.dana), "allow", "steward.canaries"],
      [idOf(ctx.root), "allow", "steward.canaries"],
      [idOf(ctx.eli), "deny", "default-deny"],
      [idOf(ctx.audra), "deny", "default-deny"],
    ]);
    const { rows } = await db.query<{ payload: unknown }>("SELECT * FROM audit_log");
    expect(JSON.stringify(rows)).not.toContain(CANARY);
    expect(JSON.stringify(rows)).not.toContain(generated.value);

    const listed = await listCanaries(db, ctx.root, w);
    expect(listed.map((c) => [c.masked, c.addedBy])).toEqual([
      ["cru*** [28 chars]", "dana"],
      ["cru*** [28 chars]", "root"],
    ]);
    expect(JSON.stringify(listed)).not.toContain(CANARY);
    expect(await workspaceCanaries(db, w)).toEqual([CANARY, generated.value]);
  });

  it("bad values are refused naming the rule, a repeat is already_exists, and nothing is stored", async () => {
    const w = ctx.workspace;
    for (const bad of ["short", "x".repeat(257), "tab\tinside-it", " padded-canary "]) {
      const err = await rejection(addCanary(db, ctx.dana, { workspace: w, value: bad }));
      expect([err.code, err.message]).toEqual(["invalid_argument", expect.stringContaining("canary")]);
    }
    await addCanary(db, ctx.dana, { workspace: w, value: CANARY });
    const again = await rejection(addCanary(db, ctx.root, { workspace: w, value: CANARY }));
    expect(again.code).toBe("already_exists");
    expect(again.message).not.toContain(CANARY);
    expect(await workspaceCanaries(db, w)).toEqual([CANARY]);
  });

  it("every scan in the workspace looks for them, reports mask them, redaction removes them; other workspaces do not see them", async () => {
    const w = ctx.workspace;
    await addCanary(db, ctx.dana, { workspace: w, value: CANARY });
    const { path } = handbookFile(dir, "canary.jsonl", CANARY);
    await addDataset(db, ctx.eli, { workspace: w, name: "acme-handbook", file: path }, { artifacts });
    const v1 = await versionReport(db, ctx.dana, w, h(1));
    expect(v1.totals.canaries).toBe(1);
    expect(JSON.stringify(v1)).not.toContain(CANARY);
    // the set grows after v1 was scanned: the redaction uses the whole set, which holds v1's
    await addCanary(db, ctx.dana, { workspace: w, value: "crucible-canary-000000000001" });
    await redactVersion(db, ctx.eli, { workspace: w, ref: h(1) }, { artifacts });
    expect((await versionReport(db, ctx.dana, w, h(2))).totals).toMatchObject({ findings: 0, canaries: 0 });

    const globex = await createWorkspace(db, { principal: ctx.root, name: "globex" });
    expect(await workspaceCanaries(db, globex)).toEqual([]);
    expect((await rejection(listCanaries(db, ctx.dana, globex))).code).toBe("permission_denied");
  });
});
