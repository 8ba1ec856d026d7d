import { readFileSync } from "node:fs";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { CrucibleError, invalid } from "../core/errors.ts";
import { governed } from "../policy/audited.ts";
import { actorId, type Principal } from "../policy/entities.ts";
import type { Db, Queryable } from "../store/db.ts";
import type { Authenticated } from "./authenticate.ts";
import { loadPrincipal, requirePrincipal } from "./principals.ts";

/** One trusted OIDC issuer (a CI system, a Kubernetes cluster, a corporate IdP). */
export interface OidcIssuerConfig {
  /** Exactly the `iss` claim, e.g. `https://token.actions.githubusercontent.com`. */
  issuer: string;
  /** The `aud` a token must carry to be accepted here. */
  audience: string;
  /** Where the issuer's public keys are: a JWKS file, or its JWKS URL. */
  jwks: { file: string } | { url: string };
  /** Accepted signing algorithms; default RS256, ES256, EdDSA. */
  algorithms?: string[];
}

/** The configured issuers with their key sets, built once by the entry point. */
export interface OidcVerifier {
  readonly issuers: ReadonlyMap<string, { config: OidcIssuerConfig; keys: JWTVerifyGetKey }>;
}

/**
 * Builds a verifier for the configured issuers. JWKS files are read now; URLs are fetched on
 * first use and cached by jose.
 * @example const oidc = createOidcVerifier([{ issuer, audience: "crucible", jwks: { file: "/etc/crucible/ci-jwks.json" } }]);
 */
export function createOidcVerifier(configs: readonly OidcIssuerConfig[]): OidcVerifier {
  const issuers = new Map<string, { config: OidcIssuerConfig; keys: JWTVerifyGetKey }>();
  for (const config of configs) {
    let keys: JWTVerifyGetKey;
    if ("file" in config.jwks) {
      let jwks: JSONWebKeySet;
      try {
        jwks = JSON.parse(readFileSync(config.jwks.file, "utf8")) as JSONWebKeySet;
      } catch (err) {
        throw invalid(
          "oidc.jwks.file",
          `cannot read a JWKS: ${(err as Error).message}`,
          config.jwks.file,
          "Point it at the issuer's JWKS JSON file",
        );
      }
      keys = createLocalJWKSet(jwks);
    } else {
      keys = createRemoteJWKSet(new URL(config.jwks.url));
    }
    issuers.set(config.issuer, { config, keys });
  }
  return { issuers };
}

function unauthenticated(message: string): CrucibleError {
  return new CrucibleError("unauthenticated", message, {
    field: "token",
    fix: "Present a current token from a configured issuer, for this audience, bound to a principal",
  });
}

/**
 * Verifies a JWT (signature, issuer, audience, expiry) and maps issuer+subject+audience to a principal.
 * @example const { principal } = await verifyOidc(db, jwt, oidc, new Date());
 */
export async function verifyOidc(
  db: Queryable,
  jwt: string,
  verifier: OidcVerifier,
  now: Date,
): Promise<Authenticated> {
  let issuer: string | undefined;
  try {
    issuer = decodeJwt(jwt).iss;
  } catch {
    throw unauthenticated("the JWT is malformed");
  }
  const entry = issuer ? verifier.issuers.get(issuer) : undefined;
  if (!entry) throw unauthenticated(`the JWT's issuer ${JSON.stringify(issuer ?? null)} is not configured`);
  const { config, keys } = entry;
  let subject: string;
  let expiresAt: Date;
  try {
    const { payload } = await jwtVerify(jwt, keys, {
      issuer: config.issuer,
      audience: config.audience,
      algorithms: config.algorithms ?? ["RS256", "ES256", "EdDSA"],
      currentDate: now,
      requiredClaims: ["sub", "exp"],
    });
    subject = payload.sub!;
    expiresAt = new Date(payload.exp! * 1000);
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw unauthenticated("the JWT expired");
    if (err instanceof errors.JWTClaimValidationFailed)
      throw unauthenticated(`the JWT's ${err.claim} claim is not accepted: ${err.reason}`);
    if (err instanceof errors.JWSSignatureVerificationFailed)
      throw unauthenticated("the JWT's signature does not verify");
    if (err instanceof errors.JWKSNoMatchingKey)
      throw unauthenticated("the JWT is signed by a key the issuer does not publish");
    if (err instanceof errors.JOSEError) throw unauthenticated(`the JWT is not accepted: ${err.code}`);
    throw err;
  }
  const { rows } = await db.query<{ principal_id: string }>(
    "SELECT principal_id FROM oidc_bindings WHERE issuer = $1 AND subject = $2 AND audience = $3",
    [config.issuer, subject, config.audience],
  );
  const bound = rows[0] ? await loadPrincipal(db, rows[0].principal_id) : undefined;
  if (!bound)
    throw unauthenticated(`no principal is bound to subject ${JSON.stringify(subject)} of ${config.issuer}`);
  if (bound.disabled)
    throw unauthenticated(
      `principal ${bound.kind === "user" || bound.kind === "service" ? bound.id : ""} is disabled`,
    );
  const { disabled: _, ...principal } = bound;
  return { principal: principal as Principal, tokenId: null, expiresAt };
}

/**
 * Binds an issuer's subject (for one audience) to a principal, so that principal can sign in
 * with its JWTs instead of a stored secret. Needs `principal.create` in the workspace.
 * @example await bindOidcSubject(db, { principal: root, workspace, issuer, subject: "repo:acme/train:ref:refs/heads/main", audience: "crucible", target: bot });
 */
export async function bindOidcSubject(
  db: Db,
  input: {
    principal: Principal;
    workspace: string;
    issuer: string;
    subject: string;
    audience: string;
    target: string;
  },
): Promise<void> {
  const request = {
    principal: input.principal,
    action: "principal.create",
    resource: { type: "Workspace", id: input.workspace },
  } as const;
  await governed(
    db,
    request,
    async (tx) => {
      await requirePrincipal(tx, input.target, "target");
      await tx.query(
        "INSERT INTO oidc_bindings (issuer, subject, audience, principal_id, created_by) VALUES ($1, $2, $3, $4, $5)",
        [input.issuer, input.subject, input.audience, input.target, actorId(input.principal)],
      );
    },
    {
      payload: {
        issuer: input.issuer,
        subject: input.subject,
        audience: input.audience,
        target: input.target,
      },
    },
  );
}
