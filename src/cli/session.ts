import type { Principal } from "../policy/entities.ts";
import type { Db } from "../store/db.ts";
import { openStore, storeConfigFromEnv } from "../store/open.ts";
import { signDueHead } from "./audit-heads.ts";
import { resolveCaller } from "./caller.ts";
import type { CommandContext } from "./command.ts";

/**
 * Opens the store named by the environment, runs `fn`, signs the audit head if one is due (see
 * signDueHead), and closes the store (releasing the embedded store's lock) whatever happens.
 */
export async function withDb<T>(ctx: CommandContext, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openStore(storeConfigFromEnv(ctx.env));
  try {
    const result = await fn(db);
    await signDueHead(db, ctx.env, (line) => ctx.out.info(line));
    return result;
  } finally {
    await db.close();
  }
}

/** Like withDb, with the caller resolved from CRUCIBLE_TOKEN or --as. */
export function withCaller<T>(
  ctx: CommandContext,
  fn: (db: Db, caller: Principal) => Promise<T>,
): Promise<T> {
  return withDb(ctx, async (db) => fn(db, await resolveCaller(db, ctx.env, ctx.as)));
}
