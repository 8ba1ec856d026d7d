import type { Principal } from "../policy/entities.ts";
import type { Db } from "../store/db.ts";
import { openStore, storeConfigFromEnv } from "../store/open.ts";
import { resolveCaller } from "./caller.ts";
import type { CommandContext } from "./main.ts";

/**
 * Opens the store named by the environment, runs `fn`, and closes the store (releasing the
 * embedded store's lock) whatever happens.
 */
export async function withDb<T>(ctx: CommandContext, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openStore(storeConfigFromEnv(ctx.env));
  try {
    return await fn(db);
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
