import { CrucibleError } from "../core/errors.ts";
import type { Purpose, VersionRef, VersionRow } from "../data/service/refs.ts";
import { refText } from "../data/service/refs.ts";
import { assertUsableForTraining } from "../data/service/usable.ts";
import { governed } from "../governed/funnel.ts";
import { actorId, type Principal } from "../policy/entities.ts";
import type { Db, Queryable } from "../store/db.ts";

/** The policy that forbids a run whose inputs are not all approved (src/policy/default.cedar). */
const INPUTS_GATE = "gate.run-inputs-approved";

export interface RunStartRequest {
  workspace: string;
  runId: string;
  /** Every dataset version the run reads, with the purpose it reads it for. */
  datasets: readonly { ref: VersionRef & { digest?: string }; purpose: Purpose }[];
  now?: Date;
}

/**
 * The policy check before anything is queued: each dataset version must be approved for its
 * purpose, unexpired, bound to its digest and not revoked; then `run.start` is decided by Cedar
 * with `inputs_approved` in its context and audited, allow or deny. A denial names the policy
 * rule and the dataset rule behind it. Returns the versions the run may read.
 * @example const inputs = await authorizeRunStart(db, eli, { workspace, runId, datasets: [{ ref: { name: "acme-handbook", version: 2 }, purpose: "cpt" }] });
 */
export async function authorizeRunStart(
  db: Db,
  caller: Principal,
  request: RunStartRequest,
): Promise<VersionRow[]> {
  return gateRunStart(db, caller, request, async (_tx, versions) => versions);
}

/**
 * authorizeRunStart with the start itself: `change` runs in the transaction that audits the
 * allow, with the usable versions, so the run's rows and its audit entry commit (or roll back)
 * together.
 * @example await gateRunStart(db, eli, request, (tx, versions) => insertRun(tx, versions));
 */
export async function gateRunStart<T>(
  db: Db,
  caller: Principal,
  request: RunStartRequest,
  change: (tx: Queryable, versions: VersionRow[]) => Promise<T>,
): Promise<T> {
  const now = request.now ?? new Date();
  const versions: VersionRow[] = [];
  const refused: { ref: string; rule: string; message: string }[] = [];
  for (const input of request.datasets) {
    try {
      versions.push(await assertUsableForTraining(db, request.workspace, input.ref, input.purpose, now));
    } catch (err) {
      if (!(err instanceof CrucibleError) || err.code !== "permission_denied") throw err;
      refused.push({
        ref: `${input.ref.name}@v${input.ref.version ?? "latest"}`,
        rule: err.details.rule ?? "",
        message: err.problem,
      });
    }
  }
  const resource = {
    type: "Run",
    id: request.runId,
    workspace: request.workspace,
    starter: actorId(caller),
    datasets: [...new Set(versions.map((v) => v.id))],
    rewards: [],
  } as const;
  try {
    return await governed(
      db,
      {
        principal: caller,
        action: "run.start",
        resource,
        context: { inputs_approved: refused.length === 0 },
      },
      (tx) => change(tx, versions),
      {
        payload: {
          datasets: request.datasets.map((d) => ({ ...d.ref, purpose: d.purpose })),
          refused,
          usable: versions.map(refText),
        },
      },
    );
  } catch (err) {
    const first = refused[0];
    const gate =
      err instanceof CrucibleError &&
      err.code === "permission_denied" &&
      err.details.rule?.includes(INPUTS_GATE);
    if (!gate || !first) throw err;
    throw new CrucibleError(
      "permission_denied",
      `${actorId(caller)} may not start ${request.runId}: ${first.message}`,
      {
        rule: `${INPUTS_GATE},${first.rule}`,
        fix: "Ask a data steward to approve the version for this purpose, or name an approved version",
      },
    );
  }
}
