import { CrucibleError } from "../core/errors.ts";
import { governed } from "../governed/funnel.ts";
import { actorId, type Principal } from "../policy/entities.ts";
import type { SigningKey } from "../provenance/signing-key.ts";
import type { Db, Queryable } from "../store/db.ts";
import { provenanceInputs, writeProvenance } from "./provenance.ts";
import { type CheckpointView, checkpointResource, withStarters } from "./read.ts";
import { resolveCheckpoint } from "./resolve.ts";
import type { CheckpointRow } from "./rows.ts";
import { verifyCheckpointDir } from "./verify.ts";

/** One gate a checkpoint must pass before approval, as the evaluation service records it. */
export interface GateResult {
  gate: string;
  passed: boolean;
}

/**
 * The gate results recorded for a checkpoint and whether every one passed. No drift gates exist
 * yet (the evaluation issue adds them and their results table), so today the list is empty and
 * `passed` is true: every one of zero gates passed. When gates land, this is the one place that
 * reads them, and `gate.checkpoint-gates` denies approval as soon as one has failed.
 * @example const { passed } = await checkpointGates(tx, row);
 */
export async function checkpointGates(
  _q: Queryable,
  _c: CheckpointRow,
): Promise<{ results: GateResult[]; passed: boolean }> {
  const results: GateResult[] = [];
  return { results, passed: results.every((r) => r.passed) };
}

/** What approving a checkpoint did. */
export interface Approval {
  checkpoint: CheckpointView;
  /** The signed provenance envelope beside the checkpoint, when a signing key was given. */
  provenance: string | null;
}

/**
 * Approves a run's candidate checkpoint through `checkpoint.approve`: model approvers only,
 * never the starter of its run (`sod.checkpoint-run-starter`), only when every gate passed
 * (`gate.checkpoint-gates`), never a tainted checkpoint and never a base (invariants, denied and
 * audited like any rule). The directory is verified again first (every file rehashed): a
 * checkpoint changed since registration is refused. Status, approver and time are written with
 * the audit entry in one transaction; with `key`, the signed provenance (in-toto statement in a
 * DSSE envelope) is written beside the checkpoint as `<dir>.provenance.json` for `crucible verify`.
 * @example const { provenance } = await approveCheckpoint(db, mona, { workspace, ref: "acme-cpt/cpt/step-6", key });
 */
export async function approveCheckpoint(
  db: Db,
  caller: Principal,
  input: { workspace: string; ref: string; key?: SigningKey; now?: Date },
): Promise<Approval> {
  const [c] = await withStarters(db, [await resolveCheckpoint(db, input.workspace, input.ref)]);
  const gates = await checkpointGates(db, c!);
  const request = {
    principal: caller,
    action: "checkpoint.approve",
    resource: checkpointResource(c!),
    context: { gates_passed: gates.passed },
  } as const;
  const invariants = [
    {
      id: "checkpoint.run-output",
      holds: c!.kind === "run",
      reason: "bases are allowed by registration (base.register); only a run's checkpoints are approved",
    },
    {
      id: "checkpoint.untainted",
      holds: c!.taintedAt === null,
      reason: `a tainted checkpoint cannot be approved${c!.taintReason ? ` (${c!.taintReason})` : ""}`,
    },
  ];
  const provenance = await governed(
    db,
    request,
    async (tx, decision) => {
      await requireCandidate(tx, c!);
      await verifyCheckpointDir(c!.path, c!.manifestDigest);
      await tx.query(
        "UPDATE checkpoints SET status = 'approved', approved_by = $2, approved_at = $3 WHERE id = $1",
        [c!.id, actorId(caller), input.now ?? new Date()],
      );
      if (!input.key) return null;
      return writeProvenance(c!, await provenanceInputs(tx, c!, decision.audit), input.key);
    },
    { invariants, payload: { checkpoint: c!.name, manifestDigest: c!.manifestDigest, gates: gates.results } },
  );
  const [approved] = await withStarters(db, [await resolveCheckpoint(db, input.workspace, c!.id)]);
  return { checkpoint: approved!, provenance };
}

/** candidate → approved is the only transition approval makes; checked on the locked row. */
async function requireCandidate(tx: Queryable, c: CheckpointRow): Promise<void> {
  const { rows } = await tx.query<{ status: string; tainted_at: unknown }>(
    "SELECT status, tainted_at FROM checkpoints WHERE id = $1 FOR UPDATE",
    [c.id],
  );
  const row = rows[0]!;
  if (row.tainted_at !== null)
    throw new CrucibleError("failed_precondition", `checkpoint ${c.name} was tainted`, {
      field: "checkpoint",
      value: c.name,
      fix: "A tainted checkpoint cannot be approved",
    });
  if (row.status !== "candidate")
    throw new CrucibleError(
      "failed_precondition",
      `checkpoint ${c.name} is ${row.status}; only a candidate can be approved`,
      {
        field: "checkpoint",
        value: c.name,
        fix: row.status === "approved" ? "Nothing to do: it is approved" : "Approve another candidate",
      },
    );
}
