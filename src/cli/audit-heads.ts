import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  DEFAULT_HEAD_EVERY_APPENDS,
  DEFAULT_HEAD_EVERY_SECONDS,
  type HeadSigning,
  signHeadIfDue,
} from "../audit/head-signer.ts";
import { CrucibleError, invalid } from "../core/errors.ts";
import { loadOrCreateSigningKey, PRIVATE_KEY_FILE, type SigningKey } from "../provenance/signing-key.ts";
import { homeLayout } from "../runtime/home.ts";
import type { Runtime } from "../runtime/runtime.ts";
import type { Db, Queryable } from "../store/db.ts";
import { crucibleHome, storeConfigFromEnv } from "../store/open.ts";

/**
 * Where the installation's signed audit heads are appended: `$CRUCIBLE_HOME/audit/heads.jsonl`.
 * @example headsFileOf(process.env) // "/srv/crucible/audit/heads.jsonl"
 */
export function headsFileOf(env: NodeJS.ProcessEnv): string {
  return homeLayout(crucibleHome(env)).headsFile;
}

/**
 * Whether this host holds the installation's private key (`$CRUCIBLE_HOME/keys`): where it does
 * not (a worker on another machine), audit heads are signed elsewhere.
 * @example if (!hasInstallationKey(ctx.env)) ctx.out.info("heads are signed elsewhere");
 */
export function hasInstallationKey(env: NodeJS.ProcessEnv): boolean {
  return existsSync(join(homeLayout(crucibleHome(env)).keysDir, PRIVATE_KEY_FILE));
}

/**
 * Whether the CLI acts on the embedded store. An embedded home is the installation, so it may
 * create the installation key on first use; a CLI pointed at a server may run on any machine,
 * and signs only with a key already there (the control plane's host).
 * @example headSigningFromEnv(ctx.env, { create: isEmbedded(ctx.env) })
 */
export function isEmbedded(env: NodeJS.ProcessEnv): boolean {
  return storeConfigFromEnv(env).kind !== "postgres";
}

/**
 * The installation key for signing provenance from the CLI (`runtime.signingKey()`): created on
 * the embedded store if it is missing; on a server only where it already exists (the control
 * plane's host), never a key of the laptop's own that no verifier of the installation would know.
 * @example approveCheckpoint(db, caller, { workspace, ref, key: provenanceKey(ctx.env, runtime) })
 */
export function provenanceKey(
  env: NodeJS.ProcessEnv,
  runtime: Pick<Runtime, "home" | "signingKey">,
): SigningKey {
  if (isEmbedded(env) || hasInstallationKey(env)) return runtime.signingKey();
  throw new CrucibleError(
    "failed_precondition",
    "there is no installation signing key here to sign provenance with",
    {
      field: "signing key",
      value: runtime.home.keysDir,
      fix: "Approve through crucible serve (POST /v1/workspaces/{workspace}/checkpoints/{checkpoint}/approve), or run this on the control plane's host, where $CRUCIBLE_HOME/keys holds the installation key",
    },
  );
}

/**
 * The head-signing cadence from the environment: `CRUCIBLE_AUDIT_HEAD_EVERY` appends (default
 * 100) or `CRUCIBLE_AUDIT_HEAD_SECONDS` (default 60). `create` says whether a missing
 * installation key may be created (the server, an export) or not (cadence after a CLI command).
 * @example const signing = headSigningFromEnv(ctx.env, { create: true });
 */
export function headSigningFromEnv(env: NodeJS.ProcessEnv, options: { create: boolean }): HeadSigning {
  const { keysDir } = homeLayout(crucibleHome(env));
  return {
    key: () =>
      options.create || existsSync(join(keysDir, PRIVATE_KEY_FILE)) ? loadOrCreateSigningKey(keysDir) : null,
    headsFile: headsFileOf(env),
    everyAppends: positive(env, "CRUCIBLE_AUDIT_HEAD_EVERY", DEFAULT_HEAD_EVERY_APPENDS),
    everySeconds: positive(env, "CRUCIBLE_AUDIT_HEAD_SECONDS", DEFAULT_HEAD_EVERY_SECONDS),
  };
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw invalid(
      name,
      "must be a whole number of at least 1",
      text,
      `Unset it for the default (${fallback})`,
    );
  return value;
}

/**
 * After a command, signs the head if the cadence says so. Never fails the command it follows:
 * a problem is reported, and `crucible audit head` signs on demand.
 * @example await signDueHead(db, ctx.env, (line) => ctx.out.info(line));
 */
export async function signDueHead(
  db: Queryable,
  env: NodeJS.ProcessEnv,
  warn: (line: string) => void,
  signing?: HeadSigning,
): Promise<void> {
  try {
    await signHeadIfDue(db, signing ?? headSigningFromEnv(env, { create: false }));
  } catch (err) {
    warn(`warning: the audit head was not signed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Signs the audit head on its cadence while a long-lived process (serve, a worker) runs: checked
 * every few seconds, so `CRUCIBLE_AUDIT_HEAD_EVERY` appends are honoured between the timed
 * signatures. The returned stop() ends the timer and, with `final`, signs whatever the head
 * moved since the last signed head (a worker's shutdown leaves no unsigned tail behind it).
 * @example const stop = signHeadsOnCadence(db, ctx.env, warn, signing); ...; await stop({ final: true });
 */
export function signHeadsOnCadence(
  db: Db,
  env: NodeJS.ProcessEnv,
  warn: (line: string) => void,
  signing: HeadSigning,
): (options?: { final: boolean }) => Promise<void> {
  let running = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => signDueHead(db, env, warn, signing));
  }, Math.min(signing.everySeconds, 5) * 1000);
  timer.unref();
  return async (options) => {
    clearInterval(timer);
    await running;
    if (options?.final) await signDueHead(db, env, warn, { ...signing, everyAppends: 1 });
  };
}
