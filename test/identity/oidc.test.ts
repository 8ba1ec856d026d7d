import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { authenticate } from "../../src/identity/authenticate.ts";
import { createOidcVerifier, type OidcVerifier } from "../../src/identity/oidc.ts";
import { bindOidcSubject } from "../../src/identity/oidc-bindings.ts";
import { createServiceIdentity } from "../../src/identity/principals.ts";
import { bootstrap } from "../../src/identity/workspaces.ts";
import { describeEachStore } from "../support/stores.ts";
import { as, rejection } from "./support.ts";

const FILE_ISSUER = "https://ci.example.test";
const URL_ISSUER = "https://cluster.example.test";
const AUDIENCE = "crucible";
const SUBJECT = "repo:acme/train:ref:refs/heads/main";

type Key = Awaited<ReturnType<typeof generateKeyPair>>;
let ciKey: Key;
let clusterKey: Key;
let impostorKey: Key;
let server: Server;
let oidc: OidcVerifier;

async function publicJwk(key: Key, kid: string): Promise<JWK> {
  return { ...(await exportJWK(key.publicKey)), kid, alg: "ES256", use: "sig" };
}

beforeAll(async () => {
  ciKey = await generateKeyPair("ES256");
  clusterKey = await generateKeyPair("ES256");
  impostorKey = await generateKeyPair("ES256");
  const file = join(mkdtempSync(join(tmpdir(), "oidc-")), "jwks.json");
  writeFileSync(file, JSON.stringify({ keys: [await publicJwk(ciKey, "ci-1")] }));
  const clusterJwks = JSON.stringify({ keys: [await publicJwk(clusterKey, "k8s-1")] });
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(clusterJwks);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  oidc = createOidcVerifier([
    { issuer: FILE_ISSUER, audience: AUDIENCE, jwks: { file } },
    { issuer: URL_ISSUER, audience: AUDIENCE, jwks: { url: `http://127.0.0.1:${port}/jwks` } },
  ]);
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function jwt(
  key: Key,
  options: { kid?: string; iss?: string; aud?: string; sub?: string; exp?: number | string } = {},
) {
  return new SignJWT({})
    .setProtectedHeader({ alg: "ES256", kid: options.kid ?? "ci-1" })
    .setIssuer(options.iss ?? FILE_ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
    .setSubject(options.sub ?? SUBJECT)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? "5m")
    .sign(key.privateKey);
}

describeEachStore("identity: OIDC federation", (open) => {
  it("maps a valid JWT from a configured issuer to its bound principal, and refuses every bad one", async () => {
    const db = await open();
    try {
      const { workspace, admin } = await bootstrap(db, { workspace: "acme", admin: "root" });
      const root = await as(db, admin);
      const bot = await createServiceIdentity(db, {
        principal: root,
        workspace,
        name: "train-pipeline",
        owner: admin,
        roles: ["ml-engineer"],
      });
      await bindOidcSubject(db, {
        principal: root,
        workspace,
        issuer: FILE_ISSUER,
        subject: SUBJECT,
        audience: AUDIENCE,
        target: bot,
      });
      await bindOidcSubject(db, {
        principal: root,
        workspace,
        issuer: URL_ISSUER,
        subject: "system:serviceaccount:ml:trainer",
        audience: AUDIENCE,
        target: bot,
      });

      const ok = await authenticate(db, `Bearer ${await jwt(ciKey)}`, { oidc });
      expect(ok.principal).toMatchObject({
        kind: "service",
        id: bot,
        roles: [{ workspace, role: "ml-engineer" }],
      });
      expect(ok.tokenId).toBeNull();
      const viaUrl = await authenticate(
        db,
        await jwt(clusterKey, { kid: "k8s-1", iss: URL_ISSUER, sub: "system:serviceaccount:ml:trainer" }),
        { oidc },
      );
      expect(viaUrl.principal).toMatchObject({ id: bot });

      const why = async (token: string) => {
        const err = await rejection(authenticate(db, token, { oidc }));
        expect(err.code).toBe("unauthenticated");
        return err.message;
      };
      expect(await why(await jwt(ciKey, { exp: Math.floor(Date.now() / 1000) - 120 }))).toMatch(/expired/);
      expect(await why(await jwt(ciKey, { aud: "someone-else" }))).toMatch(/aud claim/);
      expect(await why(await jwt(impostorKey))).toMatch(/signature does not verify/);
      expect(await why(await jwt(impostorKey, { kid: "other" }))).toMatch(/key the issuer does not publish/);
      expect(await why(await jwt(ciKey, { iss: "https://evil.example.test" }))).toMatch(/not configured/);
      expect(await why(await jwt(ciKey, { sub: "repo:acme/fork:ref:refs/heads/main" }))).toMatch(
        /no principal is bound/,
      );
      expect(await why("not.a.jwt")).toMatch(/malformed/);
      // a JWT is accepted only when an issuer is configured at all
      expect((await rejection(authenticate(db, await jwt(ciKey)))).code).toBe("unauthenticated");
    } finally {
      await db.close();
    }
  });
});
