import { closeSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import type { CheckpointRow } from "../checkpoints/rows.ts";
import { CrucibleError } from "../core/errors.ts";
import type { RecordFormat } from "../data/records.ts";
import type { ArtifactStore } from "../data/service/artifacts.ts";
import type { VersionRow } from "../data/service/refs.ts";
import type { JobSpec } from "../protocol/types/job-spec.gen.ts";
import type { StagePlan } from "./recipe.ts";

/**
 * A stage's directory: `<home>/runs/<run id>/<idx>-<stage>`. Each lease's trainer writes in a
 * directory of its own under it (`leaseOutputDir` in lease-dir.ts), seeded with the newest
 * checkpoints earlier leases left, so a worker that takes a stage over resumes from them.
 * @example stageOutputDir("/home/.crucible", "run_01", 1, "sft") // "/home/.crucible/runs/run_01/1-sft"
 */
export function stageOutputDir(home: string, runId: string, idx: number, stage: string): string {
  return join(home, "runs", runId, `${idx}-${stage}`);
}

/**
 * The JobSpec of one stage: the base checkpoint's directory and manifest digest, each dataset
 * version's artifact (content-addressed, so its digest is the version's), the recipe's
 * hyperparameters as they are, and `resume: true`.
 * @example const spec = stageJobSpec({ runId, plan, base, versions, artifacts, outputDir });
 */
export function stageJobSpec(input: {
  runId: string;
  plan: StagePlan;
  base: CheckpointRow;
  /** The versions of the plan's sources, in the plan's order. */
  versions: readonly VersionRow[];
  artifacts: ArtifactStore;
  outputDir: string;
}): JobSpec {
  const { plan } = input;
  return {
    protocol_version: 1,
    run_id: input.runId,
    stage: plan.stage,
    base: { path: input.base.path, digest: input.base.manifestDigest },
    data: {
      sources: plan.sources.map((source, i) => {
        const version = input.versions[i]!;
        const path = input.artifacts.path(version.artifactPath);
        return {
          name: source.name,
          path,
          digest: version.digest,
          share: source.share,
          format: recordFormat(path),
        };
      }),
    },
    hyperparameters: plan.hyperparameters,
    seed: plan.seed,
    checkpoint: plan.checkpoint,
    resume: true,
    output_dir: input.outputDir,
    ...(plan.runtime ? { runtime: plan.runtime } : {}),
  };
}

/**
 * Whether an artifact holds text or chat records, from its first record (the data service writes
 * one canonical record per line, `{"text": ...}` or `{"messages": [...]}`).
 * @example recordFormat(artifacts.path(v.artifactPath)) // "chat"
 */
export function recordFormat(path: string): RecordFormat {
  const fd = openSync(path, "r");
  try {
    const chunks: Buffer[] = [];
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      const chunk = buffer.subarray(0, n);
      const newline = chunk.indexOf(10);
      chunks.push(Buffer.from(newline < 0 ? chunk : chunk.subarray(0, newline)));
      if (newline >= 0) break;
    }
    const first = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
    if ("messages" in first) return "chat";
    if ("text" in first) return "text";
  } finally {
    closeSync(fd);
  }
  throw new CrucibleError("failed_precondition", "the dataset artifact holds no records", {
    field: "data",
    value: path,
    fix: "Add records to the dataset and start a run on the new version",
  });
}
