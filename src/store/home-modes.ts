import { chmodSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** What under a home no one but its owner may open, not even its group: the key and the store. */
const OWNER_ONLY = new Set(["keys", "db"]);

/**
 * Makes a Crucible home private: nothing in it open to others, nothing writable by its group, and
 * `keys/` and `db/` (the signing key and the embedded store, whose files PGlite writes 0666
 * whatever the umask) open to their owner alone. Any local user who could rewrite the store could
 * rewrite the audit log and approvals with it. The group keeps read and pass: that is how a
 * trainer running as its own user (docs/operations/trainer-isolation.md) reads its bases and data
 * and reaches its run directory, when the operator gives it the home's group; on a system with a
 * private group per user nobody else holds it. Creates the home if it is missing (0700); an
 * existing home is tightened; symbolic links are left alone (never followed). Returns how many
 * entries it changed.
 * @example tightenHome(crucibleHome(process.env)); // 0 on a home that was already private
 */
export function tightenHome(home: string): number {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  let changed = tighten(home, true, false, false);
  for (const entry of readdirSync(home, { withFileTypes: true })) {
    if (entry.isSymbolicLink() || !(entry.isDirectory() || entry.isFile())) continue;
    changed += tighten(join(home, entry.name), entry.isDirectory(), OWNER_ONLY.has(entry.name), true);
  }
  return changed;
}

function tighten(path: string, isDirectory: boolean, ownerOnly: boolean, walk: boolean): number {
  let changed = 0;
  const mode = lstatSync(path).mode & 0o777;
  // others lose every bit, the group its write bit (and everything under keys/ and db/); the
  // owner's bits stay (a file kept read-only stays so)
  const wanted = mode & (ownerOnly ? 0o700 : 0o750);
  if (wanted !== mode) {
    chmodSync(path, wanted);
    changed++;
  }
  if (!isDirectory || !walk) return changed;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory() || entry.isFile())
      changed += tighten(join(path, entry.name), entry.isDirectory(), ownerOnly, true);
  }
  return changed;
}
