import { serve } from "@hono/node-server";
import type { Command } from "commander";
import { buildApi } from "../../api/server.ts";
import { invalid } from "../../core/errors.ts";
import { createOidcVerifier } from "../../identity/oidc.ts";
import { isolationLine } from "../../runners/trainer-user.ts";
import { workEmbeddedQueue } from "../../runs/work-in-process.ts";
import { openStore, storeConfigFromEnv } from "../../store/open.ts";
import { headSigningFromEnv, signHeadsOnCadence } from "../audit-heads.ts";
import type { RunAction } from "../command.ts";
import { OIDC_ENV, type OidcFlags, oidcIssuerFromFlags } from "../oidc-config.ts";
import { runtimeFromEnv } from "../runtime.ts";

/** `crucible serve`: the HTTP API (and, later, the console and gateway) on one port. */
export function registerServe(command: Command, run: RunAction): void {
  command
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--port <port>", "port to listen on", "7070")
    .option("--no-worker", "embedded store: do not work the queue in this process")
    .option(
      "--oidc-issuer <url>",
      `trust JWTs from this issuer (exactly its iss claim; env ${OIDC_ENV.oidcIssuer})`,
    )
    .option(
      "--oidc-audience <aud>",
      `the aud those JWTs must carry (default crucible; env ${OIDC_ENV.oidcAudience})`,
    )
    .option(
      "--oidc-jwks <url-or-file>",
      `the issuer's public keys: JWKS URL or file (env ${OIDC_ENV.oidcJwks})`,
    )
    .option(
      "--oidc-max-lifetime <duration>",
      `refuse JWTs living longer (exp - iat), e.g. 10m (default 1h; env ${OIDC_ENV.oidcMaxLifetime})`,
    )
    .action(
      run(async (ctx, options: { host: string; port: string; worker: boolean } & OidcFlags) => {
        const port = Number(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw invalid("--port", "is not a port", options.port, "Use 0-65535");
        const issuer = oidcIssuerFromFlags(options, ctx.env);
        // a bad JWKS file fails here, before the store is opened or the port bound
        const oidc = issuer ? createOidcVerifier([issuer]) : undefined;
        const runtime = runtimeFromEnv(ctx.env);
        const db = await openStore(storeConfigFromEnv(ctx.env));
        const app = buildApi(db, {
          ...(oidc ? { oidc } : {}),
          signingKey: runtime.signingKey(),
          // the heads file is read afresh at each verification: serve appends to it as it runs
          signedHeads: () => runtime.signedHeads(runtime.verificationKeys()),
          onInternalError: (err) => ctx.out.info(`internal error: ${(err as Error).stack ?? String(err)}`),
        });
        const server = serve({ fetch: app.fetch, hostname: options.host, port }, (info) => {
          ctx.out.info(
            `crucible serve: listening on http://${options.host}:${info.port} (OpenAPI at /openapi.json)`,
          );
          if (issuer)
            ctx.out.info(
              `crucible serve: accepting JWTs from ${issuer.issuer} for audience ${issuer.audience}`,
            );
        });
        const stopHeads = signHeadsOnCadence(
          db,
          ctx.env,
          (line) => ctx.out.info(line),
          headSigningFromEnv(ctx.env, { create: true }),
        );
        // embedded, no other process can open the store: runs started over HTTP are worked here
        const stopWorker = new AbortController();
        const working = options.worker
          ? workEmbeddedQueue(db, { ...runtime.worker, signal: stopWorker.signal })
          : undefined;
        if (working) ctx.out.info(`crucible serve: ${isolationLine(runtime.isolation)}`);
        await new Promise<void>((resolve) => {
          const stop = () => server.close(() => resolve());
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
        });
        stopWorker.abort();
        await working;
        await stopHeads({ final: true });
        await db.close();
        ctx.out.result({ stopped: true }, () => "crucible serve: stopped");
      }),
    );
}
