import { appendAudit } from "../audit/append.ts";
import { invalid } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import type { RunFacts } from "../policy/entities.ts";
import type { Queryable } from "../store/db.ts";
import type { TokenId } from "./ids.ts";
import { newTokenSecret } from "./secrets.ts";
import { type IssuedToken, insertToken } from "./tokens.ts";

/** No workload token outlives this, whatever the run asks for: 3 days. */
export const WORKLOAD_MAX_LIFETIME_S = 3 * 86400;

/** What a workload token may touch, fixed when it is minted. */
export interface WorkloadScope {
  starter: string;
  datasets: string[];
  rewards: string[];
}

/**
 * Mints the token a run's trainer uses: scoped to that run (its approved dataset versions, its
 * events, its reward functions) and living no longer than the run may (`maxDurationS`, itself
 * capped at WORKLOAD_MAX_LIFETIME_S). A stage mints one as it begins, in its lease's fenced
 * transaction (`src/runs/train-stage.ts`); the decision behind it is the run's `run.start`,
 * audited by the funnel, and the mint itself is audited here under rule `workload.mint`.
 * @example
 * await ctx.fenced((tx) => mintWorkloadToken(tx, { run: facts, maxDurationS: 4 * 3600, createdBy: run.startedBy }));
 */
export async function mintWorkloadToken(
  tx: Queryable,
  input: { run: RunFacts; maxDurationS: number; createdBy: string; now?: Date },
): Promise<IssuedToken> {
  if (!Number.isSafeInteger(input.maxDurationS) || input.maxDurationS <= 0)
    throw invalid(
      "maxDurationS",
      "a run's maximum duration is a positive whole number of seconds",
      input.maxDurationS,
      "Set the recipe's max duration",
    );
  const now = input.now ?? new Date();
  const lifetimeS = Math.min(input.maxDurationS, WORKLOAD_MAX_LIFETIME_S);
  const tokenId = newId("tok") as TokenId;
  const secret = newTokenSecret();
  const expiresAt = new Date(now.getTime() + lifetimeS * 1000);
  const scope: WorkloadScope = {
    starter: input.run.starter,
    datasets: [...input.run.datasets],
    rewards: [...input.run.rewards],
  };
  await insertToken(tx, {
    id: tokenId,
    kind: "workload",
    run: input.run.id,
    workspace: input.run.workspace,
    scope,
    secret,
    createdBy: input.createdBy,
    now,
    expiresAt,
  });
  await appendAudit(tx, {
    workspace: input.run.workspace,
    actor: input.createdBy,
    action: "token.create",
    resource: `Credential::"${tokenId}"`,
    decision: "allow",
    rules: ["workload.mint"],
    reason: `workload token for run ${input.run.id}, ${lifetimeS} s`,
    payload: { tokenId, run: input.run.id, scope, lifetimeS },
  });
  return { tokenId, secret, expiresAt };
}

/**
 * Revokes every workload token of a run (call it when the run ends, in the same transaction).
 * @example await revokeRunTokens(tx, run.id);
 */
export async function revokeRunTokens(tx: Queryable, runId: string, now: Date = new Date()): Promise<number> {
  const { rowCount } = await tx.query(
    "UPDATE tokens SET revoked_at = $2 WHERE run_id = $1 AND kind = 'workload' AND revoked_at IS NULL",
    [runId, now.toISOString()],
  );
  return rowCount;
}
