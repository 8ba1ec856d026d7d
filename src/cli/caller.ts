import { CrucibleError, invalid } from "../core/errors.ts";
import { authenticate } from "../identity/authenticate.ts";
import { principalByName } from "../identity/names.ts";
import { loadPrincipal } from "../identity/principals.ts";
import type { Principal } from "../policy/entities.ts";
import type { Db } from "../store/db.ts";

/**
 * Who runs a command: the holder of $CRUCIBLE_TOKEN, or, in embedded mode only, the principal
 * named by `--as` (whoever can open the embedded store's files owns the installation anyway; on a
 * shared PostgreSQL server a token is required). Both at once is an error, never a silent choice.
 */
export async function resolveCaller(
  db: Db,
  env: NodeJS.ProcessEnv,
  as: string | undefined,
): Promise<Principal> {
  if (env.CRUCIBLE_TOKEN && as)
    throw invalid(
      "--as",
      "two identities given: CRUCIBLE_TOKEN and --as; a command acts for one",
      as,
      `Drop --as to act as the token's holder, or run \`unset CRUCIBLE_TOKEN\` to act as ${as}`,
    );
  if (env.CRUCIBLE_TOKEN) return (await authenticate(db, env.CRUCIBLE_TOKEN)).principal;
  if (!as) {
    throw new CrucibleError("unauthenticated", "no identity given", {
      field: "--as",
      fix: "Set CRUCIBLE_TOKEN to a token from `crucible token create`, or pass --as NAME in embedded mode",
    });
  }
  if (db.kind !== "pglite") {
    throw new CrucibleError("unauthenticated", "--as works only with the embedded store", {
      field: "--as",
      value: as,
      fix: "On a PostgreSQL server, authenticate with CRUCIBLE_TOKEN",
    });
  }
  const id = await principalByName(db, as, "--as");
  const principal = await loadPrincipal(db, id);
  if (!principal || principal.disabled) {
    throw new CrucibleError("unauthenticated", "the principal is disabled", {
      field: "--as",
      value: as,
      fix: "Ask an admin to enable it",
    });
  }
  return principal;
}
