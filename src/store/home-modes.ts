import { chmodSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

/**
 * Makes a Crucible home private to its owner: no bit for group or others on the home or anything
 * in it (directories 0700, files 0600 as PGlite and Node write them). The home holds the embedded store (whose files PGlite writes 0666 whatever the umask),
 * signing keys, dataset artifacts and checkpoints: any local user who could rewrite the store
 * could rewrite the audit log and approvals with it. Creates the home if it is missing; an
 * existing home is tightened; symbolic links are left alone (never followed). Returns how many
 * entries it changed.
 * @example tightenHome(crucibleHome(process.env)); // 0 on a home that was already private
 */
export function tightenHome(home: string): number {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  return tighten(home, true);
}

function tighten(path: string, isDirectory: boolean): number {
  let changed = 0;
  const mode = lstatSync(path).mode & 0o777;
  // group's and others' bits are taken away; the owner's stay (a file kept read-only stays so)
  if ((mode & 0o077) !== 0) {
    chmodSync(path, mode & 0o700);
    changed++;
  }
  if (!isDirectory) return changed;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory() || entry.isFile())
      changed += tighten(join(path, entry.name), entry.isDirectory());
  }
  return changed;
}
