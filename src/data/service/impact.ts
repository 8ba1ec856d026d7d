import { type ImpactNode, impactOf } from "../../lineage/edges.ts";
import { checkpointStates } from "../../lineage/taint.ts";
import type { Principal } from "../../policy/entities.ts";
import type { Db } from "../../store/db.ts";
import { readVersion } from "./read.ts";
import { refText, type VersionRef } from "./refs.ts";

/** A checkpoint a version influenced, with what it saw of the version and whether it is tainted. */
export interface ImpactCheckpoint extends ImpactNode {
  /** Its registry name; null where lineage names a checkpoint that is not registered. */
  name: string | null;
  /**
   * Tokens of this version the checkpoint was trained on: from its manifest (cumulative up to
   * the checkpoint), else the tokens the version fed the run that wrote it; null where the
   * influence is indirect (the version trained an ancestor it started from).
   */
  tokensSeen: number | null;
  taintedAt: string | null;
  taintReason: string | null;
}

/** What one dataset version influenced. */
export interface VersionImpact {
  version: string;
  digest: string;
  status: string;
  runs: ImpactNode[];
  checkpoints: ImpactCheckpoint[];
  deployments: ImpactNode[];
}

/**
 * Every run, checkpoint and deployment a dataset version influenced, through the lineage edges
 * the runs issue writes, with each checkpoint's tokens seen and taint. Needs `dataset.read`.
 * @example const { checkpoints } = await versionImpact(db, dana, workspace, { name: "acme-handbook", version: 2 });
 */
export async function versionImpact(
  db: Db,
  caller: Principal,
  workspace: string,
  ref: VersionRef,
): Promise<VersionImpact> {
  const v = await readVersion(db, caller, workspace, ref);
  const nodes = await impactOf(db, { kind: "dataset_version", id: v.id });
  const runs = nodes.filter((n) => n.kind === "run");
  const fed = new Map(runs.filter((r) => r.via.id === v.id).map((r) => [r.id, r.tokens]));
  const checkpointNodes = nodes.filter((n) => n.kind === "checkpoint");
  const states = await checkpointStates(
    db,
    v.workspace,
    checkpointNodes.map((n) => n.id),
  );
  const checkpoints = checkpointNodes.map((n): ImpactCheckpoint => {
    const state = states.get(n.id);
    const manifest = state?.sources.find((s) => s.digest === v.digest)?.tokensSeen;
    const viaRun = n.via.kind === "run" ? fed.get(n.via.id) : undefined;
    return {
      ...n,
      name: state?.name ?? null,
      tokensSeen: manifest ?? viaRun ?? null,
      taintedAt: state?.taintedAt ?? null,
      taintReason: state?.taintReason ?? null,
    };
  });
  return {
    version: refText(v),
    digest: v.digest,
    status: v.status,
    runs,
    checkpoints,
    deployments: nodes.filter((n) => n.kind === "deployment"),
  };
}
