import { expect, it } from "vitest";
import { readAudit } from "../../src/audit/store.ts";
import { CrucibleError } from "../../src/core/errors.ts";
import { addDataset } from "../../src/data/service/add.ts";
import { approveVersion, revokeVersion } from "../../src/data/service/approve.ts";
import { ArtifactStore } from "../../src/data/service/artifacts.ts";
import { authorizeRunStart } from "../../src/runs/run-gate.ts";
import { tempDir, writeFile } from "../data/helpers.ts";
import { acme } from "../data/service/support.ts";
import { describeEachStore } from "../support/stores.ts";

async function denial(fn: () => Promise<unknown>): Promise<CrucibleError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof CrucibleError) return err;
    throw err;
  }
  throw new Error("expected a denial, the call was allowed");
}

describeEachStore("run start gate", (open) => {
  it("denies a run on an unapproved version naming both rules, allows it once approved, denies it after revocation; every decision audited", async () => {
    const db = await open();
    try {
      const { workspace, eli, dana, audra } = await acme(db);
      const artifacts = new ArtifactStore(tempDir());
      const file = writeFile(tempDir(), "notes.jsonl", `${JSON.stringify({ text: "Acme opens at 9am." })}\n`);
      await addDataset(db, eli, { workspace, name: "notes", file }, { artifacts });
      const request = {
        workspace,
        runId: "run_1",
        datasets: [{ ref: { name: "notes", version: 1 }, purpose: "cpt" as const }],
      };

      const unapproved = await denial(() => authorizeRunStart(db, eli, request));
      expect(unapproved.code).toBe("permission_denied");
      expect(unapproved.details.rule).toBe("gate.run-inputs-approved,dataset.unapproved");

      await approveVersion(db, dana, { workspace, ref: { name: "notes", version: 1 }, purposes: ["cpt"] });
      const [version] = await authorizeRunStart(db, eli, request);
      expect(version?.name).toBe("notes");

      const sft = await denial(() =>
        authorizeRunStart(db, eli, {
          ...request,
          datasets: [{ ref: { name: "notes", version: 1 }, purpose: "sft" }],
        }),
      );
      expect(sft.details.rule).toContain("dataset.unapproved");
      const auditor = await denial(() => authorizeRunStart(db, audra, request));
      expect(auditor.details.rule).toBe("default-deny");

      await revokeVersion(db, dana, {
        workspace,
        ref: { name: "notes", version: 1 },
        reason: "consent withdrawn",
      });
      expect((await denial(() => authorizeRunStart(db, eli, request))).details.rule).toBe(
        "gate.run-inputs-approved,dataset.revoked",
      );

      const decisions: string[] = [];
      for await (const entry of readAudit(db, { workspace, fromSeq: 1, pageSize: 500 })) {
        if (entry.action === "run.start") decisions.push(entry.decision);
      }
      expect(decisions).toEqual(["deny", "allow", "deny", "deny", "deny"]);
    } finally {
      await db.close();
    }
  });
});
