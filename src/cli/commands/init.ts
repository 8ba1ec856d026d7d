import type { Command } from "commander";
import { bootstrap } from "../../identity/workspaces.ts";
import type { RunAction } from "../main.ts";
import { withDb } from "../session.ts";

/** `crucible init`: the first workspace and its first admin, on an empty installation. */
export function registerInit(program: Command, run: RunAction): void {
  program
    .command("init")
    .description("create the first workspace and its admin on an empty installation")
    .requiredOption("--workspace <name>", "name of the first workspace, e.g. acme")
    .requiredOption("--admin <name>", "name of its first admin user, e.g. root")
    .action(
      run(async (ctx, options: { workspace: string; admin: string }) => {
        const created = await withDb(ctx, (db) => bootstrap(db, options));
        ctx.out.result(
          {
            workspace: { id: created.workspace, name: options.workspace },
            admin: { id: created.admin, name: options.admin },
          },
          () =>
            [
              `workspace ${options.workspace} (${created.workspace})`,
              `admin     ${options.admin} (${created.admin})`,
              "",
              `Next: crucible token create --as ${options.admin}   (or --as ${options.admin} on each command in embedded mode)`,
            ].join("\n"),
        );
      }),
    );
}
