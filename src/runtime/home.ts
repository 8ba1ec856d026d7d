import { join } from "node:path";

/** Where an installation keeps what is not in its store, under its home ($CRUCIBLE_HOME). */
export interface HomeLayout {
  /** The home itself: the embedded store, artifacts and run directories live under it. */
  home: string;
  /** The provenance signing key and the retired keys that still verify (0700). */
  keysDir: string;
  /** The signed audit heads, one JSON line each, appended as they are signed. */
  headsFile: string;
}

/**
 * The paths of an installation's home.
 * @example homeLayout("/srv/crucible").headsFile // "/srv/crucible/audit/heads.jsonl"
 */
export function homeLayout(home: string): HomeLayout {
  return { home, keysDir: join(home, "keys"), headsFile: join(home, "audit", "heads.jsonl") };
}
