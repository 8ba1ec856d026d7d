import type { Command } from "commander";
import { CrucibleError } from "../../core/errors.ts";
import { principalJson } from "../../identity/json.ts";
import { disablePrincipal, enablePrincipal, revokeRole } from "../../identity/lifecycle.ts";
import { listMembers } from "../../identity/members.ts";
import { createServiceIdentity, createUser, grantRole } from "../../identity/principals.ts";
import { visibleMember, visibleWorkspace } from "../../identity/tenancy.ts";
import type { RunAction } from "../command.ts";
import { parseDuration } from "../duration.ts";
import { table } from "../io.ts";
import { checkRole, collectList } from "../role-option.ts";
import { withCaller } from "../session.ts";
import { registerOidcBindings } from "./principal-oidc.ts";

interface CreateOptions {
  workspace: string;
  role: string[];
  service?: boolean;
  owner?: string;
}

/** `crucible principal create|grant|revoke|disable|enable|list|bind-oidc`: users, service identities, their roles and federated sign-in. */
export function registerPrincipal(principal: Command, run: RunAction): void {
  principal
    .command("create")
    .description("create a user, or with --service a service identity owned by a named user")
    .argument("<name>", "principal name, e.g. eli or ops-bot")
    .requiredOption("--workspace <name>", "workspace to create it in")
    .option("--role <role>", "role in the workspace (repeatable)", collectList, [])
    .option("--service", "a service identity (pipeline, application) rather than a person")
    .option("--owner <user>", "the human who answers for a service identity")
    .action(
      run(async (ctx, name: string, options: CreateOptions) => {
        const roles = options.role.map(checkRole);
        const id = await withCaller(ctx, async (db, caller) => {
          const workspace = await visibleWorkspace(db, caller, options.workspace);
          if (!options.service) return createUser(db, { principal: caller, workspace, name, roles });
          if (!options.owner) {
            throw new CrucibleError("invalid_argument", "a service identity needs a human owner", {
              field: "--owner",
              fix: "Name the user who answers for it",
            });
          }
          const owner = await visibleMember(db, caller, workspace, options.owner, "--owner");
          return createServiceIdentity(db, { principal: caller, workspace, name, owner, roles });
        });
        ctx.out.result(
          principalJson(id, { name, kind: options.service ? "service" : "user", roles }),
          () => `${options.service ? "service identity" : "user"} ${name} (${id})`,
        );
      }),
    );

  principal
    .command("grant")
    .description("grant another role in a workspace to one of its members (admins); newcomers are invited")
    .argument("<name>", "principal name")
    .requiredOption("--workspace <name>", "workspace")
    .requiredOption("--role <role>", "role to grant")
    .action(
      run(async (ctx, name: string, options: { workspace: string; role: string }) => {
        const role = checkRole(options.role);
        await withCaller(ctx, async (db, caller) => {
          const workspace = await visibleWorkspace(db, caller, options.workspace);
          await grantRole(db, {
            principal: caller,
            workspace,
            subject: await visibleMember(db, caller, workspace, name),
            role,
          });
        });
        ctx.out.result(
          { name, role, workspace: options.workspace },
          () => `granted ${role} in ${options.workspace} to ${name}`,
        );
      }),
    );

  principal
    .command("revoke")
    .description("remove a role in a workspace (admins); the last active admin keeps the role")
    .argument("<name>", "principal name")
    .requiredOption("--workspace <name>", "workspace")
    .requiredOption("--role <role>", "role to remove")
    .action(
      run(async (ctx, name: string, options: { workspace: string; role: string }) => {
        const role = checkRole(options.role);
        await withCaller(ctx, async (db, caller) => {
          const workspace = await visibleWorkspace(db, caller, options.workspace);
          await revokeRole(db, {
            principal: caller,
            workspace,
            subject: await visibleMember(db, caller, workspace, name),
            role,
          });
        });
        ctx.out.result(
          { name, role, workspace: options.workspace, revoked: true },
          () => `removed ${role} in ${options.workspace} from ${name}`,
        );
      }),
    );

  for (const [verb, disable] of [
    ["disable", true],
    ["enable", false],
  ] as const) {
    principal
      .command(verb)
      .description(
        disable
          ? "disable a principal: its tokens are revoked and every later sign-in fails (admins of every workspace it belongs to)"
          : "re-enable a disabled principal; it needs new tokens",
      )
      .argument("<name>", "principal name")
      .requiredOption("--workspace <name>", "a workspace the principal belongs to, where you are admin")
      .action(
        run(async (ctx, name: string, options: { workspace: string }) => {
          const done = await withCaller(ctx, async (db, caller) => {
            const workspace = await visibleWorkspace(db, caller, options.workspace);
            const input = {
              principal: caller,
              workspace,
              subject: await visibleMember(db, caller, workspace, name),
            };
            if (disable) return disablePrincipal(db, input);
            await enablePrincipal(db, input);
            return { revokedTokens: 0, ownedServices: [] };
          });
          const owned = done.ownedServices.length
            ? `\n${name} still owns service identities ${done.ownedServices.join(", ")}: give them a new owner or disable them`
            : "";
          ctx.out.result(
            {
              name,
              disabled: disable,
              revoked_tokens: done.revokedTokens,
              owned_services: done.ownedServices,
            },
            () =>
              disable
                ? `disabled ${name}; revoked ${done.revokedTokens} token(s)${owned}`
                : `enabled ${name}`,
          );
        }),
      );
  }

  principal
    .command("list")
    .description("who has a role in a workspace; with --stale, credentials unused for that long")
    .requiredOption("--workspace <name>", "workspace")
    .option("--stale <duration>", "list active tokens unused for at least this long, e.g. 30d")
    .action(
      run(async (ctx, options: { workspace: string; stale?: string }) => {
        const unusedForS = options.stale === undefined ? undefined : parseDuration("--stale", options.stale);
        const result = await withCaller(ctx, async (db, caller) =>
          listMembers(db, caller, await visibleWorkspace(db, caller, options.workspace), {
            ...(unusedForS === undefined ? {} : { unusedForS }),
          }),
        );
        ctx.out.result(result, () =>
          result.stale
            ? table(
                ["token", "principal", "owner", "last used", "expires"],
                result.stale.map((t) => [
                  t.tokenId,
                  t.principal,
                  members(result.principals, t.ownerId),
                  t.lastUsedAt ? iso(t.lastUsedAt) : "never",
                  iso(t.expiresAt),
                ]),
              )
            : table(
                ["name", "kind", "roles", "owner"],
                result.principals.map((p) => [
                  p.name + (p.disabled ? " (disabled)" : ""),
                  p.kind,
                  p.roles.join(",") || "-",
                  p.owner ?? "-",
                ]),
              ),
        );
      }),
    );

  registerOidcBindings(principal, run);
}

function members(principals: { id: string; name: string }[], id: string | null): string {
  return (id && principals.find((p) => p.id === id)?.name) || id || "-";
}

function iso(date: Date): string {
  return new Date(date).toISOString();
}
