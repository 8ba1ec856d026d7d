import type { Hono } from "hono";
import type { SignedClaim } from "../audit/verify.ts";
import { authenticate } from "../identity/authenticate.ts";
import type { OidcVerifier } from "../identity/oidc.ts";
import type { SigningKey } from "../provenance/signing-key.ts";
import type { Db } from "../store/db.ts";
import { createApp } from "./app.ts";
import { checkpointRoutes } from "./routes/checkpoints.ts";
import { datasetRoutes } from "./routes/datasets.ts";
import { governanceRoutes } from "./routes/governance.ts";
import { lifecycleRoutes } from "./routes/lifecycle.ts";
import { oidcRoutes } from "./routes/oidc.ts";
import { runRoutes } from "./routes/runs.ts";
import { tenancyRoutes } from "./routes/tenancy.ts";

export interface ApiOptions {
  /** Verifies federated JWTs (SSO, CI pipelines, Kubernetes) when issuers are configured. */
  oidc?: OidcVerifier;
  onInternalError?: (err: unknown) => void;
  /** Signs the provenance of approved checkpoints (the installation key); without it none is written. */
  signingKey?: SigningKey;
  /**
   * The signed audit heads known now (their signatures checked), read at every verification:
   * `GET …/audit/verify` checks the live chain extends each, as `crucible audit verify` does.
   */
  signedHeads?: () => readonly SignedClaim[];
}

export const API_VERSION = "0.1.0";

/**
 * The Crucible HTTP API over one store. Every bearer route authenticates first; every service it
 * calls authorises and audits its own decision.
 * @example const res = await buildApi(db).request("/v1/me", { headers: { authorization: `Bearer ${token}` } });
 */
export function buildApi(db: Db, options: ApiOptions = {}): Hono {
  return createApp({
    routes: [
      ...governanceRoutes(db, options.signedHeads ? { signedHeads: options.signedHeads } : {}),
      ...lifecycleRoutes(db),
      ...oidcRoutes(db),
      ...tenancyRoutes(db),
      ...datasetRoutes(db),
      ...checkpointRoutes(db, options.signingKey ? { signingKey: options.signingKey } : {}),
      ...runRoutes(db),
    ],
    authenticate: (bearer) => authenticate(db, bearer, options.oidc ? { oidc: options.oidc } : {}),
    version: API_VERSION,
    ...(options.onInternalError ? { onInternalError: options.onInternalError } : {}),
  });
}
