import type { Command } from "commander";
import { invalid } from "../../core/errors.ts";
import { bindOidcSubject, listOidcBindings, removeOidcBinding } from "../../identity/oidc-bindings.ts";
import { visibleMember, visibleWorkspace } from "../../identity/tenancy.ts";
import type { RunAction } from "../command.ts";
import { table } from "../io.ts";
import { withCaller } from "../session.ts";

interface BindOptions {
  workspace: string;
  issuer: string;
  subject: string;
  audience: string;
  claim: string[];
}

/**
 * `crucible principal bind-oidc|oidc-bindings|unbind-oidc NAME`: let a pipeline or cluster sign in
 * as NAME with its JWTs, see who may, and stop one.
 */
export function registerOidcBindings(principal: Command, run: RunAction): void {
  principal
    .command("bind-oidc")
    .description(
      "let JWTs from a trusted issuer (CI pipeline, Kubernetes service account) sign in as a principal of your workspace (admins)",
    )
    .argument("<name>", "principal of the workspace the JWTs act as, e.g. train-pipeline")
    .requiredOption(
      "--workspace <name>",
      "your workspace; the sign-in carries the principal's roles there only",
    )
    .requiredOption("--issuer <url>", "the issuer, exactly as the JWTs' iss claim")
    .requiredOption("--subject <sub>", "the JWTs' sub claim, e.g. repo:acme/train:ref:refs/heads/main")
    .option("--audience <aud>", "the aud the JWTs carry (as configured on crucible serve)", "crucible")
    .option(
      "--claim <claim=value>",
      "also require this claim to hold exactly this value (repeatable)",
      collect,
      [],
    )
    .action(
      run(async (ctx, name: string, options: BindOptions) => {
        const conditions = parseClaims(options.claim);
        const target = await withCaller(ctx, async (db, caller) => {
          const workspace = await visibleWorkspace(db, caller, options.workspace);
          const id = await visibleMember(db, caller, workspace, name);
          await bindOidcSubject(db, {
            principal: caller,
            workspace,
            issuer: options.issuer,
            subject: options.subject,
            audience: options.audience,
            target: id,
            conditions,
          });
          return id;
        });
        ctx.out.result(
          {
            principal: { id: target, name },
            workspace: options.workspace,
            issuer: options.issuer,
            subject: options.subject,
            audience: options.audience,
            conditions,
          },
          () =>
            `bound ${options.subject} of ${options.issuer} (audience ${options.audience}) to ${name} in ${options.workspace}`,
        );
      }),
    );

  principal
    .command("oidc-bindings")
    .description("the issuers' subjects bound to a principal in your workspace (admins, auditors)")
    .argument("<name>", "principal of the workspace")
    .requiredOption("--workspace <name>", "your workspace; bindings made elsewhere are that workspace's")
    .action(
      run(async (ctx, name: string, options: { workspace: string }) => {
        const bindings = await withCaller(ctx, async (db, caller) => {
          const workspace = await visibleWorkspace(db, caller, options.workspace);
          const target = await visibleMember(db, caller, workspace, name);
          return listOidcBindings(db, { principal: caller, workspace, target });
        });
        ctx.out.result({ principal: name, workspace: options.workspace, bindings }, () =>
          table(
            ["issuer", "subject", "audience", "conditions", "bound by", "at"],
            bindings.map((b) => [
              b.issuer,
              b.subject,
              b.audience,
              Object.entries(b.conditions)
                .map(([k, v]) => `${k}=${v}`)
                .join(","),
              b.createdBy,
              b.createdAt,
            ]),
          ),
        );
      }),
    );

  principal
    .command("unbind-oidc")
    .description(
      "remove a binding made in your workspace: JWTs with that subject no longer sign in as the principal (admins)",
    )
    .argument("<name>", "principal of the workspace")
    .requiredOption("--workspace <name>", "the workspace the binding was made in")
    .requiredOption("--issuer <url>", "the binding's issuer")
    .requiredOption("--subject <sub>", "the binding's subject")
    .option("--audience <aud>", "the binding's audience", "crucible")
    .action(
      run(async (ctx, name: string, options: Omit<BindOptions, "claim">) => {
        await withCaller(ctx, async (db, caller) => {
          const workspace = await visibleWorkspace(db, caller, options.workspace);
          await removeOidcBinding(db, {
            principal: caller,
            workspace,
            target: await visibleMember(db, caller, workspace, name),
            issuer: options.issuer,
            subject: options.subject,
            audience: options.audience,
          });
        });
        ctx.out.result(
          {
            principal: name,
            workspace: options.workspace,
            issuer: options.issuer,
            subject: options.subject,
            audience: options.audience,
            removed: true,
          },
          () =>
            `removed the binding of ${options.subject} of ${options.issuer} (audience ${options.audience}) to ${name} in ${options.workspace}`,
        );
      }),
    );
}

function parseClaims(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0)
      throw invalid("--claim", "a condition is CLAIM=VALUE", pair, "Write e.g. --claim ref=refs/heads/main");
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
