import { type ImpactNode, impactOf } from "../../lineage/edges.ts";
import type { Principal } from "../../policy/entities.ts";
import type { Db } from "../../store/db.ts";
import { readVersion } from "./read.ts";
import { refText, type VersionRef } from "./refs.ts";

/** What one dataset version influenced. */
export interface VersionImpact {
  version: string;
  digest: string;
  runs: ImpactNode[];
  checkpoints: ImpactNode[];
  deployments: ImpactNode[];
}

/**
 * Every run, checkpoint and deployment a dataset version influenced, through the lineage edges
 * the runs issue writes. Needs `dataset.read` on the version.
 * @example const { deployments } = await versionImpact(db, dana, workspace, { name: "acme-handbook", version: 2 });
 */
export async function versionImpact(
  db: Db,
  caller: Principal,
  workspace: string,
  ref: VersionRef,
): Promise<VersionImpact> {
  const v = await readVersion(db, caller, workspace, ref);
  const nodes = await impactOf(db, { kind: "dataset_version", id: v.id });
  return {
    version: refText(v),
    digest: v.digest,
    runs: nodes.filter((n) => n.kind === "run"),
    checkpoints: nodes.filter((n) => n.kind === "checkpoint"),
    deployments: nodes.filter((n) => n.kind === "deployment"),
  };
}
