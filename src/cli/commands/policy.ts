import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { invalid } from "../../core/errors.ts";
import { activePolicySet } from "../../governed/active-policy.ts";
import { requireAuditRead } from "../../governed/audit-access.ts";
import { approvePolicy, type PolicyVersion, proposePolicy } from "../../governed/policy-changes.ts";
import { workspaceNameOf } from "../../identity/names.ts";
import type { RunAction } from "../command.ts";
import { commandWorkspace } from "../dataset-context.ts";
import { withCaller } from "../session.ts";

/** `crucible policy show|propose|approve`: the Cedar policy set is data, changed by two admins. */
export function registerPolicy(policy: Command, run: RunAction): void {
  policy
    .command("show")
    .description("print the active policy set (admins, auditors)")
    .option("--workspace <name>", "workspace (default: your only one)")
    .action(
      run(async (ctx, options: { workspace?: string }) => {
        const set = await withCaller(ctx, async (db, caller) => {
          const workspace = await commandWorkspace(db, caller, options.workspace);
          await requireAuditRead(db, caller, workspace, "policy set");
          return activePolicySet(db, workspace);
        });
        ctx.out.result({ digest: set.digest, text: set.text }, () => `# ${set.digest}\n${set.text}`);
      }),
    );

  policy
    .command("propose")
    .description(
      "propose a new policy set from a Cedar file; it is validated against the schema now and takes effect only when another admin approves it",
    )
    .option("--workspace <name>", "workspace (default: your only one)")
    .argument("<file>", "Cedar policy file")
    .action(
      run(async (ctx, file: string, options: { workspace?: string }) => {
        const text = readText(file);
        let name = "";
        const version = await withCaller(ctx, async (db, caller) => {
          const workspace = await commandWorkspace(db, caller, options.workspace);
          name = await workspaceNameOf(db, workspace);
          return proposePolicy(db, { principal: caller, workspace, text });
        });
        ctx.out.result(
          version,
          () =>
            `proposed policy v${version.version} (${version.digest}); another admin approves it with \`crucible policy approve ${version.version} --workspace ${name}\``,
        );
      }),
    );

  policy
    .command("approve")
    .description("approve a proposed policy set (an admin other than its author); it becomes active")
    .option("--workspace <name>", "workspace (default: your only one)")
    .argument("<version>", "version number from `policy propose`")
    .action(
      run(async (ctx, versionText: string, options: { workspace?: string }) => {
        const version = Number(versionText);
        if (!Number.isSafeInteger(version) || version < 1)
          throw invalid(
            "version",
            "is not a version number",
            versionText,
            "Give the number `policy propose` printed",
          );
        const approved: PolicyVersion = await withCaller(ctx, async (db, caller) =>
          approvePolicy(db, {
            principal: caller,
            workspace: await commandWorkspace(db, caller, options.workspace),
            version,
          }),
        );
        ctx.out.result(approved, () => `policy v${approved.version} is active (${approved.digest})`);
      }),
    );
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw invalid(
      "file",
      `cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      file,
      "Give the path of a Cedar policy file",
    );
  }
}
