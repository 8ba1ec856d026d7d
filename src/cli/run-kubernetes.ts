import { invalid } from "../core/errors.ts";
import type { RecipePlan } from "../runs/recipe.ts";
import { planKubernetesRun } from "../runs/run-dry-run.ts";
import { crucibleHome } from "../store/open.ts";
import type { CommandContext } from "./command.ts";
import { commandWorkspace } from "./dataset-context.ts";
import { withCaller } from "./session.ts";

/** The flags of `run start` a Kubernetes dry run reads. */
export interface KubernetesFlags {
  workspace?: string;
  target: string;
  nprocPerNode: string;
  image?: string;
  namespace: string;
  mountPath: string;
  nodes: string;
  gpu: string;
}

/** `--target kubernetes --dry-run`: the manifests of the first stage, YAML (or JSON objects with --json). */
export async function runDryRun(
  ctx: CommandContext,
  plan: RecipePlan,
  options: KubernetesFlags,
): Promise<void> {
  if (options.target !== "kubernetes")
    throw invalid(
      "--target",
      "a dry run renders what a Kubernetes cluster would run",
      options.target,
      "Use --target kubernetes --dry-run, and apply the manifests yourself",
    );
  if (!options.image)
    throw invalid(
      "--image",
      "is required",
      undefined,
      "Name the trainer image the pods run, e.g. ghcr.io/acme/crucible-trainer:0.1",
    );
  const rendered = await withCaller(ctx, async (db, caller) =>
    planKubernetesRun(db, {
      workspace: await commandWorkspace(db, caller, options.workspace),
      recipe: plan,
      home: crucibleHome(ctx.env),
      cluster: {
        image: options.image!,
        namespace: options.namespace,
        mountPath: options.mountPath,
        nodes: Number(options.nodes),
        gpu: Number(options.gpu),
        nprocPerNode: Number(options.nprocPerNode),
      },
    }),
  );
  const later = rendered.laterStages.length
    ? `# later stages (${rendered.laterStages.join(", ")}) are rendered when the stage before them has its checkpoint\n`
    : "";
  ctx.out.result(
    {
      run_id: rendered.runId,
      stage: rendered.stage,
      kind: rendered.kind,
      name: rendered.name,
      namespace: rendered.namespace,
      later_stages: rendered.laterStages,
      manifests: rendered.manifests,
    },
    () =>
      `# ${rendered.kind} ${rendered.namespace}/${rendered.name}: stage ${rendered.stage} of run ${rendered.runId}\n${later}${rendered.yaml}`,
  );
}
