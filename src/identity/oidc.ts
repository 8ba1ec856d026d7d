import { readFileSync } from "node:fs";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { CrucibleError, invalid } from "../core/errors.ts";
import type { Principal } from "../policy/entities.ts";
import type { Queryable } from "../store/db.ts";
import type { Authenticated } from "./authenticated.ts";
import { findOidcBinding } from "./oidc-bindings.ts";
import { loadPrincipal } from "./principals.ts";

/** Clock skew forgiven between the issuer and this server when checking exp, nbf and iat. */
const CLOCK_TOLERANCE_S = 30;

/** The longest a federated JWT may live (exp - iat) unless an issuer is configured otherwise. */
export const DEFAULT_OIDC_MAX_LIFETIME_S = 3600;

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
  /**
   * The longest lifetime (exp - iat, seconds) accepted; default DEFAULT_OIDC_MAX_LIFETIME_S. A
   * stolen long-lived JWT is a stored secret again, which federation exists to avoid.
   */
  maxLifetimeS?: number;
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
 * Verifies a JWT (signature, issuer, audience, exp, nbf, and a lifetime exp - iat no longer than the
 * issuer's maximum) and maps issuer+subject+audience to its bound principal, with the binding's
 * claim conditions checked and the principal's roles narrowed to the binding's workspace.
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
  const maxLifetimeS = config.maxLifetimeS ?? DEFAULT_OIDC_MAX_LIFETIME_S;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jwt, keys, {
      issuer: config.issuer,
      audience: config.audience,
      algorithms: config.algorithms ?? ["RS256", "ES256", "EdDSA"],
      currentDate: now,
      clockTolerance: CLOCK_TOLERANCE_S,
      // also refuses an iat in the future, which would stretch exp - iat past the maximum
      maxTokenAge: maxLifetimeS,
      requiredClaims: ["sub", "exp", "iat"],
    }));
  } catch (err) {
    throw rejected(err);
  }
  const subject = payload.sub!;
  const lifetimeS = payload.exp! - payload.iat!;
  if (lifetimeS > maxLifetimeS)
    throw unauthenticated(
      `the JWT lives ${lifetimeS}s (exp - iat), longer than the ${maxLifetimeS}s accepted from ${config.issuer}`,
    );
  const binding = await findOidcBinding(db, config.issuer, subject, config.audience);
  if (!binding)
    throw unauthenticated(`no principal is bound to subject ${JSON.stringify(subject)} of ${config.issuer}`);
  if (binding.workspace === null)
    throw unauthenticated(
      `the binding of subject ${JSON.stringify(subject)} predates workspace-scoped bindings; an admin must bind it again`,
    );
  for (const [claim, want] of Object.entries(binding.conditions))
    if (String(payload[claim] ?? "") !== want)
      throw unauthenticated(
        `the JWT's ${claim} claim is ${JSON.stringify(payload[claim] ?? null)}, the binding requires ${JSON.stringify(want)}`,
      );
  const bound = await loadPrincipal(db, binding.principalId);
  if (bound?.kind !== "user" && bound?.kind !== "service")
    throw unauthenticated(`the principal bound to subject ${JSON.stringify(subject)} no longer exists`);
  if (bound.disabled) throw unauthenticated(`principal ${bound.id} is disabled`);
  const { disabled: _, ...principal } = bound;
  // a federated sign-in acts only in the workspace its binding was made in
  const roles = principal.roles.filter((r) => r.workspace === binding.workspace);
  return {
    principal: { ...principal, roles } as Principal,
    tokenId: null,
    expiresAt: new Date(payload.exp! * 1000),
  };
}

function rejected(err: unknown): unknown {
  if (err instanceof errors.JWTExpired) return unauthenticated("the JWT expired");
  if (err instanceof errors.JWTClaimValidationFailed)
    return unauthenticated(`the JWT's ${err.claim} claim is not accepted: ${err.reason}`);
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return unauthenticated("the JWT's signature does not verify");
  if (err instanceof errors.JWKSNoMatchingKey)
    return unauthenticated("the JWT is signed by a key the issuer does not publish");
  if (err instanceof errors.JOSEError) return unauthenticated(`the JWT is not accepted: ${err.code}`);
  return err;
}
