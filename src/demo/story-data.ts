import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CrucibleError } from "../core/errors.ts";
import { addDataset, redactVersion } from "../data/service/add.ts";
import { approveVersion } from "../data/service/approve.ts";
import type { ArtifactStore } from "../data/service/artifacts.ts";
import { addCanary } from "../data/service/canaries.ts";
import { versionReport } from "../data/service/read.ts";
import type { Principal } from "../policy/entities.ts";
import { REPO_ROOT } from "../runners/trainer-python.ts";
import type { Db } from "../store/db.ts";
import { type Denial, expectDenied } from "./denials.ts";

export interface StoryData {
  /** The approved (redacted) handbook version the runs name. */
  handbook: { name: string; version: number };
  summary: {
    records: number;
    flagged_records: number;
    findings: Record<string, number>;
    redacted_version: string;
    rescan_findings: number;
  };
}

interface Cast {
  workspace: string;
  eli: Principal;
  dana: Principal;
}

/**
 * DEMO step 2: eli adds the generated acme-handbook, its pre-screen flags the planted PII,
 * secrets and canaries; training on it and approving it himself are denied; the redacted version
 * is approved by dana, bound to its digest, and acme-qa for sft.
 */
export async function dataStory(
  db: Db,
  cast: Cast,
  options: {
    python: string;
    dir: string;
    preset: string;
    artifacts: ArtifactStore;
    denials: Denial[];
    say: (line: string) => void;
    /** eli starting the demo's recipe on a handbook version (`acme-handbook@v1`). */
    tryTrain: (handbook: string) => Promise<unknown>;
  },
): Promise<StoryData> {
  const made = spawnSync(
    options.python,
    ["-m", "crucible_trainer", "nano", "acme", "--out", options.dir, "--preset", options.preset],
    {
      cwd: REPO_ROOT,
      encoding: "utf8",
    },
  );
  if (made.status !== 0)
    throw new CrucibleError(
      "internal",
      `generating acme-handbook failed: ${made.stderr.trim().split("\n").at(-1)}`,
    );
  const canaries = JSON.parse(readFileSync(join(options.dir, "canaries.json"), "utf8")) as string[];
  const service = { artifacts: options.artifacts };
  const { workspace, eli, dana } = cast;
  // dana registers the canaries acme planted in its handbook; every scan in acme looks for them
  for (const value of canaries) await addCanary(db, dana, { workspace, value, label: "acme-handbook" });

  const v1 = await addDataset(
    db,
    eli,
    { workspace, name: "acme-handbook", file: join(options.dir, "acme-handbook.jsonl") },
    service,
  );
  const report = await versionReport(db, eli, workspace, { name: "acme-handbook", version: 1 });
  const findings = Object.fromEntries(
    report.byDetector.filter((d) => d.findings > 0).map((d) => [d.detector, d.findings]),
  );
  options.say(
    `data: eli added acme-handbook@v1: ${report.totals.flaggedRecords} of ${v1.records} records flagged ${JSON.stringify(findings)}`,
  );

  // eli's Q&A for the sft stage, added now: the recipe he tries next names it too
  await addDataset(
    db,
    eli,
    { workspace, name: "acme-qa", file: join(options.dir, "acme-qa.jsonl") },
    service,
  );
  await expectDenied(options.denials, "train-unapproved-data", "eli", "run.start", () =>
    options.tryTrain("acme-handbook@v1"),
  );
  await expectDenied(options.denials, "self-approve-data", "eli", "dataset.approve", () =>
    approveVersion(db, eli, { workspace, ref: { name: "acme-handbook", version: 1 }, purposes: ["cpt"] }),
  );

  const v2 = await redactVersion(db, eli, { workspace, ref: { name: "acme-handbook", version: 1 } }, service);
  const rescan = await versionReport(db, eli, workspace, { name: "acme-handbook", version: v2.version });
  await approveVersion(db, dana, {
    workspace,
    ref: { name: "acme-handbook", version: v2.version },
    purposes: ["cpt", "sft", "rft"],
  });
  await approveVersion(db, dana, { workspace, ref: { name: "acme-qa", version: 1 }, purposes: ["sft"] });
  options.say(
    `data: eli redacted it as acme-handbook@v${v2.version} (rescan: ${rescan.totals.findings} findings); dana approved it for the purposes cpt, sft, rft, and acme-qa@v1 for sft`,
  );

  return {
    handbook: { name: "acme-handbook", version: v2.version },
    summary: {
      records: v1.records,
      flagged_records: report.totals.flaggedRecords,
      findings,
      redacted_version: `acme-handbook@v${v2.version}`,
      rescan_findings: rescan.totals.findings,
    },
  };
}
