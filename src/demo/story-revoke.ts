import { resolveCheckpoint } from "../checkpoints/index.ts";
import { revokeVersion, versionImpact } from "../data/service/index.ts";
import type { Principal } from "../policy/entities.ts";
import type { Db } from "../store/db.ts";
import { type Denial, expectDenied } from "./denials.ts";

/** What revoking the handbook reached, as lineage and the registry recorded it. */
export interface RevocationSummary {
  version: string;
  reason: string;
  revoked_by: string;
  /** The runs that read the version (by name). */
  runs: string[];
  /** Every checkpoint lineage reaches from the version, with its taint. */
  checkpoints: { name: string | null; tokens_seen: number | null; tainted: boolean }[];
  /** How many checkpoints this revocation tainted. */
  tainted_checkpoints: number;
  /** The approved candidate is tainted too: approval does not outlive consent. */
  approved_checkpoint_tainted: boolean;
  /** Deployments do not exist yet; lineage would reach them through checkpoint → deployment. */
  tainted_deployments: number;
}

/**
 * DEMO step 9 for checkpoints (deployments are not built yet): dana revokes the approved handbook
 * version (consent withdrawn); in the same transaction every checkpoint it influenced, at any
 * depth, is tainted. Lineage impact then lists the runs and checkpoints it reached, and eli
 * starting the same recipe again is denied: a revoked version feeds no new run.
 * @example const revocation = await revocationStory(db, { workspace, dana, eli }, { ref, approved, runNames, retry, denials, say });
 */
export async function revocationStory(
  db: Db,
  cast: { workspace: string; dana: Principal; eli: Principal },
  input: {
    ref: { name: string; version: number };
    /** The approved checkpoint's name, to show its taint. */
    approved: string;
    /** Run ids to names, for the impact listing. */
    runNames: ReadonlyMap<string, string>;
    /** eli starting a run on the revoked version again. */
    retry: () => Promise<unknown>;
    denials: Denial[];
    say: (line: string) => void;
  },
): Promise<RevocationSummary> {
  const { workspace, dana } = cast;
  const reason = "consent withdrawn";
  const revoked = await revokeVersion(db, dana, { workspace, ref: input.ref, reason });
  const impact = await versionImpact(db, dana, workspace, input.ref);
  await expectDenied(input.denials, "train-revoked-data", "eli", "run.start", input.retry);
  const approved = await resolveCheckpoint(db, workspace, input.approved);
  const runs = impact.runs.map((r) => input.runNames.get(r.id) ?? r.id);
  input.say(
    `revoke: dana revoked ${impact.version} (${reason}); lineage reaches runs ${runs.join(", ")} and ${impact.checkpoints.length} checkpoints, ${revoked.tainted.length} newly tainted; eli may not train on it again`,
  );
  return {
    version: impact.version,
    reason,
    revoked_by: "dana",
    runs,
    checkpoints: impact.checkpoints.map((c) => ({
      name: c.name,
      tokens_seen: c.tokensSeen,
      tainted: c.taintedAt !== null,
    })),
    tainted_checkpoints: revoked.tainted.length,
    approved_checkpoint_tainted: approved.taintedAt !== null,
    tainted_deployments: impact.deployments.length,
  };
}
