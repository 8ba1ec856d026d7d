import { CrucibleError } from "../core/errors.ts";

/** An action the story expects policy to refuse, as it was refused. */
export interface Denial {
  step: string;
  actor: string;
  action: string;
  /** The ids of the policies (or invariants) that decided the denial, comma-separated. */
  rule: string;
  message: string;
}

/**
 * Runs an action that policy must refuse, and records the refusal with its rule. An action that
 * is allowed, or fails for another reason, ends the demo: the story would be untrue.
 * @example await expectDenied(denials, "self-approve-data", "eli", "dataset.approve", () => approveVersion(db, eli, input));
 */
export async function expectDenied(
  denials: Denial[],
  step: string,
  actor: string,
  action: string,
  fn: () => Promise<unknown>,
): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof CrucibleError && err.code === "permission_denied") {
      denials.push({ step, actor, action, rule: err.details.rule ?? "", message: err.message });
      return;
    }
    throw err;
  }
  throw new CrucibleError("internal", `${step}: ${actor} was allowed ${action}, which policy must deny`);
}
