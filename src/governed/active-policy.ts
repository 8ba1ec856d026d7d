import type { CompiledPolicySet } from "../policy/engine.ts";
import { defaultPolicySet, policySetFor } from "../policy/versions.ts";
import type { Queryable } from "../store/db.ts";

/**
 * The policy set a workspace runs under now: its active version in `policy_versions`, or the
 * built-in default. The funnel decides with it; proposing and approving versions is
 * policy-changes.ts.
 * @example const policies = await activePolicySet(db, "ws_01h...");
 */
export async function activePolicySet(q: Queryable, workspace: string): Promise<CompiledPolicySet> {
  const { rows } = await q.query<{ text: string; digest: string }>(
    "SELECT text, digest FROM policy_versions WHERE workspace = $1 AND status = 'active'",
    [workspace],
  );
  const row = rows[0];
  if (!row) return defaultPolicySet();
  return policySetFor(row.text, row.digest);
}
