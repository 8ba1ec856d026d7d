export { appendAudit, appendAuditBatch } from "./append.ts";
export { type FileDigest, hashDirectory, hashFile } from "./checkpoint-files.ts";
export { type DsseEnvelope, IN_TOTO_PAYLOAD_TYPE, pae, signEnvelope, verifyEnvelope } from "./dsse.ts";
export {
  type AuditDecision,
  type AuditEntry,
  type AuditInput,
  chainEntry,
  entryHash,
  GENESIS_HASH,
} from "./entry.ts";
export {
  type AuditFile,
  exportAuditJsonl,
  readAuditJsonl,
  verifyAuditFile,
  verifyAuditLog,
} from "./export.ts";
export { type HeadSigning, signHeadIfDue, signHeadNow } from "./head-signer.ts";
export {
  type ApprovalRecord,
  buildStatement,
  type InTotoStatement,
  type Material,
  type ProvenanceInputs,
  signCheckpoint,
} from "./provenance.ts";
export {
  EXTERNAL_PARAMETERS,
  type PolicyProblem,
  type ProvenanceExpectations,
  provenancePolicyProblems,
} from "./provenance-policy.ts";
export { type CheckpointProblem, type CheckpointVerdict, verifyCheckpoint } from "./provenance-verify.ts";
export { openSignedHead, readHeadFile, type SignedHead, signHead } from "./signed-head.ts";
export { keyIdOf, loadOrCreateSigningKey, type SigningKey } from "./signing-key.ts";
export { auditHead, readAudit } from "./store.ts";
export { type ChainHead, type ChainVerdict, type VerifyOptions, verifyChain } from "./verify.ts";
