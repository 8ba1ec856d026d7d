/** The checkpoint registry: bases and run outputs, verified on ingest, approved through policy. */
export { type Approval, approveCheckpoint, checkpointGates, type GateResult } from "./approve.ts";
export { authorizeBaseRegistration, type BaseInput, registerBases } from "./bases.ts";
export { authorizeGeneration, type GenerationUse, UNTAINTED_RULE } from "./generate.ts";
export { addHfBase } from "./hf/add-base.ts";
export type { ModelInspection } from "./hf/inspect.ts";
export type { StoredBase } from "./hf/store.ts";
export { type CheckpointJson, checkpointJson } from "./json.ts";
export { type AncestryNode, checkpointLineage, type TokensSeen } from "./lineage.ts";
export {
  BASE_STAGES,
  type BaseName,
  type BaseStage,
  baseNameText,
  parseBaseName,
  runCheckpointName,
} from "./names.ts";
export { provenancePath } from "./provenance.ts";
export { markPruned } from "./pruned.ts";
export {
  authorizeCheckpointRead,
  type CheckpointFilter,
  type CheckpointView,
  checkpointResource,
  listCheckpoints,
  readCheckpoint,
  withStarters,
} from "./read.ts";
export { insertVerified, registerRunCheckpoint, type VerifiedCheckpoint } from "./register.ts";
export { assertUsableAsBase, resolveCheckpoint } from "./resolve.ts";
export type { CheckpointKind, CheckpointRow, CheckpointStatus } from "./rows.ts";
export {
  describeProblem,
  hasCrucibleManifest,
  MANIFEST_FILE,
  type ManifestProblem,
  verifyCheckpointDir,
} from "./verify.ts";
