import { CrucibleError } from "../core/errors.ts";
import type { Principal } from "../policy/entities.ts";
import type { Queryable } from "../store/db.ts";
import type { Authenticated } from "./authenticated.ts";
import type { TokenId } from "./ids.ts";
import type { OidcVerifier } from "./oidc.ts";
import { loadPrincipal } from "./principals.ts";
import { hashSecret, looksLikeToken, sameDigest, TOKEN_PREFIX } from "./secrets.ts";
import { TOKEN_COLUMNS, type TokenRow } from "./token-row.ts";
import type { WorkloadScope } from "./workload.ts";

/** last_used_at is written at most this often per token, so reads do not turn into writes. */
const LAST_USED_RESOLUTION_MS = 60_000;

function unauthenticated(message: string, fix: string): CrucibleError {
  return new CrucibleError("unauthenticated", message, { field: "token", fix });
}

/**
 * Turns a bearer credential (`crt_...` token, or a JWT from a configured OIDC issuer) into a
 * principal with its workspace roles. Failures are `unauthenticated` and say why (missing,
 * malformed, unknown, expired, revoked, disabled) without echoing the secret.
 * @example const { principal } = await authenticate(db, request.headers.authorization, { oidc });
 */
export async function authenticate(
  db: Queryable,
  bearer: string | null | undefined,
  options: { now?: Date; oidc?: OidcVerifier } = {},
): Promise<Authenticated> {
  const now = options.now ?? new Date();
  const credential = (bearer ?? "").replace(/^Bearer\s+/i, "").trim();
  if (credential === "")
    throw unauthenticated(
      "no credentials were presented",
      "Set CRUCIBLE_TOKEN or send Authorization: Bearer crt_...",
    );
  if (!credential.startsWith(TOKEN_PREFIX)) {
    if (options.oidc && credential.split(".").length === 3) {
      // imported here: its JWT library loads only where an issuer is configured (crucible serve)
      const { verifyOidc } = await import("./oidc.ts");
      return verifyOidc(db, credential, options.oidc, now);
    }
    throw unauthenticated(
      "the credential is not a Crucible token (crt_...) or a JWT from a configured issuer",
      "Use a token issued by `crucible token create`",
    );
  }
  if (!looksLikeToken(credential))
    throw unauthenticated(
      "the token is malformed: crt_ followed by 43 base64url characters expected",
      "Copy the whole token as it was shown",
    );
  const hash = hashSecret(credential);
  const { rows } = await db.query<TokenRow>(`SELECT ${TOKEN_COLUMNS} FROM tokens WHERE secret_hash = $1`, [
    hash,
  ]);
  const row = rows[0];
  if (!row || !sameDigest(row.secret_hash, hash))
    throw unauthenticated("the token is unknown", "Check you copied the right token, or create a new one");
  if (row.revoked_at)
    throw unauthenticated(
      `token ${row.id} was revoked at ${new Date(row.revoked_at).toISOString()}`,
      "Create a new token",
    );
  const expiresAt = new Date(row.expires_at);
  if (expiresAt <= now)
    throw unauthenticated(
      `token ${row.id} expired at ${expiresAt.toISOString()}`,
      "Create a new token, or rotate tokens before they expire",
    );
  const principal = await principalOf(db, row);
  if (!row.last_used_at || now.getTime() - new Date(row.last_used_at).getTime() >= LAST_USED_RESOLUTION_MS)
    await db.query("UPDATE tokens SET last_used_at = $2 WHERE id = $1", [row.id, now.toISOString()]);
  return { principal, tokenId: row.id as TokenId, expiresAt };
}

async function principalOf(db: Queryable, row: TokenRow): Promise<Principal> {
  if (row.kind === "workload") {
    const scope = (typeof row.scope === "string" ? JSON.parse(row.scope) : row.scope) as WorkloadScope;
    return {
      kind: "workload",
      run: {
        id: row.run_id!,
        workspace: row.workspace_id!,
        starter: scope.starter,
        datasets: scope.datasets,
        rewards: scope.rewards,
      },
    };
  }
  const principal = await loadPrincipal(db, row.principal_id!);
  if (!principal) throw unauthenticated(`token ${row.id} belongs to no principal`, "Create a new token");
  if (principal.disabled)
    throw unauthenticated(`principal ${row.principal_id} is disabled`, "Ask an admin to re-enable it");
  const { disabled: _, ...rest } = principal;
  return rest as Principal;
}
