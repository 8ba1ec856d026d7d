import type { KeyObject } from "node:crypto";
import { canonicalJson } from "../core/digest.ts";
import { invalid } from "../core/errors.ts";
import { type FileDigest, hashDirectory } from "./checkpoint-files.ts";
import { type DsseEnvelope, IN_TOTO_PAYLOAD_TYPE, signEnvelope, verifyEnvelope } from "./dsse.ts";
import type { SigningKey } from "./signing-key.ts";

export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
export const CRUCIBLE_BUILD_TYPE = "https://crucible.dev/provenance/training/v1";

/** An input to a training run, named and pinned by digest (`sha256:<hex>`). */
export interface Material {
  name: string;
  digest: string;
  uri?: string;
  /** Extra facts about the input (SLSA ResourceDescriptor annotations), e.g. `{ tokens: 30000 }`. */
  annotations?: Record<string, string | number | boolean>;
}

/** An approval the checkpoint passed, tied to its audit log entry. */
export interface ApprovalRecord {
  action: string;
  actor: string;
  at: string;
  auditSeq: number;
  auditHash: string;
}

/** What a checkpoint's provenance says about how it was made. */
export interface ProvenanceInputs {
  checkpointId: string;
  workspace: string;
  runId: string;
  baseCheckpoint: Material;
  datasets: Material[];
  recipe: Material;
  rewardFunctions: Material[];
  approvals: ApprovalRecord[];
  /** The control plane that ran it, e.g. `https://crucible.example.com/installations/<id>`. */
  builderId: string;
  startedOn?: string;
  finishedOn?: string;
}

export interface InTotoStatement {
  _type: typeof STATEMENT_TYPE;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: typeof SLSA_PROVENANCE_V1;
  predicate: Record<string, unknown>;
}

function resolved(kind: string, m: Material) {
  const match = /^sha256:([0-9a-f]{64})$/.exec(m.digest);
  if (!match)
    throw invalid(
      `${kind}.digest`,
      "digests are sha256:<64 hex>",
      m.digest,
      "Pass the content digest as recorded",
    );
  return {
    name: `${kind}:${m.name}`,
    digest: { sha256: match[1]! },
    ...(m.uri ? { uri: m.uri } : {}),
    ...(m.annotations ? { annotations: m.annotations } : {}),
  };
}

/**
 * An in-toto Statement v1 with a SLSA provenance v1 predicate: subjects are the checkpoint's
 * files with their SHA-256; resolved dependencies are the base checkpoint, dataset versions,
 * recipe and reward functions; approvals ride along in the run details.
 * @example const statement = buildStatement(await hashDirectory(dir), inputs);
 */
export function buildStatement(files: readonly FileDigest[], inputs: ProvenanceInputs): InTotoStatement {
  if (files.length === 0)
    throw invalid(
      "checkpoint",
      "the checkpoint directory has no files",
      inputs.checkpointId,
      "Point at the directory the trainer wrote",
    );
  return {
    _type: STATEMENT_TYPE,
    subject: files.map((f) => ({ name: f.name, digest: { sha256: f.sha256 } })),
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: CRUCIBLE_BUILD_TYPE,
        externalParameters: {
          checkpoint: inputs.checkpointId,
          workspace: inputs.workspace,
          run: inputs.runId,
          recipe: inputs.recipe.digest,
        },
        resolvedDependencies: [
          resolved("base", inputs.baseCheckpoint),
          ...inputs.datasets.map((d) => resolved("dataset", d)),
          resolved("recipe", inputs.recipe),
          ...inputs.rewardFunctions.map((r) => resolved("reward", r)),
        ],
      },
      runDetails: {
        builder: { id: inputs.builderId },
        metadata: {
          invocationId: inputs.runId,
          ...(inputs.startedOn ? { startedOn: inputs.startedOn } : {}),
          ...(inputs.finishedOn ? { finishedOn: inputs.finishedOn } : {}),
        },
        byproducts: inputs.approvals.map((a) => ({
          name: `approval:${a.action}`,
          digest: { sha256: a.auditHash },
          annotations: { ...a },
        })),
      },
    },
  };
}

/**
 * Hashes the checkpoint directory and signs its provenance into a DSSE envelope.
 * @example const envelope = await signCheckpoint(dir, inputs, loadOrCreateSigningKey(keysDir));
 */
export async function signCheckpoint(
  dir: string,
  inputs: ProvenanceInputs,
  key: SigningKey,
): Promise<DsseEnvelope> {
  const statement = buildStatement(await hashDirectory(dir), inputs);
  return signEnvelope(
    IN_TOTO_PAYLOAD_TYPE,
    Buffer.from(canonicalJson(statement), "utf8"),
    key.privateKey,
    key.keyid,
  );
}

/** One way a checkpoint differs from its signed provenance. */
export type CheckpointProblem =
  | { kind: "signature"; message: string }
  | { kind: "modified"; file: string; expected: string; actual: string }
  | { kind: "added"; file: string; actual: string }
  | { kind: "removed"; file: string; expected: string };

export type CheckpointVerdict =
  | { ok: true; statement: InTotoStatement; keyid: string }
  | { ok: false; problems: CheckpointProblem[]; message: string };

/**
 * Verifies a checkpoint offline: the envelope's signature by `keys` (one public key, or the
 * installation's keyring by keyid, see loadVerificationKeys), then every file
 * rehashed against the signed subjects. Reports every flipped, added and removed file with
 * both digests.
 * @example const verdict = await verifyCheckpoint(dir, envelope, loadVerificationKeys(keysDir)); if (!verdict.ok) console.error(verdict.message);
 */
export async function verifyCheckpoint(
  dir: string,
  envelope: DsseEnvelope,
  keys: KeyObject | ReadonlyMap<string, KeyObject>,
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
  const expected = new Map(statement.subject.map((s) => [s.name, s.digest.sha256]));
  const problems: CheckpointProblem[] = [];
  for (const file of await hashDirectory(dir)) {
    const want = expected.get(file.name);
    if (want === undefined) problems.push({ kind: "added", file: file.name, actual: file.sha256 });
    else if (want !== file.sha256)
      problems.push({ kind: "modified", file: file.name, expected: want, actual: file.sha256 });
    expected.delete(file.name);
  }
  for (const [file, want] of expected) problems.push({ kind: "removed", file, expected: want });
  return problems.length > 0 ? fail(problems) : { ok: true, statement, keyid: verified.keyid };
}

function describe(p: CheckpointProblem): string {
  switch (p.kind) {
    case "signature":
      return p.message;
    case "modified":
      return `${p.file} was modified: signed sha256:${p.expected}, found sha256:${p.actual}`;
    case "added":
      return `${p.file} is not in the signed provenance (found sha256:${p.actual})`;
    case "removed":
      return `${p.file} is missing (signed sha256:${p.expected})`;
  }
}
