import type { Command } from "commander";
import {
  approveCheckpoint,
  checkpointJson,
  listCheckpoints,
  readCheckpoint,
} from "../../checkpoints/index.ts";
import { invalid } from "../../core/errors.ts";
import { provenanceKey } from "../audit-heads.ts";
import { checkpointsTable, checkpointText } from "../checkpoint-render.ts";
import type { RunAction } from "../command.ts";
import { commandWorkspace } from "../dataset-context.ts";
import { runtimeFromEnv } from "../runtime.ts";
import { withCaller } from "../session.ts";

type Ws = { workspace?: string };

/** `crucible checkpoint list|show|approve`. */
export function registerCheckpoint(checkpoint: Command, run: RunAction): void {
  checkpoint
    .command("list")
    .description("the checkpoints of the workspace: bases, then run checkpoints oldest first")
    .option("--kind <kind>", "base or run")
    .option("--run <id>", "only this run's checkpoints")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, options: Ws & { kind?: string; run?: string }) => {
        if (options.kind !== undefined && options.kind !== "base" && options.kind !== "run")
          throw invalid("--kind", "unknown checkpoint kind", options.kind, "Use base or run");
        const views = await withCaller(ctx, async (db, caller) =>
          listCheckpoints(db, caller, await commandWorkspace(db, caller, options.workspace), {
            ...(options.kind ? { kind: options.kind as "base" | "run" } : {}),
            ...(options.run ? { runId: options.run } : {}),
          }),
        );
        ctx.out.result({ checkpoints: views.map(checkpointJson) }, () => checkpointsTable(views));
      }),
    );

  checkpoint
    .command("show")
    .description("one checkpoint with its manifest: files, data seen, versions")
    .argument("<checkpoint>", "name (nano@mid, RUN/STAGE/step-N) or id")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, ref: string, options: Ws) => {
        const view = await withCaller(ctx, async (db, caller) =>
          readCheckpoint(db, caller, await commandWorkspace(db, caller, options.workspace), ref),
        );
        ctx.out.result({ ...checkpointJson(view), manifest: view.manifest }, () => checkpointText(view));
      }),
    );

  checkpoint
    .command("approve")
    .description(
      "approve a run's checkpoint (model approvers; never its run's starter) and sign its provenance",
    )
    .argument("<checkpoint>", "name (RUN/STAGE/step-N) or id")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, ref: string, options: Ws) => {
        // refused before approving: an approval must come with provenance the installation can verify
        const key = provenanceKey(ctx.env, runtimeFromEnv(ctx.env));
        const approval = await withCaller(ctx, async (db, caller) =>
          approveCheckpoint(db, caller, {
            workspace: await commandWorkspace(db, caller, options.workspace),
            ref,
            key,
          }),
        );
        const c = approval.checkpoint;
        ctx.out.result(
          { ...checkpointJson(c), provenance: approval.provenance },
          () => `approved ${c.name} (${c.manifestDigest}); signed provenance: ${approval.provenance}`,
        );
      }),
    );
}
