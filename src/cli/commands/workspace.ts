import type { Command } from "commander";
import { createWorkspace } from "../../identity/workspaces.ts";
import type { RunAction } from "../main.ts";
import { withCaller } from "../session.ts";

/** `crucible workspace create`. */
export function registerWorkspace(program: Command, run: RunAction): void {
  const workspace = program.command("workspace").description("workspaces: the unit of ownership and policy");
  workspace
    .command("create")
    .description("create a workspace (admins); you become its admin")
    .argument("<name>", "workspace name, e.g. research")
    .action(
      run(async (ctx, name: string) => {
        const id = await withCaller(ctx, (db, caller) => createWorkspace(db, { principal: caller, name }));
        ctx.out.result({ id, name }, () => `workspace ${name} (${id})`);
      }),
    );
}
