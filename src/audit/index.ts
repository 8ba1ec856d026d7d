export { appendAudit, appendAuditBatch } from "./append.ts";
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
export { openSignedHead, readHeadFile, type SignedHead, signHead } from "./signed-head.ts";
export { auditHead, readAudit } from "./store.ts";
export { type ChainHead, type ChainVerdict, type VerifyOptions, verifyChain } from "./verify.ts";
