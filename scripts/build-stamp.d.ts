// Types of build-stamp.js, plain JavaScript so that bin/crucible.js runs it without a loader.

/** The stamp's path, relative to the repository root. */
export const STAMP: string;
/** The SHA-256 of every file dist/ is built from, by path relative to `root`. */
export function sourceDigests(root: string): Record<string, string>;
/** Why dist/ under `root` may not run (not built, or the first source changed); null when current. */
export function staleness(root: string): string | null;
