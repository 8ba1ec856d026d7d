import type { Command } from "commander";
import { addCanary, type CanaryRow, listCanaries } from "../../data/service/index.ts";
import type { RunAction } from "../command.ts";
import { commandWorkspace } from "../dataset-context.ts";
import { table } from "../io.ts";
import { withCaller } from "../session.ts";

type Ws = { workspace?: string };

/** `crucible canary add|list`: the workspace's planted canaries, which every dataset scan looks for. */
export function registerCanary(canary: Command, run: RunAction): void {
  canary
    .command("add")
    .description("register a canary (data stewards, admins); without VALUE one is generated and shown once")
    .argument("[value]", "the string planted in the data (8-256 characters)")
    .option("--label <text>", "a note on where it is planted")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, value: string | undefined, options: Ws & { label?: string }) => {
        const added = await withCaller(ctx, async (db, caller) =>
          addCanary(db, caller, {
            workspace: await commandWorkspace(db, caller, options.workspace),
            ...(value === undefined ? {} : { value }),
            ...(options.label === undefined ? {} : { label: options.label }),
          }),
        );
        // The value is printed only when generated: the caller needs it to plant it.
        const shown = value === undefined ? { value: added.value } : {};
        ctx.out.result({ ...canaryJson(added), ...shown }, () =>
          value === undefined
            ? `added canary ${added.id} (${added.digest}); plant this value, it is not shown again:\n${added.value}`
            : `added canary ${added.id} (${added.masked}, ${added.digest})`,
        );
      }),
    );

  canary
    .command("list")
    .description("the workspace's canaries, masked, with their digests")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, options: Ws) => {
        const rows = await withCaller(ctx, async (db, caller) =>
          listCanaries(db, caller, await commandWorkspace(db, caller, options.workspace)),
        );
        ctx.out.result({ canaries: rows.map(canaryJson) }, () =>
          rows.length === 0
            ? "no canaries: `crucible canary add` registers one"
            : table(
                ["id", "canary", "digest", "label", "added by"],
                rows.map((c) => [c.id, c.masked, c.digest, c.label ?? "", c.addedBy]),
              ),
        );
      }),
    );
}

function canaryJson(c: CanaryRow) {
  return {
    id: c.id,
    masked: c.masked,
    digest: c.digest,
    label: c.label,
    added_by: c.addedBy,
    created_at: c.createdAt,
  };
}
