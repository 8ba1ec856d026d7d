import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { createServiceIdentity, createUser, createWorkspace } from "../../../src/identity/index.ts";
import { acceptInvitation, inviteMember } from "../../../src/identity/invitations.ts";
import { bootstrap } from "../../../src/identity/workspaces.ts";
import type { Db } from "../../../src/store/db.ts";
import { as } from "../../identity/support.ts";

export const ISSUER = "https://ci.example.test";
export const AUDIENCE = "crucible";
export const SUBJECT = "repo:acme/train:ref:refs/heads/main";

export interface JwtOptions {
  iss?: string;
  aud?: string;
  sub?: string;
  /** Seconds from iat to exp (default 300); null leaves exp out. */
  lifetimeS?: number | null;
  /** Seconds from now until nbf, when given. */
  notBeforeS?: number;
  /** Seconds from now to iat (default 0). */
  issuedInS?: number;
  claims?: object;
}

/** An OIDC issuer played by the test, offline: its JWKS in a file and on a loopback server. */
export interface TestIssuer {
  jwksFile: string;
  jwksUrl: string;
  jwt: (options?: JwtOptions) => Promise<string>;
  close: () => Promise<void>;
}

/**
 * Generates an ES256 key, writes its JWKS to a file, serves it on 127.0.0.1, and signs JWTs as
 * the issuer would.
 * @example const issuer = await startIssuer(); const token = await issuer.jwt({ lifetimeS: 600 });
 */
export async function startIssuer(): Promise<TestIssuer> {
  const key = await generateKeyPair("ES256");
  const jwks = JSON.stringify({
    keys: [{ ...(await exportJWK(key.publicKey)), kid: "ci-1", alg: "ES256", use: "sig" }],
  });
  const jwksFile = join(mkdtempSync(join(tmpdir(), "oidc-attack-")), "jwks.json");
  writeFileSync(jwksFile, jwks);
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const jwt = (options: JwtOptions = {}) => {
    const now = Math.floor(Date.now() / 1000) + (options.issuedInS ?? 0);
    const token = new SignJWT({ ...options.claims })
      .setProtectedHeader({ alg: "ES256", kid: "ci-1" })
      .setIssuer(options.iss ?? ISSUER)
      .setAudience(options.aud ?? AUDIENCE)
      .setSubject(options.sub ?? SUBJECT)
      .setIssuedAt(now);
    if (options.lifetimeS !== null) token.setExpirationTime(now + (options.lifetimeS ?? 300));
    if (options.notBeforeS !== undefined)
      token.setNotBefore(Math.floor(Date.now() / 1000) + options.notBeforeS);
    return token.sign(key.privateKey);
  };
  return {
    jwksFile,
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    jwt,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * acme (admin root; ada, admin of acme only; service train-bot) and globex (admin gina, and
 * root; service globex-bot).
 * @example const t = await twoTenants(db); await bindOidcSubject(db, { principal: await as(db, t.ada), workspace: t.acme, target: t.globexBot, ... });
 */
export async function twoTenants(db: Db) {
  const { workspace: acme, admin: root } = await bootstrap(db, { workspace: "acme", admin: "root" });
  const rootP = await as(db, root);
  const globex = await createWorkspace(db, { principal: rootP, name: "globex" });
  const gina = await createUser(db, {
    principal: await as(db, root),
    workspace: globex,
    name: "gina",
    roles: ["admin"],
  });
  const ada = await createUser(db, { principal: rootP, workspace: acme, name: "ada", roles: ["admin"] });
  const bot = await createServiceIdentity(db, {
    principal: rootP,
    workspace: acme,
    name: "train-bot",
    owner: root,
    roles: ["ml-engineer"],
  });
  const globexBot = await createServiceIdentity(db, {
    principal: await as(db, gina),
    workspace: globex,
    name: "globex-bot",
    owner: gina,
    roles: ["ml-engineer"],
  });
  // uma works in both: ml-engineer in acme, auditor in globex by an invitation she accepted
  const uma = await createUser(db, {
    principal: rootP,
    workspace: acme,
    name: "uma",
    roles: ["ml-engineer"],
  });
  const { invitationId } = await inviteMember(db, {
    principal: await as(db, gina),
    workspace: globex,
    invitee: "uma",
    roles: ["auditor"],
  });
  await acceptInvitation(db, { principal: await as(db, uma), invitationId });
  return { acme, globex, root, ada, gina, bot, globexBot, uma };
}
