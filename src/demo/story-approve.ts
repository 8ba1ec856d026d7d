import { readFileSync } from "node:fs";
import { approveCheckpoint } from "../checkpoints/index.ts";
import { installationBuilderId } from "../checkpoints/provenance.ts";
import type { Principal } from "../policy/entities.ts";
import type { DsseEnvelope } from "../provenance/dsse.ts";
import { loadVerificationKeys } from "../provenance/keyring.ts";
import { loadOrCreateSigningKey } from "../provenance/signing-key.ts";
import { verifyCheckpoint } from "../provenance/verify.ts";
import type { Db } from "../store/db.ts";
import { type Denial, expectDenied } from "./denials.ts";

/** What the approval step did, and what verifying its provenance found. */
export interface ApprovalSummary {
  checkpoint: string;
  approved_by: string;
  /** The signed envelope beside the checkpoint (`<dir>.provenance.json`). */
  envelope: string;
  verified: boolean;
  keyid: string | null;
  files: number;
  problems: string | null;
}

/**
 * DEMO step 7 as far as it is built (no evaluation gates yet): eli, who started the run, tries to
 * approve its candidate → denied (separation of duties); mara, a model approver, approves it
 * through the checkpoint service, which rehashes the directory and writes the signed provenance;
 * the provenance is then verified offline as `crucible verify` does: the envelope's signature by
 * the installation's keys in `keysDir`, the statement against the verification policy (this
 * installation as builder), and every file against the signed digests.
 * @example const approval = await approvalStory(db, { workspace, eli, mara }, { checkpoint: "custom-1/sft/step-12", keysDir, denials });
 */
export async function approvalStory(
  db: Db,
  cast: { workspace: string; eli: Principal; mara: Principal },
  input: { checkpoint: string; keysDir: string; denials: Denial[]; say: (line: string) => void },
): Promise<ApprovalSummary> {
  const { workspace, eli, mara } = cast;
  const key = loadOrCreateSigningKey(input.keysDir);
  await expectDenied(input.denials, "self-approve-checkpoint", "eli", "checkpoint.approve", () =>
    approveCheckpoint(db, eli, { workspace, ref: input.checkpoint, key }),
  );
  const approval = await approveCheckpoint(db, mara, { workspace, ref: input.checkpoint, key });
  const envelopePath = approval.provenance!;
  const envelope = JSON.parse(readFileSync(envelopePath, "utf8")) as DsseEnvelope;
  const verdict = await verifyCheckpoint(
    approval.checkpoint.path,
    envelope,
    loadVerificationKeys(input.keysDir),
    { builderId: await installationBuilderId(db) },
  );
  input.say(
    `approve: eli may not approve his own run's checkpoint; mara approved ${approval.checkpoint.name}; provenance ${verdict.ok ? "verified" : `FAILED: ${verdict.message}`}`,
  );
  return {
    checkpoint: approval.checkpoint.name,
    approved_by: "mara",
    envelope: envelopePath,
    verified: verdict.ok,
    keyid: verdict.ok ? verdict.keyid : null,
    files: verdict.ok ? verdict.statement.subject.length : 0,
    problems: verdict.ok ? null : verdict.message,
  };
}
