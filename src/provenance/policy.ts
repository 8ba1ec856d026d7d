import { CRUCIBLE_BUILD_TYPE, type InTotoStatement } from "./statement.ts";

/** What a verifier expects of every statement, beyond a good signature. */
export interface ProvenanceExpectations {
  /** The installation that must have built it: `urn:crucible:installation:<id>`. */
  builderId: string;
}

/** A statement field that breaks the verification policy. */
export interface PolicyProblem {
  kind: "policy";
  /** JSON path into the statement, e.g. `predicate.runDetails.builder.id`. */
  field: string;
  message: string;
}

/** Exactly the external parameters Crucible records; anything else was not written by it. */
export const EXTERNAL_PARAMETERS = ["checkpoint", "workspace", "run", "recipe"] as const;

/** The kinds of resolved dependency, and how many of each a training statement carries. */
const DEPENDENCY_KINDS: Record<string, { min: number; max: number }> = {
  base: { min: 1, max: 1 },
  dataset: { min: 1, max: Number.POSITIVE_INFINITY },
  recipe: { min: 1, max: 1 },
  reward: { min: 0, max: Number.POSITIVE_INFINITY },
};

/** The approval every signed checkpoint passed. */
const APPROVAL_ACTION = "checkpoint.approve";

const HEX64 = /^[0-9a-f]{64}$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Checks a signed statement against what this installation writes: its builder id, Crucible's
 * buildType, exactly the known externalParameters, resolved dependencies (one base, one recipe,
 * at least one dataset, every digest sha256) and the approval record. A signature proves who
 * signed; this proves the statement says what Crucible says, so a statement re-signed with a
 * stolen or misused key but shaped by someone else is refused with the field named.
 * @example const problems = provenancePolicyProblems(statement, { builderId: "urn:crucible:installation:inst_1" });
 */
export function provenancePolicyProblems(
  statement: InTotoStatement,
  expected: ProvenanceExpectations,
): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const fail = (field: string, message: string) => problems.push({ kind: "policy", field, message });
  const predicate = isObject(statement.predicate) ? statement.predicate : {};
  const build = isObject(predicate.buildDefinition) ? predicate.buildDefinition : {};
  const details = isObject(predicate.runDetails) ? predicate.runDetails : {};
  const at = "predicate.buildDefinition";

  if (build.buildType !== CRUCIBLE_BUILD_TYPE)
    fail(`${at}.buildType`, `is ${JSON.stringify(build.buildType ?? null)}, expected ${CRUCIBLE_BUILD_TYPE}`);

  const params = isObject(build.externalParameters) ? build.externalParameters : {};
  for (const key of Object.keys(params))
    if (!(EXTERNAL_PARAMETERS as readonly string[]).includes(key))
      fail(`${at}.externalParameters.${key}`, "is not a parameter Crucible records");
  for (const key of EXTERNAL_PARAMETERS)
    if (typeof params[key] !== "string" || params[key] === "")
      fail(`${at}.externalParameters.${key}`, "is missing");

  const deps = Array.isArray(build.resolvedDependencies) ? build.resolvedDependencies : [];
  if (deps.length === 0)
    fail(`${at}.resolvedDependencies`, "is empty: the inputs of the run are not recorded");
  const counts = new Map<string, number>();
  deps.forEach((d: unknown, i) => {
    const name = isObject(d) && typeof d.name === "string" ? d.name : "";
    const kind = name.slice(0, name.indexOf(":"));
    const digest = isObject(d) && isObject(d.digest) ? d.digest.sha256 : undefined;
    if (!(kind in DEPENDENCY_KINDS))
      fail(
        `${at}.resolvedDependencies[${i}].name`,
        `${JSON.stringify(name)} is not a base, dataset, recipe or reward`,
      );
    else counts.set(kind, (counts.get(kind) ?? 0) + 1);
    if (typeof digest !== "string" || !HEX64.test(digest))
      fail(`${at}.resolvedDependencies[${i}].digest.sha256`, "is not a SHA-256 digest");
    if (kind === "recipe" && typeof digest === "string" && params.recipe !== `sha256:${digest}`)
      fail(`${at}.externalParameters.recipe`, "differs from the recipe dependency's digest");
  });
  if (deps.length > 0)
    for (const [kind, { min, max }] of Object.entries(DEPENDENCY_KINDS)) {
      const n = counts.get(kind) ?? 0;
      if (n < min || n > max)
        fail(
          `${at}.resolvedDependencies`,
          `has ${n} ${kind} dependencies, expected ${max === 1 ? "exactly 1" : `at least ${min}`}`,
        );
    }

  const builder = isObject(details.builder) ? details.builder.id : undefined;
  if (builder !== expected.builderId)
    fail(
      "predicate.runDetails.builder.id",
      `is ${JSON.stringify(builder ?? null)}, expected ${expected.builderId}`,
    );

  const byproducts = Array.isArray(details.byproducts) ? details.byproducts : [];
  const approvals = byproducts.filter(
    (b: unknown) => isObject(b) && b.name === `approval:${APPROVAL_ACTION}`,
  );
  if (approvals.length === 0)
    fail("predicate.runDetails.byproducts", `records no ${APPROVAL_ACTION} approval`);
  approvals.forEach((b: Json) => {
    const i = byproducts.indexOf(b);
    const a = isObject(b.annotations) ? b.annotations : {};
    const digest = isObject(b.digest) ? b.digest.sha256 : undefined;
    const field = `predicate.runDetails.byproducts[${i}]`;
    if (a.action !== APPROVAL_ACTION) fail(`${field}.annotations.action`, `is not ${APPROVAL_ACTION}`);
    if (typeof a.actor !== "string" || a.actor === "")
      fail(`${field}.annotations.actor`, "names no approver");
    if (typeof a.at !== "string" || Number.isNaN(Date.parse(a.at)))
      fail(`${field}.annotations.at`, "is not a time");
    if (!Number.isSafeInteger(a.auditSeq) || (a.auditSeq as number) < 1)
      fail(`${field}.annotations.auditSeq`, "is not an audit log sequence number");
    if (typeof a.auditHash !== "string" || !HEX64.test(a.auditHash) || digest !== a.auditHash)
      fail(`${field}.digest.sha256`, "is not the approval's audit entry hash");
  });
  return problems;
}
