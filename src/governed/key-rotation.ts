import { CrucibleError } from "../core/errors.ts";
import type { Principal } from "../policy/entities.ts";
import { generateSigningKey, installSigningKey } from "../provenance/keyring.ts";
import { loadOrCreateSigningKey } from "../provenance/signing-key.ts";
import type { Db } from "../store/db.ts";
import { governedAll } from "./funnel.ts";

/**
 * Rotates the installation's provenance signing key: allowed only to someone permitted
 * `signing-key.rotate` in every workspace (each decision audited, with both keyids). The old
 * public key stays available to verifiers; statements signed from now on name the new keyid.
 * @example const { previous, current } = await rotateProvenanceKey(db, root, join(home, "keys"));
 */
export async function rotateProvenanceKey(
  db: Db,
  principal: Principal,
  keysDir: string,
): Promise<{ previous: string; current: string }> {
  const previous = loadOrCreateSigningKey(keysDir).keyid;
  const next = generateSigningKey();
  const { rows } = await db.query<{ id: string }>("SELECT id FROM workspaces ORDER BY id");
  if (rows.length === 0)
    throw new CrucibleError("failed_precondition", "the installation has no workspace to decide in", {
      fix: "Run `crucible init` first",
    });
  const requests = rows.map(
    ({ id }) => ({ principal, action: "signing-key.rotate", resource: { type: "Workspace", id } }) as const,
  );
  // the files change inside the transaction: after a denial the key is untouched, and a failed write rolls back the allows
  await governedAll(db, requests, async () => installSigningKey(keysDir, next), {
    payload: { previous, current: next.keyid },
  });
  return { previous, current: next.keyid };
}
