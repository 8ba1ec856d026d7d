/** Signing keys, DSSE envelopes and checkpoint provenance: statements, their policy, verification. */
export { type FileDigest, hashDirectory, hashFile } from "./checkpoint-files.ts";
export { type DsseEnvelope, IN_TOTO_PAYLOAD_TYPE, pae, signEnvelope, verifyEnvelope } from "./dsse.ts";
export { generateSigningKey, installSigningKey, loadVerificationKeys, PUBLIC_KEYS_DIR } from "./keyring.ts";
export {
  EXTERNAL_PARAMETERS,
  type PolicyProblem,
  type ProvenanceExpectations,
  provenancePolicyProblems,
} from "./policy.ts";
export {
  keyIdOf,
  loadOrCreateSigningKey,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  type SigningKey,
} from "./signing-key.ts";
export {
  type ApprovalRecord,
  buildStatement,
  type InTotoStatement,
  type Material,
  type ProvenanceInputs,
  signCheckpoint,
} from "./statement.ts";
export { type CheckpointProblem, type CheckpointVerdict, verifyCheckpoint } from "./verify.ts";
