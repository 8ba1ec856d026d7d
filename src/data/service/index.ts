export { addDataset, type DatasetServiceOptions, redactVersion } from "./add.ts";
export { approveVersion, parseExpiry, revokeVersion } from "./approve.ts";
export { ArtifactStore } from "./artifacts.ts";
export { diffVersions, type VersionDiff } from "./diff.ts";
export { type VersionImpact, versionImpact } from "./impact.ts";
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
