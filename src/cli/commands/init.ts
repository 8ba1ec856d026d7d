import type { Command } from "commander";
import { installationBuilderId } from "../../checkpoints/provenance.ts";
import { bootstrap } from "../../identity/workspaces.ts";
import type { RunAction } from "../command.ts";
import { parseDuration } from "../duration.ts";
import { runtimeFromEnv } from "../runtime.ts";
import { withDb } from "../session.ts";

/** `crucible init`: the first workspace and its first admin, on an empty installation. */
export function registerInit(init: Command, run: RunAction): void {
  init
    .requiredOption("--workspace <name>", "name of the first workspace, e.g. acme")
    .requiredOption("--admin <name>", "name of its first admin user, e.g. root")
    .option("--token", "also issue the admin's first token (always done on a PostgreSQL server)")
    .option("--token-lifetime <duration>", "lifetime of that token, e.g. 1d or 12h", "1d")
    .action(
      run(
        async (
          ctx,
          options: { workspace: string; admin: string; token?: boolean; tokenLifetime: string },
        ) => {
          const created = await withDb(ctx, async (db) => ({
            ...(await bootstrap(db, {
              workspace: options.workspace,
              admin: options.admin,
              // On a server `--as` is refused, so without a token nobody could ever act.
              ...(options.token || db.kind !== "pglite"
                ? { tokenLifetimeS: parseDuration("--token-lifetime", options.tokenLifetime) }
                : {}),
            })),
            // written once by the store's migration; provenance names it and verify expects it
            builderId: await installationBuilderId(db),
            // The installation's signing key is born with it, on the control plane's machine (a
            // CLI pointed at a server elsewhere signs audit heads only with a key already there);
            // made while the store is open, so the embedded home is tightened over it at close.
            key: runtimeFromEnv(ctx.env).signingKey(),
          }));
          const key = created.key;
          const token = created.token;
          ctx.out.result(
            {
              workspace: { id: created.workspace, name: options.workspace },
              admin: { id: created.admin, name: options.admin },
              installation: { builder_id: created.builderId, signing_keyid: key.keyid },
              ...(token
                ? {
                    token: {
                      id: token.tokenId,
                      secret: token.secret,
                      expires_at: token.expiresAt.toISOString(),
                    },
                  }
                : {}),
            },
            () =>
              [
                `workspace ${options.workspace} (${created.workspace})`,
                `admin     ${options.admin} (${created.admin})`,
                `builder   ${created.builderId} (signed provenance names it; verify offline with --builder-id)`,
                `key       ${key.keyid} (signs provenance and audit heads; under $CRUCIBLE_HOME/keys)`,
                "",
                token
                  ? `token     ${token.secret}\n          shown once; expires ${token.expiresAt.toISOString()}. Next: export CRUCIBLE_TOKEN=<it>`
                  : `Next: --as ${options.admin} on each command (embedded store), or crucible token create --as ${options.admin}`,
              ].join("\n"),
          );
        },
      ),
    );
}
