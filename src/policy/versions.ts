import type { Queryable } from "../store/db.ts";
import { type CompiledPolicySet, compilePolicySet, DEFAULT_POLICY_TEXT } from "./engine.ts";

const compiled = new Map<string, CompiledPolicySet>();

/**
 * Compiles once per distinct text (Cedar keeps the parsed set under its digest).
 * @example const set = policySetFor(text); set.digest // "sha256:..."
 */
export function policySetFor(text: string): CompiledPolicySet {
  for (const set of compiled.values()) if (set.text === text) return set;
  const set = compilePolicySet(text);
  compiled.set(set.digest, set);
  return set;
}

/**
 * The built-in default policy set (src/policy/default.cedar).
 * @example authorize(defaultPolicySet(), request)
 */
export function defaultPolicySet(): CompiledPolicySet {
  return policySetFor(DEFAULT_POLICY_TEXT);
}

/**
 * The policy set a workspace runs under now: its active version, or the built-in default.
 * @example const policies = await activePolicySet(db, "ws_01h...");
 */
export async function activePolicySet(q: Queryable, workspace: string): Promise<CompiledPolicySet> {
  const { rows } = await q.query<{ text: string; digest: string }>(
    "SELECT text, digest FROM policy_versions WHERE workspace = $1 AND status = 'active'",
    [workspace],
  );
  const row = rows[0];
  if (!row) return defaultPolicySet();
  return compiled.get(row.digest) ?? policySetFor(row.text);
}
