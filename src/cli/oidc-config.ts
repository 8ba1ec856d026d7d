import { invalid } from "../core/errors.ts";
import { DEFAULT_OIDC_MAX_LIFETIME_S, type OidcIssuerConfig } from "../identity/oidc.ts";
import { parseDuration } from "./duration.ts";

/** `crucible serve`'s OIDC flags; each falls back to its environment variable. */
export interface OidcFlags {
  oidcIssuer?: string;
  oidcAudience?: string;
  oidcJwks?: string;
  oidcMaxLifetime?: string;
}

/** The environment variable behind each flag, for configuration by a service manager. */
export const OIDC_ENV = {
  oidcIssuer: "CRUCIBLE_OIDC_ISSUER",
  oidcAudience: "CRUCIBLE_OIDC_AUDIENCE",
  oidcJwks: "CRUCIBLE_OIDC_JWKS",
  oidcMaxLifetime: "CRUCIBLE_OIDC_MAX_LIFETIME",
} as const;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * The trusted issuer `crucible serve` was configured with (flags over environment), or
 * undefined when none is. An issuer needs its JWKS (an https URL, a loopback http URL, or a
 * file) and an audience; a JWT longer-lived than the maximum (default 1h) is refused.
 * @example oidcIssuerFromFlags({ oidcIssuer: "https://token.actions.githubusercontent.com", oidcJwks: "https://token.actions.githubusercontent.com/.well-known/jwks", oidcAudience: "crucible" }, process.env)
 */
export function oidcIssuerFromFlags(flags: OidcFlags, env: NodeJS.ProcessEnv): OidcIssuerConfig | undefined {
  const pick = (key: keyof OidcFlags) => {
    const value = flags[key] ?? env[OIDC_ENV[key]];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const issuer = pick("oidcIssuer");
  const jwks = pick("oidcJwks");
  const audience = pick("oidcAudience") ?? "crucible";
  const maxLifetime = pick("oidcMaxLifetime");
  if (issuer === undefined) {
    if (jwks !== undefined || maxLifetime !== undefined)
      throw invalid(
        "--oidc-issuer",
        "OIDC settings were given without an issuer",
        jwks ?? maxLifetime,
        `Name the issuer with --oidc-issuer (or ${OIDC_ENV.oidcIssuer}), exactly as its JWTs' iss claim`,
      );
    return undefined;
  }
  if (!/^https:\/\/\S+$/.test(issuer))
    throw invalid(
      "--oidc-issuer",
      "an issuer is an https URL",
      issuer,
      "Give the iss claim the issuer's JWTs carry, e.g. https://token.actions.githubusercontent.com",
    );
  if (jwks === undefined)
    throw invalid(
      "--oidc-jwks",
      "an issuer needs its public keys",
      issuer,
      `Give the issuer's JWKS URL or a JWKS file with --oidc-jwks (or ${OIDC_ENV.oidcJwks})`,
    );
  const maxLifetimeS =
    maxLifetime === undefined
      ? DEFAULT_OIDC_MAX_LIFETIME_S
      : parseDuration("--oidc-max-lifetime", maxLifetime);
  if (maxLifetimeS <= 0)
    throw invalid("--oidc-max-lifetime", "must be positive", maxLifetime, "Use e.g. 10m or 1h");
  return { issuer, audience, jwks: jwksSource(jwks), maxLifetimeS };
}

function jwksSource(text: string): OidcIssuerConfig["jwks"] {
  if (!/^[a-z]+:\/\//i.test(text)) return { file: text };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid("--oidc-jwks", "is not a URL", text, "Give an https URL or a file path");
  }
  // keys fetched in clear text could be swapped on the way; only the local machine is exempt
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname)))
    throw invalid(
      "--oidc-jwks",
      "a JWKS URL must be https (http only on the loopback address)",
      text,
      "Use the issuer's https JWKS URL, or download it to a file",
    );
  return { url: url.toString() };
}
