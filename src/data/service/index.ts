export { addDataset, type DatasetServiceOptions, redactVersion } from "./add.ts";
export { approveVersion, parseExpiry, type RevokedVersion, revokeVersion } from "./approve.ts";
export { ArtifactStore } from "./artifacts.ts";
export {
  type AddedCanary,
  addCanary,
  type CanaryRow,
  generateCanary,
  listCanaries,
  validateCanary,
  workspaceCanaries,
} from "./canaries.ts";
export { diffVersions, type VersionDiff } from "./diff.ts";
export { type ImpactCheckpoint, type VersionImpact, versionImpact } from "./impact.ts";
export { versionJson } from "./json.ts";
export {
  authorizeRead,
  listDatasets,
  listVersions,
  readVersion,
  showVersion,
  type VersionDetails,
  versionReport,
} from "./read.ts";
export {
  findVersion,
  PURPOSES,
  type Purpose,
  parsePurposes,
  parseVersionRef,
  refText,
  type VersionRef,
  type VersionRow,
  type VersionStatus,
} from "./refs.ts";
export { assertUsableForTraining, type UsabilityRule } from "./usable.ts";
