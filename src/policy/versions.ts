import { type CompiledPolicySet, compilePolicySet, DEFAULT_POLICY_TEXT } from "./engine.ts";

const compiled = new Map<string, CompiledPolicySet>();

/**
 * Compiles once per distinct text (Cedar keeps the parsed set under its digest). A stored
 * version's `digest`, when given, finds its compiled set without comparing texts.
 * @example const set = policySetFor(text); set.digest // "sha256:..."
 */
export function policySetFor(text: string, digest?: string): CompiledPolicySet {
  const known = digest === undefined ? undefined : compiled.get(digest);
  if (known) return known;
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
