import type { Command } from "commander";
import { CrucibleError } from "../../core/errors.ts";
import { issuedTokenJson } from "../../identity/json.ts";
import { revokePrincipalTokens } from "../../identity/lifecycle.ts";
import { setServiceBound } from "../../identity/service-bound.ts";
import { visiblePrincipal } from "../../identity/tenancy.ts";
import { listOwnTokens } from "../../identity/token-list.ts";
import { createToken, revokeToken, rotateToken } from "../../identity/tokens.ts";
import { actorId } from "../../policy/entities.ts";
import type { RunAction } from "../command.ts";
import { parseDuration, parsePositiveDuration } from "../duration.ts";
import { table } from "../io.ts";
import { withCaller } from "../session.ts";

/** `crucible token create|list|rotate|revoke|bound`: bearer tokens, shown once and stored hashed. */
export function registerToken(token: Command, run: RunAction): void {
  token
    .command("create")
    .description("issue a token for yourself, or (its owner, admins) for a service identity")
    .option("--for <principal>", "whom the token authenticates (default: you)")
    .option("--ttl <duration>", "lifetime, e.g. 12h or 30d (capped by policy)", "30d")
    .option("--label <text>", "what the token is for")
    .action(
      run(async (ctx, options: { for?: string; ttl: string; label?: string }) => {
        const lifetimeS = parsePositiveDuration("--ttl", options.ttl);
        const issued = await withCaller(ctx, async (db, caller) => {
          const subject = options.for
            ? await visiblePrincipal(db, caller, options.for, "--for")
            : actorId(caller);
          return createToken(db, {
            principal: caller,
            subject,
            lifetimeS,
            ...(options.label ? { label: options.label } : {}),
          });
        });
        ctx.out.result(issuedTokenJson(issued), () =>
          [
            issued.secret,
            "",
            `token ${issued.tokenId}, expires ${issued.expiresAt.toISOString()}`,
            "This is the only time the token is shown; store it now (e.g. export CRUCIBLE_TOKEN=...).",
          ].join("\n"),
        );
      }),
    );

  token
    .command("list")
    .description(
      "your own bearer tokens, newest first (never their secrets); no policy action reads another principal's",
    )
    .action(
      run(async (ctx) => {
        const tokens = await withCaller(ctx, (db, caller) => listOwnTokens(db, caller));
        const iso = (d: Date | null) => d?.toISOString() ?? null;
        ctx.out.result(
          {
            tokens: tokens.map((t) => ({
              id: t.id,
              label: t.label,
              kind: t.kind,
              status: t.status,
              created_at: iso(t.createdAt),
              expires_at: iso(t.expiresAt),
              last_used_at: iso(t.lastUsedAt),
              revoked_at: iso(t.revokedAt),
              replaced_by: t.replacedBy,
            })),
          },
          () =>
            table(
              ["token", "label", "status", "created", "expires", "last used"],
              tokens.map((t) => [
                t.id,
                t.label ?? "",
                t.status,
                t.createdAt.toISOString(),
                t.expiresAt.toISOString(),
                t.lastUsedAt?.toISOString() ?? "never",
              ]),
            ),
        );
      }),
    );

  token
    .command("rotate")
    .description("issue a replacement; the old token keeps working for the overlap window")
    .argument("<token-id>", "id of the token to replace (tok_…)")
    .option("--overlap <duration>", "how long the old token stays valid", "1h")
    .option("--ttl <duration>", "lifetime of the new token", "30d")
    .action(
      run(async (ctx, tokenId: string, options: { overlap: string; ttl: string }) => {
        const overlapS = parseDuration("--overlap", options.overlap);
        const lifetimeS = parsePositiveDuration("--ttl", options.ttl);
        const issued = await withCaller(ctx, (db, caller) =>
          rotateToken(db, { principal: caller, tokenId, overlapS, lifetimeS }),
        );
        ctx.out.result({ ...issuedTokenJson(issued), replaces: tokenId }, () =>
          [
            issued.secret,
            "",
            `token ${issued.tokenId} replaces ${tokenId}, which stays valid for ${options.overlap}`,
          ].join("\n"),
        );
      }),
    );

  token
    .command("revoke")
    .description("revoke a token now, or with --principal every active token of a principal")
    .argument("[token-id]", "id of the token (tok_…)")
    .option("--principal <name>", "revoke every active token of this principal instead")
    .action(
      run(async (ctx, tokenId: string | undefined, options: { principal?: string }) => {
        if (Boolean(tokenId) === Boolean(options.principal))
          throw new CrucibleError("invalid_argument", "name a token id or --principal, not both", {
            field: "token-id",
            value: tokenId,
            fix: "crucible token revoke tok_… or crucible token revoke --principal NAME",
          });
        // a user's tokens act in every workspace the user belongs to: the admins of each decide
        const revoked = await withCaller(ctx, async (db, caller) => {
          if (tokenId) {
            await revokeToken(db, { principal: caller, tokenId });
            return 1;
          }
          const subject = await visiblePrincipal(db, caller, options.principal!, "--principal");
          return (await revokePrincipalTokens(db, { principal: caller, subject })).revokedTokens;
        });
        ctx.out.result(
          tokenId
            ? { token_id: tokenId, revoked: true }
            : { principal: options.principal, revoked: true, revoked_tokens: revoked },
          () => (tokenId ? `revoked ${tokenId}` : `revoked ${revoked} token(s) of ${options.principal}`),
        );
      }),
    );

  token
    .command("bound")
    .description(
      "as a service identity's owner: how long the tokens it mints itself live, and until when it may renew them",
    )
    .argument("<service>", "service identity name")
    .requiredOption("--max-ttl <duration>", "longest token it may mint itself, e.g. 7d")
    .requiredOption("--renew-until <date>", "no token it mints itself expires after this, e.g. 2027-06-30")
    .action(
      run(async (ctx, name: string, options: { maxTtl: string; renewUntil: string }) => {
        const maxLifetimeS = parsePositiveDuration("--max-ttl", options.maxTtl);
        const renewUntil = new Date(options.renewUntil);
        if (Number.isNaN(renewUntil.getTime()))
          throw new CrucibleError("invalid_argument", "is not a date", {
            field: "--renew-until",
            value: options.renewUntil,
            fix: "Give a date such as 2027-06-30",
          });
        await withCaller(ctx, async (db, caller) => {
          const subject = await visiblePrincipal(db, caller, name, "service");
          await setServiceBound(db, { principal: caller, subject, maxLifetimeS, renewUntil });
        });
        ctx.out.result(
          { service: name, max_lifetime_s: maxLifetimeS, renew_until: renewUntil.toISOString() },
          () =>
            `${name} may mint itself tokens of up to ${options.maxTtl}, expiring by ${renewUntil.toISOString()}`,
        );
      }),
    );
}
