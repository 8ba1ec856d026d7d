/**
 * How long a failed job waits before its next attempt: exponential in the attempts made, capped.
 * Pure, so the schedule is property-tested (test/queue/fencing.property.test.ts).
 */
export interface BackoffPolicy {
  /** Delay after the first failed attempt, in seconds. */
  baseSeconds: number;
  /** No delay exceeds this, in seconds. */
  maxSeconds: number;
}

/** 5 s, 10 s, 20 s, ... up to 10 minutes. */
export const DEFAULT_BACKOFF: BackoffPolicy = { baseSeconds: 5, maxSeconds: 600 };

/**
 * Seconds to wait after attempt `attempt` (1-based) failed: `base * 2^(attempt-1)`, at most `max`.
 * @example retryDelaySeconds(3, { baseSeconds: 5, maxSeconds: 600 }) // 20
 */
export function retryDelaySeconds(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt must be an integer >= 1 (got ${attempt})`);
  }
  // 2^(attempt-1) overflows to Infinity for huge attempts; the cap keeps the result finite.
  return Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** (attempt - 1));
}
