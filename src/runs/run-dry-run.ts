import { join } from "node:path";
import { assertUsableAsBase, resolveCheckpoint } from "../checkpoints/index.ts";
import { newId } from "../core/ids.ts";
import { ArtifactStore } from "../data/service/artifacts.ts";
import { assertUsableForTraining } from "../data/service/usable.ts";
import { type KubernetesDryRun, type KubernetesInput, kubernetesDryRun } from "../runners/kubernetes.ts";
import type { Queryable } from "../store/db.ts";
import type { RecipePlan } from "./recipe.ts";
import { stageJobSpec, stageOutputDir } from "./stage-spec.ts";

/** What a cluster needs beyond the recipe: the trainer image and the pods' shape. */
export type ClusterOptions = Omit<KubernetesInput, "spec" | "runId" | "workspace" | "activeDeadlineSeconds">;

/** `run start --target kubernetes --dry-run`: the manifests of the first stage, and what comes after. */
export interface KubernetesPlan extends KubernetesDryRun {
  runId: string;
  stage: string;
  /** Later stages start from a checkpoint that does not exist yet: rendered when it does. */
  laterStages: string[];
}

/**
 * Renders the Kubernetes manifests the first stage of a recipe would run as, without queueing or
 * recording anything: the base must resolve in the workspace's registry and every dataset
 * version of the stage must be usable for its purpose (the same checks a start makes, refused
 * the same way), so what is printed is what would run. Paths are the ones this installation
 * uses under `home`; the pods must see them on the shared volume at the same place.
 * @example const plan = await planKubernetesRun(db, { workspace, recipe, home, cluster: { image: "ghcr.io/acme/trainer:0.1" } });
 */
export async function planKubernetesRun(
  q: Queryable,
  input: { workspace: string; recipe: RecipePlan; home: string; cluster: ClusterOptions; now?: Date },
): Promise<KubernetesPlan> {
  const [first, ...later] = input.recipe.stages;
  const field = input.recipe.stages.length > 1 ? "$.stages[0].base" : "$.base";
  const base = assertUsableAsBase(await resolveCheckpoint(q, input.workspace, first!.base!), field);
  const versions = [];
  for (const source of first!.sources)
    versions.push(
      await assertUsableForTraining(q, input.workspace, source, first!.purpose, input.now ?? new Date()),
    );
  const runId = newId("run");
  const spec = stageJobSpec({
    runId,
    plan: first!,
    base,
    versions,
    artifacts: new ArtifactStore(join(input.home, "artifacts")),
    outputDir: stageOutputDir(input.home, runId, 0, first!.stage),
  });
  const rendered = kubernetesDryRun({
    ...input.cluster,
    spec,
    runId,
    workspace: input.workspace,
    activeDeadlineSeconds: input.recipe.maxDurationS,
  });
  return { ...rendered, runId, stage: first!.stage, laterStages: later.map((s) => s.stage) };
}
