import { canonicalJson } from "../core/digest.ts";
import { invalid } from "../core/errors.ts";
import { type FileDigest, hashDirectory } from "./checkpoint-files.ts";
import { type DsseEnvelope, IN_TOTO_PAYLOAD_TYPE, signEnvelope } from "./dsse.ts";
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
