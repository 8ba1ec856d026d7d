/** The checkpoint registry: bases and run outputs, verified on ingest, approved through policy. */
export { BASE_STAGES, type BaseName, type BaseStage, parseBaseName, runCheckpointName } from "./names.ts";
export { insertVerified, registerRunCheckpoint } from "./register.ts";
export { assertUsableAsBase, resolveCheckpoint } from "./resolve.ts";
export type { CheckpointKind, CheckpointRow, CheckpointStatus } from "./rows.ts";
export { describeProblem, MANIFEST_FILE, type ManifestProblem, verifyCheckpointDir } from "./verify.ts";
