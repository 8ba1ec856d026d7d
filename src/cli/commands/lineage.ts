import type { Command } from "commander";
import { checkpointLineage } from "../../checkpoints/index.ts";
import { invalid } from "../../core/errors.ts";
import { parseVersionRef, versionImpact } from "../../data/service/index.ts";
import { lineageText } from "../checkpoint-render.ts";
import type { RunAction } from "../command.ts";
import { commandWorkspace } from "../dataset-context.ts";
import { impactText } from "../dataset-render.ts";
import { withCaller } from "../session.ts";

/**
 * `crucible lineage impact NAME@vN` (or `dataset:NAME@vN`): what a dataset version influenced;
 * `crucible lineage show CHECKPOINT`: what shaped a checkpoint.
 */
export function registerLineage(lineage: Command, run: RunAction): void {
  lineage
    .command("impact")
    .description("every run, checkpoint and deployment a dataset version influenced")
    .argument("<target>", "a dataset version: NAME@vN (or dataset:NAME@vN)")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, target: string, options: { workspace?: string }) => {
        // a bare NAME@vN is a dataset version, as `lineage show` takes a bare checkpoint name
        const [kind, rest] = target.includes(":") ? target.split(/:(.*)/s) : ["dataset", target];
        if (kind !== "dataset")
          throw invalid(
            "target",
            "impact starts from a dataset version",
            target,
            "Write NAME@vN (or dataset:NAME@vN)",
          );
        const ref = parseVersionRef(rest ?? "", "target");
        const impact = await withCaller(ctx, async (db, caller) =>
          versionImpact(db, caller, await commandWorkspace(db, caller, options.workspace), ref),
        );
        ctx.out.result(impact, () => impactText(impact));
      }),
    );

  lineage
    .command("show")
    .description(
      "a checkpoint's ancestry: its run (recipe, starter), base checkpoints, datasets with tokens seen",
    )
    .argument("<checkpoint>", "name (nano@mid, RUN/STAGE/step-N) or id")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, ref: string, options: { workspace?: string }) => {
        const tree = await withCaller(ctx, async (db, caller) =>
          checkpointLineage(db, caller, await commandWorkspace(db, caller, options.workspace), ref),
        );
        ctx.out.result(tree, () => lineageText(tree));
      }),
    );
}
