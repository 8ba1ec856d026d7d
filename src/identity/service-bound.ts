import { invalid } from "../core/errors.ts";
import { governed } from "../governed/funnel.ts";
import type { Principal } from "../policy/entities.ts";
import type { Db } from "../store/db.ts";
import { credentialFor } from "./credentials.ts";
import { loadPrincipal } from "./principals.ts";
import { requireVisible } from "./tenancy.ts";

/** No bound may let a token outlive the policy's cap (`cap.token-lifetime`: 90 days). */
const CAP_S = 7_776_000;

/** The bounds a service identity's owner set on the tokens it mints itself. */
export interface ServiceBound {
  /** Longest lifetime of a token it issues itself, in seconds. */
  maxLifetimeS: number;
  /** No token it issues itself expires after this; renewing beyond it needs the owner. */
  renewUntil: Date;
}

/**
 * Sets how a service identity may renew its own credentials: the longest token it may mint
 * itself and the date none of them may outlive. Only its human owner decides (`service.bound`,
 * human-only); until the owner does, the service mints itself nothing (`service.token-bound`),
 * and past `renewUntil` only its owner (or an admin of its workspace) issues its tokens.
 * @example await setServiceBound(db, { principal: eli, subject: bot, maxLifetimeS: 7 * 86400, renewUntil: new Date("2027-06-30") });
 */
export async function setServiceBound(
  db: Db,
  input: { principal: Principal; subject: string; now?: Date } & ServiceBound,
): Promise<void> {
  const now = input.now ?? new Date();
  if (!Number.isSafeInteger(input.maxLifetimeS) || input.maxLifetimeS <= 0 || input.maxLifetimeS > CAP_S)
    throw invalid(
      "maxLifetimeS",
      `a service's own tokens live 1 to ${CAP_S} seconds`,
      input.maxLifetimeS,
      "Give e.g. 604800 for seven days",
    );
  if (Number.isNaN(input.renewUntil.getTime()) || input.renewUntil <= now)
    throw invalid(
      "renewUntil",
      "the renewal deadline must be a date in the future",
      input.renewUntil,
      "Give a date such as 2027-06-30",
    );
  await requireVisible(db, input.principal, input.subject);
  const subject = await loadPrincipal(db, input.subject);
  if (subject?.kind !== "service")
    throw invalid(
      "subject",
      "only a service identity's renewal is bounded",
      input.subject,
      "Name a service identity; people renew their own tokens",
    );
  const resource = await credentialFor(db, input.subject, `bound:${input.subject}`);
  await governed(
    db,
    { principal: input.principal, action: "service.bound", resource },
    async (tx) => {
      await tx.query("UPDATE principals SET token_max_lifetime_s = $2, renew_until = $3 WHERE id = $1", [
        input.subject,
        input.maxLifetimeS,
        input.renewUntil.toISOString(),
      ]);
    },
    {
      payload: {
        subject: input.subject,
        maxLifetimeS: input.maxLifetimeS,
        renewUntil: input.renewUntil.toISOString(),
      },
    },
  );
}
