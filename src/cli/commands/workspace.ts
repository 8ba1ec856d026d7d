import type { Command } from "commander";
import { acceptInvitation, inviteMember, listInvitations } from "../../identity/invitations.ts";
import { acceptedJson, invitationJson, invitedJson, workspaceJson } from "../../identity/json.ts";
import { listMemberships } from "../../identity/memberships.ts";
import { visibleWorkspace } from "../../identity/tenancy.ts";
import { listSentInvitations, withdrawInvitation } from "../../identity/workspace-invitations.ts";
import { createWorkspace } from "../../identity/workspaces.ts";
import type { RunAction } from "../command.ts";
import { table } from "../io.ts";
import { checkRole, collectList } from "../role-option.ts";
import { withCaller } from "../session.ts";

/** `crucible workspace create|list|invite|invitations|withdraw|accept`. */
export function registerWorkspace(workspace: Command, run: RunAction): void {
  workspace
    .command("create")
    .description("create a workspace (admins); you become its admin")
    .argument("<name>", "workspace name, e.g. research")
    .action(
      run(async (ctx, name: string) => {
        const id = await withCaller(ctx, (db, caller) => createWorkspace(db, { principal: caller, name }));
        ctx.out.result(workspaceJson(id, name), () => `workspace ${name} (${id})`);
      }),
    );

  workspace
    .command("list")
    .description("the workspaces you belong to, with your roles in each")
    .action(
      run(async (ctx) => {
        const mine = await withCaller(ctx, (db, caller) => listMemberships(db, caller));
        ctx.out.result({ workspaces: mine }, () =>
          table(
            ["workspace", "roles", "id"],
            mine.map((w) => [w.name, w.roles.join(","), w.id]),
          ),
        );
      }),
    );

  workspace
    .command("invite")
    .description("invite someone by name to join a workspace (admins); they join only by accepting")
    .argument("<name>", "the invitee's principal name")
    .requiredOption("--workspace <name>", "workspace to invite them into")
    .requiredOption("--role <role>", "role they get on accepting (repeatable)", collectList, [])
    .action(
      run(async (ctx, name: string, options: { workspace: string; role: string[] }) => {
        const roles = options.role.map(checkRole);
        const done = await withCaller(ctx, async (db, caller) =>
          inviteMember(db, {
            principal: caller,
            workspace: await visibleWorkspace(db, caller, options.workspace),
            invitee: name,
            roles,
          }),
        );
        ctx.out.result(
          invitedJson(done, name, roles),
          () =>
            `invited ${name} to ${options.workspace} as ${roles.join(", ")} (${done.invitationId}); they accept with \`crucible workspace accept ${done.invitationId}\``,
        );
      }),
    );

  workspace
    .command("invitations")
    .description(
      "the open invitations addressed to you; with --workspace, those the workspace sent (admins, auditors)",
    )
    .option("--workspace <name>", "list the invitations this workspace sent that are still open")
    .action(
      run(async (ctx, options: { workspace?: string }) => {
        if (options.workspace) {
          const sent = await withCaller(ctx, async (db, caller) =>
            listSentInvitations(db, {
              principal: caller,
              workspace: await visibleWorkspace(db, caller, options.workspace!),
            }),
          );
          ctx.out.result({ workspace: options.workspace, invitations: sent }, () =>
            table(
              ["invitation", "invitee", "roles", "invited by", "expires"],
              sent.map((i) => [i.id, i.invitee, i.roles.join(","), i.invitedBy, i.expiresAt]),
            ),
          );
          return;
        }
        const pending = await withCaller(ctx, (db, caller) => listInvitations(db, caller));
        ctx.out.result({ invitations: pending.map(invitationJson) }, () =>
          table(
            ["invitation", "workspace", "roles", "invited by", "expires"],
            pending.map((i) => [i.id, i.workspace, i.roles.join(","), i.invitedBy, i.expiresAt]),
          ),
        );
      }),
    );

  workspace
    .command("withdraw")
    .description("withdraw an invitation your workspace sent, before it is accepted (admins)")
    .argument("<invitation-id>", "id of the invitation (inv_…)")
    .requiredOption("--workspace <name>", "the workspace that sent it")
    .action(
      run(async (ctx, invitationId: string, options: { workspace: string }) => {
        const done = await withCaller(ctx, async (db, caller) =>
          withdrawInvitation(db, {
            principal: caller,
            workspace: await visibleWorkspace(db, caller, options.workspace),
            invitationId,
          }),
        );
        ctx.out.result(
          { invitation_id: invitationId, invitee: done.invitee, roles: done.roles, withdrawn: true },
          () =>
            `withdrew ${invitationId} (${done.invitee} as ${done.roles.join(", ")}); it can no longer be accepted`,
        );
      }),
    );

  workspace
    .command("accept")
    .description("accept an invitation addressed to you, with your own credentials")
    .argument("<invitation-id>", "id of the invitation (inv_…)")
    .action(
      run(async (ctx, invitationId: string) => {
        const done = await withCaller(ctx, (db, caller) =>
          acceptInvitation(db, { principal: caller, invitationId }),
        );
        ctx.out.result(
          acceptedJson(invitationId, done),
          () => `joined ${done.workspaceName} as ${done.roles.join(", ")}`,
        );
      }),
    );
}
