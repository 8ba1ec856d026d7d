import type { KeyObject } from "node:crypto";
import { hashDirectory } from "./checkpoint-files.ts";
import { type DsseEnvelope, IN_TOTO_PAYLOAD_TYPE, verifyEnvelope } from "./dsse.ts";
import { type PolicyProblem, type ProvenanceExpectations, provenancePolicyProblems } from "./policy.ts";
import { type InTotoStatement, SLSA_PROVENANCE_V1, STATEMENT_TYPE } from "./statement.ts";

/** One way a checkpoint differs from its signed provenance. */
export type CheckpointProblem =
  | { kind: "signature"; message: string }
  | { kind: "modified"; file: string; expected: string; actual: string }
  | { kind: "added"; file: string; actual: string }
  | { kind: "removed"; file: string; expected: string }
  | PolicyProblem;

export type CheckpointVerdict =
  | { ok: true; statement: InTotoStatement; keyid: string }
  | { ok: false; problems: CheckpointProblem[]; message: string };

/**
 * Verifies a checkpoint offline: the envelope's signature by `keys` (one public key, or the
 * installation's keyring by keyid, see loadVerificationKeys), the statement against the
 * verification policy (builder, buildType, parameters, dependencies, approval; see
 * provenancePolicyProblems), then every file rehashed against the signed subjects. Reports every
 * policy breach with its field, and every flipped, added and removed file with both digests.
 * @example const verdict = await verifyCheckpoint(dir, envelope, loadVerificationKeys(keysDir), { builderId }); if (!verdict.ok) console.error(verdict.message);
 */
export async function verifyCheckpoint(
  dir: string,
  envelope: DsseEnvelope,
  keys: KeyObject | ReadonlyMap<string, KeyObject>,
  expected: ProvenanceExpectations,
): Promise<CheckpointVerdict> {
  const fail = (problems: CheckpointProblem[]): CheckpointVerdict => ({
    ok: false,
    problems,
    message: problems.map(describe).join("; "),
  });
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    return fail([{ kind: "signature", message: `payload type ${envelope.payloadType} is not in-toto` }]);
  const verified = verifyEnvelope(envelope, keys);
  if (!verified) {
    const signers = (envelope.signatures ?? []).map((s) => s.keyid).join(", ") || "nobody";
    const message =
      keys instanceof Map
        ? `no signature verifies with the ${keys.size} known key(s): signed by ${signers}${[...(envelope.signatures ?? [])].some((s) => !keys.has(s.keyid)) ? " (a key this installation does not know)" : ""}`
        : "no signature in the envelope verifies with the given public key";
    return fail([{ kind: "signature", message }]);
  }
  const payload = verified.payload;
  let statement: InTotoStatement;
  try {
    statement = JSON.parse(payload.toString("utf8")) as InTotoStatement;
  } catch {
    return fail([{ kind: "signature", message: "the signed payload is not JSON" }]);
  }
  if (
    statement._type !== STATEMENT_TYPE ||
    statement.predicateType !== SLSA_PROVENANCE_V1 ||
    !Array.isArray(statement.subject)
  )
    return fail([
      { kind: "signature", message: "the signed payload is not an in-toto v1 SLSA provenance statement" },
    ]);
  const problems: CheckpointProblem[] = provenancePolicyProblems(statement, expected);
  const signed = new Map(statement.subject.map((s) => [s.name, s.digest.sha256]));
  for (const file of await hashDirectory(dir)) {
    const want = signed.get(file.name);
    if (want === undefined) problems.push({ kind: "added", file: file.name, actual: file.sha256 });
    else if (want !== file.sha256)
      problems.push({ kind: "modified", file: file.name, expected: want, actual: file.sha256 });
    signed.delete(file.name);
  }
  for (const [file, want] of signed) problems.push({ kind: "removed", file, expected: want });
  return problems.length > 0 ? fail(problems) : { ok: true, statement, keyid: verified.keyid };
}

function describe(p: CheckpointProblem): string {
  switch (p.kind) {
    case "signature":
      return p.message;
    case "policy":
      return `${p.field} ${p.message}`;
    case "modified":
      return `${p.file} was modified: signed sha256:${p.expected}, found sha256:${p.actual}`;
    case "added":
      return `${p.file} is not in the signed provenance (found sha256:${p.actual})`;
    case "removed":
      return `${p.file} is missing (signed sha256:${p.expected})`;
  }
}
