import { join } from "node:path";
import { CrucibleError } from "../core/errors.ts";
import { ArtifactStore } from "../data/service/artifacts.ts";
import { visibleWorkspace } from "../identity/tenancy.ts";
import type { Principal } from "../policy/entities.ts";
import type { Db } from "../store/db.ts";
import { crucibleHome } from "../store/open.ts";
import type { CommandContext } from "./command.ts";

/** The artifact store under `<CRUCIBLE_HOME>/artifacts` (the only place its root is read). */
export function artifactsFor(ctx: CommandContext): ArtifactStore {
  return new ArtifactStore(join(crucibleHome(ctx.env), "artifacts"));
}

/**
 * The workspace a command acts in: `--workspace NAME` if the caller belongs to it (anything else
 * answers as a nonexistent workspace, audited as `tenant.not-visible`, as the API does), or the
 * caller's only workspace.
 * @example const ws = await commandWorkspace(db, caller, options.workspace);
 */
export async function commandWorkspace(db: Db, caller: Principal, name: string | undefined): Promise<string> {
  if (name) return visibleWorkspace(db, caller, name);
  const roles = caller.kind === "user" || caller.kind === "service" ? caller.roles : [];
  const workspaces = [...new Set(roles.map((r) => r.workspace))];
  if (workspaces.length === 1) return workspaces[0]!;
  throw new CrucibleError("invalid_argument", "which workspace?", {
    field: "--workspace",
    value: workspaces.length === 0 ? "no workspace roles" : `${workspaces.length} workspaces`,
    fix: "Pass --workspace NAME",
  });
}
