import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  DEFAULT_HEAD_EVERY_APPENDS,
  DEFAULT_HEAD_EVERY_SECONDS,
  type HeadSigning,
  signHeadIfDue,
} from "../audit/head-signer.ts";
import { invalid } from "../core/errors.ts";
import { loadOrCreateSigningKey, PRIVATE_KEY_FILE } from "../provenance/signing-key.ts";
import { homeLayout } from "../runtime/home.ts";
import type { Queryable } from "../store/db.ts";
import { crucibleHome } from "../store/open.ts";

/**
 * Where the installation's signed audit heads are appended: `$CRUCIBLE_HOME/audit/heads.jsonl`.
 * @example headsFileOf(process.env) // "/srv/crucible/audit/heads.jsonl"
 */
export function headsFileOf(env: NodeJS.ProcessEnv): string {
  return homeLayout(crucibleHome(env)).headsFile;
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
